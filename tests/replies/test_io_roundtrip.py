"""Export then import into an empty organization rebuilds the library exactly: keys, titles,
bodies, categories and their order, shortcuts, tags, questions and the order of replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kefu.core.models import Member, Organization
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.io.apply import apply_plan
from kefu.replies.io.export import export_file
from kefu.replies.io.plan import plan_import
from kefu.replies.io.scopes import libraries_for_export, parse_scope
from kefu.replies.models import Category, Library, Reply, Scope


def describe(library: Library) -> dict[str, Any]:
    """The library as a person sees it: the category tree in order, the replies in order."""
    tree = [(top.name, [c.name for c in top.children.order_by("position", "id")])
            for top in Category.objects.filter(library=library, parent__isnull=True)
            .order_by("position", "id")]
    replies: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for r in (Reply.objects.filter(library=library, deleted_at__isnull=True)
              .select_related("category__parent").order_by("position", "id")):
        replies.setdefault(tuple(r.category_path()), []).append(
            (r.key, r.title, r.body, r.shortcut, r.tags, r.questions))
    return {"tree": tree, "replies": replies}


def build_library(owner: Member) -> Library:
    """A library whose order differs from creation order everywhere it can."""
    lib = get_library(owner, Scope.COMPANY)
    cat = {}
    for name in ("售后", "售前", "催付"):
        cat[name] = actions.do_create_category(owner, lib, name)
    for parent, name in (("售后", "退款"), ("售后", "退换"), ("售前", "尺码")):
        cat[name] = actions.do_create_category(owner, lib, name, cat[parent])
    # Reordered: 催付 first, then 售前, then 售后; under 售后, 退换 before 退款.
    actions.do_reorder_categories(owner, lib, None, [cat["催付"].id, cat["售前"].id,
                                                     cat["售后"].id])
    actions.do_reorder_categories(owner, lib, cat["售后"], [cat["退换"].id, cat["退款"].id])

    def reply(category: str | None, title: str, **fields: Any) -> Reply:
        data = {"title": title, "body": f"亲，{title}~", **fields}
        return actions.do_create_reply(owner, lib, data, cat[category] if category else None)

    first = reply("尺码", "尺码怎么选", key="SZ-1", shortcut="/cm",
                  tags=["尺码", "推荐"], questions=["穿多大", "160斤穿什么码"])
    second = reply("尺码", "偏大还是偏小", key="SZ-2",
                   body='版型偏大，"建议"拍小一码，\n腰围参考：\n- S 66cm\n- M 70cm')
    reply("售前", "在吗", key="", shortcut="/zm", questions=["在不在", "有人吗"])
    reply("退款", "退款多久到", key="RF-1", body="=退款1-3个工作日原路返回，{买家昵称}请留意")
    reply("退换", "怎么退货", key="RT-1", tags=["退货"])
    reply("退换", "换货运费", key="RT-2")
    reply(None, "未分类的话术", key="U-1", body="+v 领券, 逗号,和\"引号\"")
    reply("催付", "催付一下", key="CF-1", shortcut="/cf")
    gone = reply("催付", "已删除", key="DEL-1")
    actions.do_delete_reply(owner, gone)
    # Reordered inside 尺码: the second reply first.
    actions.do_reorder_replies(owner, lib, cat["尺码"], [second.id, first.id])
    return lib


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "jsonl"])
@pytest.mark.django_db
def test_export_then_import_into_an_empty_organization_reproduces_the_library(
        org: Organization, other_org: Organization, owner: Member, tmp_path: Path, fmt: str):
    # Given a curated library
    original = build_library(owner)
    # When it is exported to a file
    path = tmp_path / f"library.{fmt}"
    path.write_bytes(export_file(libraries_for_export(org, parse_scope("company"), owner),
                                 fmt))
    # and that file imported into an organization that has nothing yet
    plan = plan_import(other_org, path.read_bytes(), path.name, "company", None)
    assert plan.ok, plan.problems
    apply_plan(plan, None)

    # Then the copy equals the original
    copy = Library.objects.get(organization=other_org, scope=Scope.COMPANY)
    assert describe(copy) == describe(original)
    # and importing the same file again leaves every keyed reply unchanged (a row without
    # a key has nothing to match, so it would create a second copy)
    again = plan_import(other_org, path.read_bytes(), path.name, "company", None)
    assert {r.action for r in again.rows if r.fields.get("key")} == {"unchanged"}


@pytest.mark.django_db
def test_english_headers_read_back_the_same(org: Organization, other_org: Organization,
                                            owner: Member, tmp_path: Path):
    original = build_library(owner)
    path = tmp_path / "library.csv"
    path.write_bytes(export_file([original], "csv", english=True))
    assert path.read_text(encoding="utf-8-sig").startswith(
        "key,category1,category2,title,body,shortcut,tags,questions")

    apply_plan(plan_import(other_org, path.read_bytes(), path.name, "company", None), None)

    copy = Library.objects.get(organization=other_org, scope=Scope.COMPANY)
    assert describe(copy) == describe(original)
