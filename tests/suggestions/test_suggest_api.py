"""POST /api/v1/suggest: the answer's shape, ranking by the library's own text, calming an
angry buyer first, variables filled from the message, visibility, and 4xx on bad input."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import Member, Role
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Reply, Scope
from tests.suggestions.conftest import keys


@pytest.mark.django_db
def test_the_answer_has_intent_entities_escalation_suggestions_and_timing(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    resp = api(agent).post("suggest", {"message": "亲在吗 啥时候发货呀😊", "limit": 3})

    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"intent", "entities", "escalate", "suggestions", "took_ms"}
    assert body["intent"] == {"category": "发货物流", "confidence": body["intent"]["confidence"]}
    assert 0.5 < body["intent"]["confidence"] <= 1
    assert body["escalate"] is False
    assert len(body["suggestions"]) == 3
    first = body["suggestions"][0]
    assert set(first) == {"reply_id", "key", "title", "text", "score", "why"}
    assert (first["key"], first["reply_id"]) == ("FH-01", library["FH-01"].id)
    assert first["why"]["match"] == "text"
    assert body["took_ms"] >= 0


@pytest.mark.django_db
@pytest.mark.parametrize(("message", "key"), [
    ("退款怎么还没到账啊", "TK-01"),
    ("衣服不喜欢可以退吗", "TH-01"),
    ("我170穿多大码", "CM-01"),
    ("快递到哪了 帮我查查", "FH-02"),
])
def test_the_reply_whose_text_or_example_questions_match_comes_first(
        library: dict[str, Reply], agent: Member, api: Any, message: str, key: str) -> None:
    assert keys(api(agent).post("suggest", {"message": message}))[0] == key


@pytest.mark.django_db
@pytest.mark.parametrize("message", [
    "你们这是骗子吧，发的什么东西", "再不退款我就打12315投诉", "垃圾质量，给你差评",
    "假货，退一赔三！",
])
def test_an_angry_buyer_escalates_and_gets_a_calming_reply_first(
        library: dict[str, Reply], agent: Member, api: Any, message: str) -> None:
    resp = api(agent).post("suggest", {"message": message})
    body = resp.json()
    assert body["escalate"] is True
    assert body["suggestions"][0]["key"] == "AF-01"
    assert body["suggestions"][0]["why"]["match"] == "soothing"
    assert body["suggestions"][0]["why"]["escalation"]
    assert body["intent"]["category"] == "投诉安抚"


@pytest.mark.django_db
def test_the_order_number_in_the_message_fills_the_reply_variable(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    resp = api(agent).post("suggest", {"message": "订单 1234567890123456789 快递到哪了"})
    body = resp.json()
    assert body["entities"]["order_numbers"] == [
        {"value": "1234567890123456789", "platform": "taobao"}]
    first = body["suggestions"][0]
    assert first["key"] == "FH-02"
    assert first["text"] == ("亲，您的订单1234567890123456789已经在路上了，物流显示正常派送中，"
                             "请耐心等待哦。")


@pytest.mark.django_db
def test_without_an_order_number_the_variable_stays_for_the_agent_to_fill(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    first = api(agent).post("suggest", {"message": "快递到哪了"}).json()["suggestions"][0]
    assert "{订单号}" in first["text"]


@pytest.mark.django_db
def test_never_suggests_a_reply_the_member_cannot_see(
        library: dict[str, Reply], org: Any, owner: Member, agent: Member,
        make_member: Any, api: Any) -> None:
    # Given a reply in the 售后 department library and one in a colleague's personal library
    aftersales = get_library(owner, Scope.DEPARTMENT,
                             department=org.departments.get(name="售后")) \
        if org.departments.filter(name="售后").exists() else None
    if aftersales is None:
        make_member(org, Role.AGENT, "kefu9", departments=("售后",))
        aftersales = get_library(owner, Scope.DEPARTMENT,
                                 department=org.departments.get(name="售后"))
    hidden = actions.do_create_reply(owner, aftersales, {
        "key": "SH-9", "title": "破损补发流程", "body": "亲，破损的话拍照给我，马上为您补发。",
        "questions": ["收到东西破损了", "坏了怎么办"]})
    colleague = make_member(org, Role.AGENT, "kefu8", departments=("售前",))
    private = actions.do_create_reply(colleague, get_library(colleague, Scope.PERSONAL), {
        "key": "MY-1", "title": "我的破损话术", "body": "破损了吗？拍照给我看看。",
        "questions": ["东西破损了"]})
    message = {"message": "收到东西破损了怎么办", "limit": 20}

    # When the 售前 agent asks, then neither is suggested; their owners do get them
    assert {"SH-9", "MY-1"}.isdisjoint(keys(api(agent).post("suggest", message)))
    assert keys(api(owner).post("suggest", message))[0] == "SH-9"
    assert "MY-1" not in keys(api(owner).post("suggest", message))
    assert keys(api(colleague).post("suggest", message))[0] == "MY-1"
    assert hidden.id
    assert private.id


@pytest.mark.django_db
def test_another_organization_gets_none_of_our_replies(
        library: dict[str, Reply], outsider: Member, api: Any) -> None:
    body = api(outsider).post("suggest", {"message": "什么时候发货"}).json()
    assert body["suggestions"] == []
    assert body["intent"] == {"category": None, "confidence": 0.0}


@pytest.mark.django_db
@pytest.mark.parametrize(("payload", "field"), [
    ({}, "message"),
    ({"message": ""}, "message"),
    ({"message": "   "}, "message"),
    ({"message": 123}, "message"),
    ({"message": "发货" * 1001}, "message"),
    ({"message": "发货", "limit": 0}, "limit"),
    ({"message": "发货", "limit": 21}, "limit"),
    ({"message": "发货", "limit": "five"}, "limit"),
    ([1, 2], None),
])
def test_malformed_input_is_a_422_with_a_message(library: dict[str, Reply], agent: Member,
                                                 api: Any, payload: Any,
                                                 field: str | None) -> None:
    resp = api(agent).post("suggest", payload)
    assert resp.status_code == 422, resp.content
    assert resp.json()["detail"]
    if field:
        assert field in [e["field"] for e in resp.json()["errors"]]


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_4xx_with_a_message(agent: Member, api: Any) -> None:
    resp = api(agent).client.post("/api/v1/suggest", data="message=发货",
                                  content_type="application/json")
    assert 400 <= resp.status_code < 500
    assert resp.json()["detail"]


@pytest.mark.django_db
def test_suggest_needs_authentication(client: Any) -> None:
    resp = client.post("/api/v1/suggest", {"message": "发货"}, content_type="application/json")
    assert resp.status_code == 401
    assert resp.json()["detail"]


@pytest.mark.django_db
def test_a_message_of_only_greetings_and_emoji_still_answers(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    resp = api(agent).post("suggest", {"message": "在吗😊"})
    assert resp.status_code == 200
    assert resp.json()["escalate"] is False
