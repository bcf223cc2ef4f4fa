"""The reply editor (new, edit, conflicts) and the revision history page (diff, restore)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.models import Library, Reply, Revision
from kefu.replies.views.diff import text_diff
from tests.replies.conftest import MakeReply
from tests.replies.web import XSS_BODY, XSS_TITLE, assert_escaped, client_for, html


@pytest.fixture
def sup(supervisor: Member) -> Client:
    return client_for(supervisor)


def form_data(reply: Reply, **changes: Any) -> dict[str, Any]:
    data = {"title": reply.title, "body": reply.body,
            "place": f"cat:{reply.category_id}" if reply.category_id else f"lib:{reply.library_id}",
            "shortcut": reply.shortcut, "tags": "、".join(reply.tags),
            "questions": "\n".join(reply.questions), "key": reply.key,
            "is_active": "on" if reply.is_active else "", "version": reply.version}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


# --- new and edit ---------------------------------------------------------------------

def test_new_reply_page_offers_the_libraries_the_member_manages(
        sup: Client, supervisor: Member, company_lib: Library):
    cat = actions.do_create_category(supervisor, company_lib, "催付")
    page = html(sup.get(f"/library/replies/new?library={company_lib.id}&category={cat.id}"))
    assert f'<option value="cat:{cat.id}" selected>' in page
    assert "{买家昵称}" in page  # the palette
    assert "data-preview" in page


def test_supervisor_creates_a_reply_with_tags_and_questions(
        sup: Client, supervisor: Member, company_lib: Library):
    cat = actions.do_create_category(supervisor, company_lib, "催付")
    resp = sup.post("/library/replies/new", {
        "title": "催付款", "body": "亲，{买家昵称}，您的订单还没付款哦～", "place": f"cat:{cat.id}",
        "shortcut": "/cf1", "tags": "催付、活动", "questions": "还没付款\n怎么付款",
        "is_active": "on"})
    assert resp.status_code == 302
    reply = Reply.objects.get(title="催付款")
    assert reply.library_id == company_lib.id
    assert reply.category_id == cat.id
    assert reply.tags == ["催付", "活动"]
    assert reply.questions == ["还没付款", "怎么付款"]
    assert reply.shortcut == "/cf1"


def test_editor_shows_the_actions_refusal_on_the_field(
        sup: Client, company_lib: Library, make_reply: MakeReply):
    make_reply(company_lib, "已有", shortcut="/tk1")
    resp = sup.post("/library/replies/new", {"title": "新的", "body": "内容",
                                             "place": f"lib:{company_lib.id}",
                                             "shortcut": "/tk1"})
    assert resp.status_code == 400
    assert "already used by another reply" in html(resp)
    assert not Reply.objects.filter(title="新的").exists()


def test_edit_saves_a_new_version(sup: Client, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib, "发货时间", "48小时内发货")
    resp = sup.post(f"/library/replies/{reply.id}/edit",
                    form_data(reply, body="24小时内发货"))
    assert resp.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "24小时内发货"
    assert reply.version == 2


def test_edit_without_a_version_is_refused(sup: Client, company_lib: Library,
                                           make_reply: MakeReply):
    reply = make_reply(company_lib, "发货时间", "48小时内发货")
    data = form_data(reply, body="改了")
    del data["version"]
    assert sup.post(f"/library/replies/{reply.id}/edit", data).status_code == 400
    reply.refresh_from_db()
    assert reply.body == "48小时内发货"


def test_stale_edit_shows_the_conflict_and_changes_nothing(
        sup: Client, owner: Member, company_lib: Library, make_reply: MakeReply):
    # Given a reply the supervisor opened at version 1
    reply = make_reply(company_lib, "退款时效", "1-3个工作日到账", questions=["多久到账", "钱呢"])
    # (browsers send textarea lines with CRLF; that is not a difference)
    stale = form_data(reply, body="我的改动：24小时内到账", questions="多久到账\r\n钱呢")
    # When someone else saves first
    actions.do_edit_reply(owner, reply, 1, {"body": "他们的改动：3-5个工作日到账"})
    # Then saving the stale form is refused with both versions shown
    resp = sup.post(f"/library/replies/{reply.id}/edit", stale)
    assert resp.status_code == 409
    page = html(resp)
    assert "Someone else saved this reply" in page
    assert "他们的改动：3-5个工作日到账" in page
    assert "我的改动：24小时内到账" in page
    assert 'name="version" value="2"' in page  # saving again means "mine, having seen theirs"
    assert "<h3>Reply text</h3>" in page
    assert "<h3>Example questions</h3>" not in page
    reply.refresh_from_db()
    assert reply.body == "他们的改动：3-5个工作日到账"
    assert reply.version == 2
    # And saving again from the conflict page is a deliberate overwrite
    resp = sup.post(f"/library/replies/{reply.id}/edit", {**stale, "version": 2})
    assert resp.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "我的改动：24小时内到账"
    assert reply.version == 3


def test_reply_text_is_escaped_in_the_editor(sup: Client, company_lib: Library,
                                             make_reply: MakeReply):
    reply = make_reply(company_lib, XSS_TITLE, XSS_BODY)
    assert_escaped(html(sup.get(f"/library/replies/{reply.id}/edit")))


def test_moving_a_reply_to_another_library(sup: Client, supervisor: Member,
                                           company_lib: Library, presales_lib: Library,
                                           make_reply: MakeReply):
    reply = make_reply(company_lib, "搬家")
    resp = sup.post(f"/library/replies/{reply.id}/edit",
                    form_data(reply, place=f"lib:{presales_lib.id}"))
    assert resp.status_code == 302
    reply.refresh_from_db()
    assert reply.library_id == presales_lib.id


def test_agent_cannot_place_a_reply_in_a_shared_library(
        agent: Member, company_lib: Library):
    client = client_for(agent)
    resp = client.post("/library/replies/new", {"title": "偷偷加", "body": "内容",
                                                "place": f"lib:{company_lib.id}"})
    assert resp.status_code == 400  # not a choice the agent has
    assert not Reply.objects.filter(title="偷偷加").exists()


# --- history --------------------------------------------------------------------------

def test_history_diff_marks_the_change_and_restore_brings_it_back(
        sup: Client, owner: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib, "发货", "亲，48小时内发货哦")
    actions.do_edit_reply(owner, reply, 1, {"body": "亲，24小时内发货哦"})
    # The history page lists both versions newest first and marks what changed
    page = html(sup.get(f"/library/replies/{reply.id}/history"))
    assert page.index('data-label="Version">2 ') < page.index('data-label="Version">1<')
    assert "<del>48</del><ins>24</ins>" in page
    assert "Restore version 1" in page
    # Comparing an explicit version works too
    assert "<del>48</del><ins>24</ins>" in html(
        sup.get(f"/library/replies/{reply.id}/history?compare=1"))
    # Restoring version 1 stores it as version 3
    resp = sup.post(f"/library/replies/{reply.id}/restore", {"revision": 1, "version": 2})
    assert resp.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "亲，48小时内发货哦"
    assert reply.version == 3
    assert Revision.objects.get(reply=reply, version=3).action == "restore"


def test_restore_with_a_stale_version_changes_nothing(
        sup: Client, owner: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib, "发货", "版本一")
    actions.do_edit_reply(owner, reply, 1, {"body": "版本二"})
    actions.do_edit_reply(owner, reply, 2, {"body": "版本三"})
    resp = sup.post(f"/library/replies/{reply.id}/restore", {"revision": 1, "version": 2},
                    follow=True)
    assert "nothing was restored" in html(resp)
    reply.refresh_from_db()
    assert reply.body == "版本三"
    assert reply.version == 3


def test_history_of_an_unknown_version_is_404(sup: Client, company_lib: Library,
                                              make_reply: MakeReply):
    reply = make_reply(company_lib)
    assert sup.get(f"/library/replies/{reply.id}/history?compare=9").status_code == 404


def test_agent_reads_history_of_a_shared_reply_without_restore(
        agent: Member, owner: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib, "公司话术", "旧")
    actions.do_edit_reply(owner, reply, 1, {"body": "新"})
    page = html(client_for(agent).get(f"/library/replies/{reply.id}/history"))
    assert "<del>旧</del><ins>新</ins>" in page
    assert "/restore" not in page


def test_reply_text_is_escaped_in_the_history(sup: Client, owner: Member,
                                              company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib, XSS_TITLE, "安全的开头")
    actions.do_edit_reply(owner, reply, 1, {"body": XSS_BODY})
    page = html(sup.get(f"/library/replies/{reply.id}/history"))
    assert_escaped(page)


# --- the diff itself ------------------------------------------------------------------

def test_text_diff_marks_single_characters_in_chinese_text():
    assert text_diff("亲，48小时内发货", "亲，24小时内发货") == [
        ("equal", "亲，"), ("delete", "48"), ("insert", "24"), ("equal", "小时内发货")]


def test_text_diff_of_added_lines():
    assert text_diff("第一行\n", "第一行\n第二行\n") == [("equal", "第一行\n"),
                                                     ("insert", "第二行\n")]
