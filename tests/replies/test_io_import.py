"""Importing a reply file: the validation report, all or nothing, upsert by 编号 with
revisions, shortcut and key rules, categories, one audit row and the events after commit."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from kefu.core.errors import Conflict, Forbidden, KefuError
from kefu.core.models import AuditLog, Member, Organization
from kefu.replies import actions
from kefu.replies.io import apply as io_apply
from kefu.replies.io.apply import apply_plan
from kefu.replies.io.plan import ImportPlan, plan_import
from kefu.replies.models import Category, Library, Reply, Revision
from tests.replies.conftest import MakeReply
from tests.sse import EventRecorder

HEADER = ["编号", "一级分类", "二级分类", "标题", "内容", "快捷码", "标签", "相似问法"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER,
              encoding: str = "utf-8-sig") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def plan_of(org: Organization, path: Path, scope: str = "company",
            actor: Member | None = None) -> ImportPlan:
    return plan_import(org, path.read_bytes(), path.name, scope, actor)


def snapshot(org: Organization) -> dict[str, Any]:
    """Everything an import could touch, to compare before and after."""
    return {
        "replies": list(Reply.objects.filter(organization=org).order_by("id").values()),
        "categories": list(Category.objects.filter(library__organization=org)
                           .order_by("id").values()),
        "revisions": Revision.objects.filter(reply__organization=org).count(),
        "audit": AuditLog.objects.filter(organization=org).count(),
    }


GOOD = ["K1", "发货物流", "发货时间", "几天发货", "亲，付款后48小时内发货哦~", "/fh", "发货、时效",
        "什么时候发货|几天能发"]


# --- the validation report -------------------------------------------------------------

@pytest.mark.django_db
def test_report_names_every_bad_row_by_row_number_column_and_reason(org: Organization,
                                                                    tmp_path: Path):
    # Given a sheet with one good row and bad rows of every kind (the header is row 1)
    path = write_csv(tmp_path / "bad.csv", [
        GOOD,                                                    # row 2
        ["K2", "售后", "", "", "内容在", "", "", ""],             # row 3: no title
        ["K3", "售后", "", "太长", "长" * 5001, "", "", ""],     # row 4: body too long
        ["K4", "售后", "", "快捷码", "内容", "/t k!", "", ""],  # row 5: bad shortcut
        ["K1", "售后", "", "重复编号", "内容", "", "", ""],      # row 6: key of row 2
        ["K6", "", "退款", "没有一级", "内容", "/fh", "", ""],   # row 7: 二级 without 一级; /fh
    ])

    plan = plan_of(org, path)

    # Then every problem names the row as Excel shows it and the column as the file names it
    assert not plan.ok
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (3, "标题", "The title is required."),
        (4, "内容", "The body is longer than 5000 characters."),
        (5, "快捷码", "A shortcut is / followed by 1-19 letters, digits or Chinese "
                      "characters, like /tk1."),
        (6, "编号", "The key K1 is also in row 2."),
        (7, "一级分类", "The second-level category needs a first-level category."),
        (7, "快捷码", "The shortcut /fh is also in row 2."),
    ]
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, "create"), (3, "invalid"), (4, "invalid"), (5, "invalid"), (6, "invalid"),
        (7, "invalid")]
    assert plan.summary() == {"rows": 6, "create": 1, "update": 0, "unchanged": 0,
                              "invalid": 5, "problems": 6}


@pytest.mark.django_db
def test_report_uses_the_headers_of_the_file(org: Organization, tmp_path: Path):
    path = write_csv(tmp_path / "en.csv", [["", "Title only", ""]],
                     header=["key", "title", "body"])
    plan = plan_of(org, path)
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (2, "body", "The body is required.")]


@pytest.mark.django_db
def test_jsonl_report_names_the_line_and_the_json_key(org: Organization, tmp_path: Path):
    path = write_jsonl(tmp_path / "x.jsonl", [
        {"title": "好", "body": "好的亲"},
        {"title": "三级", "body": "x", "category": "a/b/c"},
        {"title": "标签太多", "body": "x", "tags": [f"t{i}" for i in range(21)]},
    ])
    plan = plan_of(org, path)
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (2, "category", "Categories have two levels; a/b/c has more."),
        (3, "tags", "At most 20 tags."),
    ]


@pytest.mark.django_db
def test_an_empty_file_is_reported(org: Organization, tmp_path: Path):
    plan = plan_of(org, write_csv(tmp_path / "empty.csv", []))
    assert [(p.row, p.message) for p in plan.problems] == [(None, "The file has no replies.")]


# --- all or nothing --------------------------------------------------------------------

@pytest.mark.django_db
def test_a_failing_row_leaves_the_library_unchanged(org: Organization, company_lib: Library,
                                                    make_reply: MakeReply, tmp_path: Path):
    # Given a library with a reply keyed K1
    make_reply(company_lib, title="几天发货", key="K1")
    before = snapshot(org)
    # and a file that updates it, creates two and has one bad row
    path = write_csv(tmp_path / "mixed.csv", [
        [*GOOD[:4], "新的内容", *GOOD[5:]],
        ["K2", "售后", "退换", "怎么退", "亲，申请退货即可", "", "", ""],
        ["K3", "售后", "", "", "缺标题", "", "", ""],
        ["K4", "售前", "", "在吗", "在的亲", "", "", ""],
    ])

    # When it is checked and applied anyway
    plan = plan_of(org, path)
    assert [(p.row, p.column) for p in plan.problems] == [(4, "标题")]
    with pytest.raises(KefuError):
        apply_plan(plan, None)

    # Then nothing was written: no reply, category, revision or audit row
    assert snapshot(org) == before


@pytest.mark.django_db
def test_an_error_while_writing_rolls_back_everything(
        org: Organization, company_lib: Library, make_reply: MakeReply, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch):
    # Given a valid file of 1200 rows (several write batches, new categories)
    make_reply(company_lib, key="K1")
    before = snapshot(org)
    rows = [[f"N{i}", f"分类{i % 3}", "", f"标题{i}", f"内容{i}", "", "", ""]
            for i in range(1200)]
    plan = plan_of(org, write_csv(tmp_path / "big.csv", rows))
    assert plan.ok

    # When the database write fails part way (after the first batches were written)
    calls = {"n": 0}
    real = io_apply.search_keys_for

    def failing(reply: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1100:
            raise RuntimeError("disk full")
        return real(reply)

    monkeypatch.setattr(io_apply, "search_keys_for", failing)
    with pytest.raises(RuntimeError):
        apply_plan(plan, None)

    # Then the batches already written and the categories are rolled back too
    assert snapshot(org) == before


# --- upsert by key ---------------------------------------------------------------------

@pytest.mark.django_db
def test_upsert_by_key_updates_stores_an_import_revision_and_bumps_the_version(
        org: Organization, company_lib: Library, make_reply: MakeReply, supervisor: Member,
        tmp_path: Path):
    # Given a reply keyed K1 at version 1
    old = make_reply(company_lib, title="几天发货", body="旧内容", key="K1")
    assert old.version == 1

    # When a file with K1 (new body, tags, category) and a new key is imported
    path = write_csv(tmp_path / "upsert.csv", [
        GOOD, ["K2", "售后", "", "怎么退", "亲，申请退货即可", "", "", ""]])
    plan = plan_of(org, path, actor=supervisor)
    assert [(r.line, r.action) for r in plan.rows] == [(2, "update"), (3, "create")]
    result = apply_plan(plan, supervisor)

    # Then K1 is the same reply, updated, at version 2 with an "import" revision
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    reply = Reply.objects.get(pk=old.pk)
    assert (reply.version, reply.body, reply.tags, reply.questions, reply.shortcut) == (
        2, "亲，付款后48小时内发货哦~", ["发货", "时效"], ["什么时候发货", "几天能发"], "/fh")
    assert reply.category_path() == ["发货物流", "发货时间"]
    assert reply.updated_by == supervisor
    revision = reply.revisions.get(version=2)
    assert revision.action == "import"
    assert revision.author_label == supervisor.user.username
    assert revision.content == reply.content()
    # and the new reply has its first revision
    new = Reply.objects.get(organization=org, key="K2")
    assert [(r.version, r.action) for r in new.revisions.all()] == [(1, "import")]
    assert new.created_by == supervisor


@pytest.mark.django_db
def test_unchanged_rows_create_no_revision_and_write_nothing(
        org: Organization, company_lib: Library, tmp_path: Path):
    # Given a library imported from a file
    path = write_csv(tmp_path / "lib.csv", [
        GOOD, ["K2", "售后", "", "怎么退", "亲，申请退货即可", "", "", ""]])
    apply_plan(plan_of(org, path), None)
    before = snapshot(org)

    # When the same file is imported again
    plan = plan_of(org, path)
    result = apply_plan(plan, None)

    # Then every row is unchanged and nothing was written
    assert [r.action for r in plan.rows] == ["unchanged", "unchanged"]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert snapshot(org) == before


@pytest.mark.django_db
def test_a_column_the_file_lacks_is_kept_on_update(org: Organization, company_lib: Library,
                                                   make_reply: MakeReply, tmp_path: Path):
    cat = actions.do_create_category(None, company_lib, "售前")
    make_reply(company_lib, title="在吗", key="K1", tags=["问候"], shortcut="/zm",
               category=cat)
    path = write_csv(tmp_path / "partial.csv", [["K1", "在吗", "在的呢亲"]],
                     header=["编号", "标题", "内容"])

    apply_plan(plan_of(org, path), None)

    reply = Reply.objects.get(organization=org, key="K1")
    assert (reply.body, reply.tags, reply.shortcut, reply.category_path()) == (
        "在的呢亲", ["问候"], "/zm", ["售前"])


@pytest.mark.django_db
def test_a_deleted_reply_with_the_key_is_brought_back(org: Organization, company_lib: Library,
                                                      make_reply: MakeReply, tmp_path: Path):
    reply = make_reply(company_lib, title="几天发货", key="K1")
    actions.do_delete_reply(None, reply)

    plan = plan_of(org, write_csv(tmp_path / "back.csv", [GOOD]))
    assert [r.action for r in plan.rows] == ["update"]
    apply_plan(plan, None)

    reply.refresh_from_db()
    assert reply.deleted_at is None
    assert reply.version == 2


@pytest.mark.django_db
def test_a_key_of_a_reply_in_another_library_is_a_problem(
        org: Organization, company_lib: Library, presales_lib: Library, make_reply: MakeReply,
        tmp_path: Path):
    make_reply(presales_lib, key="K1")

    plan = plan_of(org, write_csv(tmp_path / "k.csv", [GOOD]))

    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (2, "编号", "The key K1 belongs to a reply in another library (售前); it cannot be "
                    "updated from here.")]


# --- shortcuts -------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_shortcut_used_by_another_reply_is_a_problem(org: Organization, company_lib: Library,
                                                       make_reply: MakeReply, tmp_path: Path):
    make_reply(company_lib, key="OTHER", shortcut="/fh")
    plan = plan_of(org, write_csv(tmp_path / "s.csv", [GOOD]))
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (2, "快捷码", "The shortcut /fh is already used by another reply.")]


@pytest.mark.django_db
def test_two_replies_may_swap_shortcuts_in_one_import(org: Organization, company_lib: Library,
                                                      make_reply: MakeReply, tmp_path: Path):
    make_reply(company_lib, title="一", body="1", key="A", shortcut="/a")
    make_reply(company_lib, title="二", body="2", key="B", shortcut="/b")
    path = write_csv(tmp_path / "swap.csv", [["A", "一", "1", "/b"], ["B", "二", "2", "/a"]],
                     header=["编号", "标题", "内容", "快捷码"])

    plan = plan_of(org, path)
    assert plan.ok, plan.problems
    apply_plan(plan, None)

    assert dict(Reply.objects.filter(organization=org).values_list("key", "shortcut")) == {
        "A": "/b", "B": "/a"}


@pytest.mark.django_db
def test_a_personal_shortcut_may_not_repeat_one_its_owner_sees(
        org: Organization, agent: Member, company_lib: Library, make_reply: MakeReply,
        tmp_path: Path):
    make_reply(company_lib, key="C1", shortcut="/fh")
    path = write_csv(tmp_path / "mine.csv", [["我的", "我的话术", "/fh"]],
                     header=["标题", "内容", "快捷码"])

    plan = plan_of(org, path, scope="personal", actor=agent)

    assert plan.library.owner_id == agent.id
    assert [(p.row, p.column) for p in plan.problems] == [(2, "快捷码")]


# --- scopes and permissions ------------------------------------------------------------

@pytest.mark.django_db
def test_an_agent_may_import_only_into_their_personal_library(
        org: Organization, agent: Member, supervisor: Member, tmp_path: Path):
    path = write_csv(tmp_path / "a.csv", [["在吗", "在的亲"]], header=["标题", "内容"])
    for scope in ("company", "department:售前", f"personal:{supervisor.user.username}"):
        with pytest.raises(Forbidden):
            plan_of(org, path, scope=scope, actor=agent)
    plan = plan_of(org, path, scope="personal", actor=agent)
    apply_plan(plan, agent)
    assert Reply.objects.get(organization=org).library.owner_id == agent.id


@pytest.mark.django_db
def test_cli_scopes_name_departments_and_members(org: Organization, supervisor: Member,
                                                 tmp_path: Path):
    path = write_csv(tmp_path / "d.csv", [["在吗", "在的亲"]], header=["标题", "内容"])
    dept_plan = plan_of(org, path, scope="department:售后")
    mine = plan_of(org, path, scope=f"personal:{supervisor.user.username}")
    assert (dept_plan.library.scope, dept_plan.library.department.name) == (  # type: ignore[union-attr]
        "department", "售后")
    assert mine.library.owner_id == supervisor.id
    with pytest.raises(KefuError, match="Unknown scope"):
        plan_of(org, path, scope="team:x")


# --- categories and positions ----------------------------------------------------------

@pytest.mark.django_db
def test_categories_are_created_in_the_order_the_file_names_them(
        org: Organization, company_lib: Library, make_reply: MakeReply, tmp_path: Path):
    existing = actions.do_create_category(None, company_lib, "售后")
    make_reply(company_lib, category=existing)
    path = write_csv(tmp_path / "c.csv", [
        ["", "催付", "", "催一下", "亲，还在吗", "", "", ""],
        ["", "售后", "退款", "退款", "亲，已退", "", "", ""],
        ["", "售后", "", "售后二", "亲~", "", "", ""],
        ["", "催付", "", "催二下", "亲，库存不多啦", "", "", ""],
    ])

    apply_plan(plan_of(org, path), None)

    tops = Category.objects.filter(library=company_lib, parent__isnull=True)
    assert [(c.name, c.position) for c in tops] == [("售后", 0), ("催付", 1)]
    assert [c.name for c in existing.children.all()] == ["退款"]
    in_after_sales = Reply.objects.filter(category=existing).order_by("position")
    assert [r.position for r in in_after_sales] == [0, 1]
    assert in_after_sales[1].title == "售后二"  # new replies go after the existing ones
    assert [r.title for r in Reply.objects.filter(category__name="催付")] == ["催一下", "催二下"]


# --- concurrency, audit and events -----------------------------------------------------

@pytest.mark.django_db
def test_a_reply_edited_after_the_check_stops_the_import(
        org: Organization, company_lib: Library, make_reply: MakeReply, tmp_path: Path):
    reply = make_reply(company_lib, key="K1")
    plan = plan_of(org, write_csv(tmp_path / "late.csv", [
        GOOD, ["K2", "", "", "新", "新的", "", "", ""]]))
    actions.do_edit_reply(None, reply, reply.version, {"body": "别人刚改的"})
    before = snapshot(org)

    with pytest.raises(Conflict):
        apply_plan(plan, None)

    assert snapshot(org) == before


@pytest.mark.django_db
def test_one_audit_row_records_the_whole_import(org: Organization, company_lib: Library,
                                               owner: Member, tmp_path: Path):
    rows = [[f"N{i}", "售前", "", f"标题{i}", f"内容{i}", "", "", ""] for i in range(300)]
    before = AuditLog.objects.filter(organization=org).count()

    apply_plan(plan_of(org, write_csv(tmp_path / "n.csv", rows), actor=owner), owner)

    new = list(AuditLog.objects.filter(organization=org).order_by("id")[before:])
    assert [a.action for a in new] == ["category.create", "reply.import"]
    assert new[1].data == {"file": "n.csv", "format": "csv", "created": 300, "updated": 0,
                           "unchanged": 0}
    assert new[1].actor_label == owner.user.username


@pytest.mark.django_db
def test_a_small_import_sends_one_typed_event_per_changed_reply(
        org: Organization, company_lib: Library, make_reply: MakeReply, owner: Member,
        agent: Member, api: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any):
    # Given an agent's screen with the library, and a reply that the import will change
    make_reply(company_lib, title="几天发货", key="K1")
    client = api(agent)
    stale = client.get("replies?limit=500").json()["items"]
    recorder = EventRecorder(agent)
    path = write_csv(tmp_path / "small.csv", [
        GOOD, ["K2", "售后", "", "怎么退", "亲，申请退货即可", "", "", ""]])

    # When the import commits
    try:
        with django_capture_on_commit_callbacks(execute=True):
            apply_plan(plan_of(org, path, actor=owner), owner)
        events = [e for e in recorder.events() if e["type"] == "replies"]
    finally:
        recorder.close()

    # Then the agent got one event per changed reply, and applying them to the stale copy
    # gives what a fresh fetch gives
    assert sorted(e["op"] for e in events) == ["add", "update"]
    state = {r["id"]: r for r in stale}
    for event in events:
        state[event["id"]] = event["reply"]
    fresh = client.get("replies?limit=500").json()["items"]
    assert sorted(state.values(), key=lambda r: r["id"]) == sorted(fresh, key=lambda r: r["id"])


@pytest.mark.django_db
def test_a_big_import_sends_one_reload_event_to_the_library_audience(
        org: Organization, owner: Member, agent: Member, make_member: Any, tmp_path: Path,
        django_capture_on_commit_callbacks: Any):
    # Given an agent of 售前 and one of 售后 watching
    other = make_member(org, "agent", "kefu2", departments=("售后",))
    presales, aftersales = EventRecorder(agent), EventRecorder(other)
    rows = [[f"N{i}", "", "", f"标题{i}", f"内容{i}", "", "", ""] for i in range(201)]

    # When 201 replies are imported into the 售前 library
    try:
        with django_capture_on_commit_callbacks(execute=True):
            plan = plan_of(org, write_csv(tmp_path / "big.csv", rows), "department:售前",
                           owner)
            apply_plan(plan, owner)
        seen, unseen = presales.events(), aftersales.events()
    finally:
        presales.close()
        aftersales.close()

    # Then 售前 gets one reload event, and 售后 nothing
    assert seen == [{"type": "replies", "op": "reload", "library_id": plan.library.id}]
    assert unseen == []


@pytest.mark.django_db
def test_bringing_back_a_deleted_reply_checks_the_shortcut_it_had(
        org: Organization, company_lib: Library, make_reply: MakeReply, tmp_path: Path):
    # Given a deleted reply whose shortcut another reply took meanwhile
    old = make_reply(company_lib, title="几天发货", key="K1", shortcut="/fh")
    actions.do_delete_reply(None, old)
    make_reply(company_lib, key="K2", shortcut="/fh")
    # When a file without a shortcut column brings K1 back
    path = write_csv(tmp_path / "back.csv", [["K1", "几天发货", "回来了"]],
                     header=["编号", "标题", "内容"])

    plan = plan_of(org, path)

    # Then the clash is reported rather than two live replies sharing /fh
    assert [(p.row, p.column, p.message) for p in plan.problems] == [
        (2, "快捷码", "The shortcut /fh is already used by another reply.")]
