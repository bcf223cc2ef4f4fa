"""GET /api/v1/replies: filters and paging over what the caller may see."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.models import Library, Reply, Scope
from tests.replies.conftest import MakeReply, ids, library_of


@pytest.fixture
def company(owner: Member) -> Library:
    return library_of(owner, Scope.COMPANY)


@pytest.fixture
def shelf(owner: Member, agent: Member, company: Library,
          make_reply: MakeReply) -> dict[str, Reply]:
    """Replies to filter: company ones in 售后 > 退款 and 售前, a 售前 one, a personal one."""
    after = actions.do_create_category(owner, company, "售后")
    refund = actions.do_create_category(owner, company, "退款", after)
    pre = actions.do_create_category(owner, company, "售前")
    return {
        "refund": make_reply(company, title="退款多久到账", body="原路退回，1-3天到账",
                             category=refund, tags=["退款", "售后"], shortcut="/tk1",
                             key="TK-001"),
        "after": make_reply(company, title="退货地址", body="请寄回仓库", category=after,
                            tags=["售后"]),
        "pre": make_reply(company, title="有现货吗", body="亲，现货秒发", category=pre,
                          tags=["售前咨询"]),
        "dept": make_reply(library_of(owner, Scope.DEPARTMENT, "售前"), title="尺码推荐",
                           body="身高体重发一下亲", tags=["尺码"]),
        "mine": make_reply(library_of(agent, Scope.PERSONAL), title="我的退款话术",
                           body="亲，退款已处理", tags=["退款"]),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("tag=退款", {"refund", "mine"}),
    ("tag=售后", {"refund", "after"}),
    ("tag=售前", set()),  # a whole tag, not a piece of 售前咨询
    ("q=退款", {"refund", "mine"}),
    ("q=现货", {"pre"}),
    ("q=/TK1", {"refund"}),
    ("q=tk-001", {"refund"}),
    ("scope=personal", {"mine"}),
    ("scope=department", {"dept"}),
])
@pytest.mark.django_db
def test_filters_narrow_what_the_agent_sees(
        shelf: dict[str, Reply], agent: Member, api: Any, query: str, expected: set[str]):
    resp = api(agent).get(f"replies?{query}")

    assert ids(resp) == {shelf[name].id for name in expected}
    assert resp.json()["count"] == len(expected)


@pytest.mark.django_db
def test_category_filter_includes_subcategories(
        shelf: dict[str, Reply], supervisor: Member, api: Any):
    client = api(supervisor)
    after = shelf["after"].category_id
    refund = shelf["refund"].category_id

    assert ids(client.get(f"replies?category_id={after}")) == {shelf["after"].id,
                                                              shelf["refund"].id}
    assert ids(client.get(f"replies?category_id={refund}")) == {shelf["refund"].id}


@pytest.mark.django_db
def test_library_filter(shelf: dict[str, Reply], company: Library, supervisor: Member,
                        api: Any):
    assert ids(api(supervisor).get(f"replies?library_id={company.id}")) == {
        shelf["refund"].id, shelf["after"].id, shelf["pre"].id}


@pytest.mark.django_db
def test_inactive_replies_are_listed_and_can_be_filtered(
        shelf: dict[str, Reply], owner: Member, supervisor: Member, api: Any):
    actions.do_edit_reply(owner, shelf["pre"], 1, {"is_active": False})
    client = api(supervisor)

    assert shelf["pre"].id in ids(client.get("replies"))
    assert ids(client.get("replies?active=false")) == {shelf["pre"].id}
    assert shelf["pre"].id not in ids(client.get("replies?active=true"))


@pytest.mark.django_db
def test_paging_walks_through_everything_once(
        shelf: dict[str, Reply], supervisor: Member, api: Any):
    client = api(supervisor)
    total = client.get("replies").json()["count"]

    seen: list[int] = []
    for offset in range(0, total, 2):
        page = client.get(f"replies?limit=2&offset={offset}").json()
        assert page["count"] == total
        seen += [item["id"] for item in page["items"]]

    assert len(seen) == len(set(seen)) == total == 4  # company 3 + 售前 1


@pytest.mark.django_db
def test_reply_carries_the_fields_the_issue_promises(
        shelf: dict[str, Reply], agent: Member, api: Any):
    item = api(agent).get(f"replies/{shelf['refund'].id}").json()

    assert {"id", "key", "version", "title", "body", "category", "shortcut", "tags",
            "questions"} <= set(item)
    assert (item["key"], item["category"], item["shortcut"], item["tags"]) == (
        "TK-001", ["售后", "退款"], "/tk1", ["退款", "售后"])
