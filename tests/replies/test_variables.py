"""Variables in replies: conversation values, organization variables, built-ins, and what
could not be filled is reported, never silently dropped."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from kefu.core import actions as core_actions
from kefu.core.models import Member
from kefu.replies.models import Scope, Variable
from kefu.replies.variables import chinese_date
from tests.replies.conftest import MakeReply, library_of


@pytest.fixture
def client(supervisor: Member, api: Any) -> Any:
    return api(supervisor)


def _variable(client: Any, name: str, value: str) -> Any:
    resp = client.post("variables", {"name": name, "value": value})
    assert resp.status_code == 201, resp.content
    return resp.json()


@pytest.mark.django_db
def test_render_fills_conversation_organization_and_builtin_variables(
        org: Any, owner: Member, agent: Member, client: Any, api: Any):
    # Given an organization variable, and an agent shown to buyers as 小美
    _variable(client, "活动.满减", "满300减50")
    agent = core_actions.do_change_member(agent, owner, display_name="小美")

    # When the agent renders a text using every kind of variable
    before = chinese_date(timezone.localdate())
    resp = api(agent).post("render", {
        "text": "{买家昵称}您好，我是{店铺名}的{客服昵称}，今天{今天}，{活动.满减}哦，订单{订单号}",
        "values": {"买家昵称": "小王", "订单号": "2024110112345"}})
    after = chinese_date(timezone.localdate())

    # Then every one is filled, and nothing is missing or unknown
    assert resp.status_code == 200, resp.content
    out = resp.json()
    assert out["text"] in {
        f"小王您好，我是好物旗舰店的小美，今天{day}，满300减50哦，订单2024110112345"
        for day in (before, after)}
    assert out["missing"] == []
    assert out["unknown"] == []
    assert out["used"] == ["买家昵称", "店铺名", "客服昵称", "今天", "活动.满减", "订单号"]


@pytest.mark.django_db
def test_unknown_and_unfilled_variables_are_reported_and_kept_in_the_text(client: Any):
    # When a text with a typo'd variable and a conversation variable without a value renders
    resp = client.post("render", {"text": "{买家昵称}亲，{活动.满简}今天截止", "values": {}})

    # Then the text keeps both placeholders, and each is reported for what it is
    assert resp.status_code == 200
    out = resp.json()
    assert out["text"] == "{买家昵称}亲，{活动.满简}今天截止"
    assert out["missing"] == ["买家昵称"]
    assert out["unknown"] == ["活动.满简"]


@pytest.mark.django_db
def test_an_organization_variable_without_a_value_is_missing_not_unknown(client: Any):
    _variable(client, "活动.赠品", "")

    out = client.post("render", {"text": "下单送{活动.赠品}"}).json()

    assert out["text"] == "下单送{活动.赠品}"
    assert (out["missing"], out["unknown"]) == (["活动.赠品"], [])


@pytest.mark.django_db
def test_changing_an_organization_variable_once_changes_every_reply(
        owner: Member, agent: Member, client: Any, make_reply: MakeReply, api: Any):
    # Given two replies using {活动.满减}
    var = _variable(client, "活动.满减", "满300减50")
    company = library_of(owner, Scope.COMPANY)
    first = make_reply(company, body="现在{活动.满减}")
    second = make_reply(company, body="下单立享{活动.满减}，快来抢")

    # When the supervisor changes the value once
    resp = client.patch(f"variables/{var['id']}", {"name": "活动.满减", "value": "满200减30",
                                                   "version": var["version"]})

    # Then both replies render with the new value for everyone
    assert resp.status_code == 200
    rendered = [api(agent).post("render", {"reply_id": r.id}).json()["text"]
                for r in (first, second)]
    assert rendered == ["现在满200减30", "下单立享满200减30，快来抢"]


@pytest.mark.django_db
def test_stale_variable_edit_is_refused_with_409_and_nothing_changes(
        client: Any, admin: Member, api: Any):
    # Given a variable, changed by the supervisor since the admin opened it
    var = _variable(client, "活动.满减", "满300减50")
    ok = client.patch(f"variables/{var['id']}", {"name": "活动.满减", "value": "满200减30",
                                                 "version": 1})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2

    # When the admin saves from version 1
    resp = api(admin).patch(f"variables/{var['id']}", {"name": "活动.满减", "value": "满100减5",
                                                       "version": 1})

    # Then it is refused with the current variable, which keeps the supervisor's value
    assert resp.status_code == 409
    assert resp.json()["detail"]
    assert resp.json()["current"]["value"] == "满200减30"
    assert resp.json()["current"]["version"] == 2
    assert Variable.objects.get(pk=var["id"]).value == "满200减30"


@pytest.mark.django_db
def test_agents_cannot_create_change_or_delete_variables(
        client: Any, agent: Member, api: Any):
    var = _variable(client, "活动.满减", "满300减50")
    theirs = api(agent)

    created = theirs.post("variables", {"name": "活动.私自", "value": "全场免单"})
    changed = theirs.patch(f"variables/{var['id']}", {"name": "活动.满减", "value": "免单",
                                                      "version": 1})
    deleted = theirs.delete(f"variables/{var['id']}")

    assert (created.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert list(Variable.objects.values_list("name", "value")) == [("活动.满减", "满300减50")]
    # but they can read them
    assert [v["name"] for v in theirs.get("variables").json()["items"]] == ["活动.满减"]


@pytest.mark.django_db
def test_variable_names_are_unique_and_builtins_cannot_be_redefined(client: Any):
    _variable(client, "活动.满减", "满300减50")

    dup = client.post("variables", {"name": "{活动.满减}", "value": "满1减1"})
    builtin = client.post("variables", {"name": "店铺名", "value": "冒牌店"})
    bad = client.post("variables", {"name": "活动 满减", "value": "x"})

    assert (dup.status_code, builtin.status_code, bad.status_code) == (400, 400, 400)
    assert all(r.json()["detail"] and r.json()["field"] == "name" for r in (dup, builtin, bad))
    assert Variable.objects.count() == 1


@pytest.mark.django_db
def test_deleted_variable_is_reported_unknown_in_replies_that_still_use_it(
        client: Any, owner: Member, make_reply: MakeReply):
    var = _variable(client, "活动.满减", "满300减50")
    reply = make_reply(library_of(owner, Scope.COMPANY), body="{活动.满减}")

    assert client.delete(f"variables/{var['id']}").status_code == 204
    out = client.post("render", {"reply_id": reply.id}).json()

    assert (out["text"], out["unknown"]) == ("{活动.满减}", ["活动.满减"])


@pytest.mark.django_db
def test_render_of_a_reply_the_member_cannot_see_is_404(
        owner: Member, agent: Member, make_reply: MakeReply, api: Any):
    secret = make_reply(library_of(owner, Scope.PERSONAL), body="老板的私人话术")

    resp = api(agent).post("render", {"reply_id": secret.id})

    assert resp.status_code == 404
    assert "私人" not in resp.content.decode()


@pytest.mark.django_db
def test_render_without_text_or_reply_is_refused(client: Any):
    resp = client.post("render", {"values": {"买家昵称": "小王"}})

    assert resp.status_code == 400
    assert resp.json()["detail"]
