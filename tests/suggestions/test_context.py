"""Conversation context: suggestions learn which reply follows which (history sessions, uses
recorded with a conversation) and read the conversation so far; what a member may not see
in the context is ignored without a trace; the model rebuilt from the database is the live
one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import translation

from kefu.core.models import Member
from kefu.replies.access import get_library
from kefu.replies.actions import do_create_reply
from kefu.replies.models import Reply, Scope
from kefu.suggestions.actions import do_import_history
from kefu.suggestions.history import parse_history
from kefu.suggestions.models import LearnedExample
from kefu.suggestions.registry import REGISTRY
from tests.suggestions.conftest import keys

# A reply to this message depends on what came before: after the parcel was looked up the
# agent closed the chat; after a return was explained they told how the refund works.
AMBIGUOUS = "那行吧我知道了"


def _history(*rows: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def _learn_two_conversations(org: Any) -> None:
    parsed = parse_history(org, _history(
        {"message": "快递到哪了", "reply_key": "FH-02", "session": "s1"},
        {"message": AMBIGUOUS, "reply_key": "JS-01", "session": "s1"},
        {"message": "不喜欢能退吗", "reply_key": "TH-01", "session": "s2"},
        {"message": AMBIGUOUS, "reply_key": "TK-01", "session": "s2"},
    ))
    assert parsed.problems == []
    assert do_import_history(None, org, parsed.rows).learned == 4


def _after(library: dict[str, Reply], key: str, buyer: str) -> list[dict[str, Any]]:
    return [{"from": "buyer", "text": buyer}, {"from": "agent", "reply_id": library[key].id}]


@pytest.mark.django_db(transaction=True)
def test_the_previous_reply_decides_the_next_suggestion_after_learned_transitions(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    # Given two imported conversations where the same message got different replies
    _learn_two_conversations(agent.organization)
    client = api(agent)

    # When the same message is asked after each of the two earlier replies
    after_parcel = client.post("suggest", {
        "message": AMBIGUOUS, "context": _after(library, "FH-02", "快递到哪了")})
    after_return = client.post("suggest", {
        "message": AMBIGUOUS, "context": _after(library, "TH-01", "不喜欢能退吗")})

    # Then each conversation gets the reply that followed in it, and says why
    assert keys(after_parcel)[0] == "JS-01"
    assert keys(after_return)[0] == "TK-01"
    why = after_parcel.json()["suggestions"][0]["why"]
    assert why["context"] > 0.5
    assert why["context_lift"] > 1


@pytest.mark.django_db(transaction=True)
def test_history_sessions_store_turns_and_previous_replies(
        library: dict[str, Reply], supervisor: Member) -> None:
    parsed = parse_history(supervisor.organization, _history(
        {"message": "快递到哪了", "reply_key": "FH-02", "session": "a"},
        {"message": "快递到哪了", "reply_key": "FH-01", "session": "a"},  # same turn
        {"message": "不喜欢能退吗", "reply_key": "TH-01", "session": 7},  # another session
        {"message": AMBIGUOUS, "reply_key": "JS-01", "session": "a"},
        {"message": "退款多久到账", "reply_key": "TK-01"},  # no session: no place
    ))
    assert parsed.problems == []
    do_import_history(supervisor, supervisor.organization, parsed.rows)

    got = [(e.reply.key, e.conversation, e.turn, e.previous_replies)
           for e in LearnedExample.objects.order_by("id").select_related("reply")]
    pair = sorted([library["FH-02"].id, library["FH-01"].id])
    assert [(k, c, t, sorted(p)) for k, c, t, p in got] == [
        ("FH-02", "a", 0, []), ("FH-01", "a", 0, []), ("TH-01", "7", 0, []),
        ("JS-01", "a", 1, pair), ("TK-01", "", None, []),
    ]


@pytest.mark.django_db
def test_a_session_that_is_not_text_is_a_reported_problem(library: dict[str, Reply],
                                                         supervisor: Member) -> None:
    with translation.override("zh-hans"):  # the report is in the user's language
        parsed = parse_history(supervisor.organization, _history(
            {"message": "快递到哪了", "reply_key": "FH-02", "session": ["a"]},
            {"message": "快递到哪了", "reply_key": "FH-02", "session": "x" * 101}))
    assert parsed.rows == []
    assert [p["line"] for p in parsed.problems] == [1, 2]
    assert parsed.problems[0]["message"] == "session 必须是不超过 100 个字符的文本。"


@pytest.mark.django_db(transaction=True)
def test_uses_with_a_conversation_learn_the_sequence_at_once(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    client = api(agent)
    for key, message in (("FH-02", "快递到哪了"), ("FH-01", "快递到哪了"),
                         ("JS-01", AMBIGUOUS)):
        resp = client.post(f"replies/{library[key].id}/uses",
                           {"source": "suggest", "message": message, "conversation": "chat-9"})
        assert resp.status_code == 201, resp.content
    client.post(f"replies/{library['TK-01'].id}/uses",
                {"source": "suggest", "message": AMBIGUOUS, "conversation": "chat-10"})

    last = LearnedExample.objects.filter(conversation="chat-9").order_by("-id").first()
    assert last is not None
    assert last.turn == 1
    assert sorted(last.previous_replies) == sorted([library["FH-02"].id, library["FH-01"].id])
    assert LearnedExample.objects.get(conversation="chat-10").turn == 0

    # The live model already knows: after the parcel look-up comes the closing.
    after = client.post("suggest", {"message": AMBIGUOUS,
                                    "context": _after(library, "FH-02", "快递到哪了")})
    assert keys(after)[0] == "JS-01"


@pytest.mark.django_db(transaction=True)
def test_the_model_rebuilt_from_the_database_ranks_as_the_live_one(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    client = api(agent)
    for conversation, steps in (("c1", [("FH-02", "快递到哪了"), ("JS-01", AMBIGUOUS)]),
                                ("c2", [("TH-01", "不喜欢能退吗"), ("TK-01", AMBIGUOUS)]),
                                ("c3", [("FH-02", "物流怎么不动了"), ("JS-01", "好的 没有了")])):
        for key, message in steps:
            client.post(f"replies/{library[key].id}/uses",
                        {"source": "suggest", "message": message,
                         "conversation": conversation})
    asks = [{"message": AMBIGUOUS, "limit": 7, "context": _after(library, k, m)}
            for k, m in (("FH-02", "快递到哪了"), ("TH-01", "不喜欢能退吗"))]
    asks.append({"message": AMBIGUOUS, "limit": 7, "context": []})

    def answers() -> list[Any]:
        out = []
        for body in asks:
            answer = client.post("suggest", body).json()
            answer.pop("took_ms")
            out.append(answer)
        return out

    live = answers()  # the model learned the uses one event at a time
    REGISTRY.clear()
    assert answers() == live


@pytest.mark.django_db
def test_context_without_turns_or_unknown_ids_changes_nothing_before_learning(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    client = api(agent)
    plain = client.post("suggest", {"message": "快递到哪了"}).json()
    for context in ([], [{"from": "agent", "reply_id": 10**9}],
                    [{"from": "buyer", "text": "在吗"}, {"from": "agent", "text": "您好"}]):
        got = client.post("suggest", {"message": "快递到哪了", "context": context}).json()
        assert got["suggestions"] == plain["suggestions"]


@pytest.mark.django_db
@pytest.mark.parametrize(("context", "detail"), [
    ([{"from": "buyer"}], "Context turn 1: a buyer turn needs its text."),
    ([{"from": "buyer", "text": "在吗"}, {"from": "agent", "text": "  "}],
     "Context turn 2: an agent turn needs a reply_id or its text."),
])
def test_incomplete_context_turns_are_refused_in_chinese(
        library: dict[str, Reply], agent: Member, api: Any, context: Any, detail: str) -> None:
    resp = api(agent).post("suggest", {"message": "快递到哪了", "context": context})
    assert resp.status_code == 400
    assert resp.json()["detail"] == {
        "Context turn 1: a buyer turn needs its text.": "上下文第 1 轮：买家的一轮需要有文字。",
        "Context turn 2: an agent turn needs a reply_id or its text.":
            "上下文第 2 轮：客服的一轮需要 reply_id 或文字。",
    }[detail]


@pytest.mark.django_db
def test_malformed_context_is_a_422_in_chinese(library: dict[str, Reply], agent: Member,
                                               api: Any) -> None:
    client = api(agent)
    resp = client.post("suggest", {"message": "快递到哪了",
                                   "context": [{"from": "robot", "text": "在吗"}]})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "context.0.from"
    assert resp.json()["errors"][0]["message"].startswith("必须是以下值之一")

    too_long = [{"from": "buyer", "text": "在吗"}] * 31
    resp = client.post("suggest", {"message": "快递到哪了", "context": too_long})
    assert resp.status_code == 422
    assert resp.json()["errors"][0] == {"field": "context", "message": "太多了：最多 30 项。"}

    resp = client.post("suggest", {"message": "快递到哪了",
                                   "context": [{"from": "agent", "reply_id": "十二"}]})
    assert resp.status_code == 422


@pytest.mark.django_db(transaction=True)
def test_a_reply_the_member_cannot_see_counts_as_no_reply_at_all(
        library: dict[str, Reply], agent: Member, supervisor: Member, api: Any) -> None:
    # Given a supervisor's personal reply that taught a strong transition
    private = do_create_reply(supervisor, get_library(supervisor, Scope.PERSONAL),
                              {"key": "MY-01", "title": "我的私人话术", "body": "私人内容"})
    parsed = parse_history(supervisor.organization, _history(
        {"message": "快递到哪了", "reply_key": "MY-01", "session": "p"},
        {"message": AMBIGUOUS, "reply_key": "JS-01", "session": "p"},
        {"message": "不喜欢能退吗", "reply_key": "TH-01", "session": "q"},
        {"message": AMBIGUOUS, "reply_key": "TK-01", "session": "q"},
    ))
    do_import_history(None, supervisor.organization, parsed.rows)

    # When an agent, who cannot see it, names it in the context
    client = api(agent)
    named = client.post("suggest", {"message": AMBIGUOUS,
                                    "context": [{"from": "agent", "reply_id": private.id}]})
    nothing = client.post("suggest", {"message": AMBIGUOUS,
                                      "context": [{"from": "agent", "reply_id": 10**9}]})

    # Then the answer is exactly the one for an id that does not exist
    assert named.status_code == nothing.status_code == 200
    a, b = named.json(), nothing.json()
    a.pop("took_ms"), b.pop("took_ms")
    assert a == b
    assert "MY-01" not in json.dumps(a)
    # ... while the supervisor, who can see it, gets the transition
    mine = api(supervisor).post("suggest", {
        "message": AMBIGUOUS, "context": [{"from": "agent", "reply_id": private.id}]})
    assert keys(mine)[0] == "JS-01"


@pytest.mark.django_db(transaction=True)
def test_conversations_and_context_stay_inside_the_organization(
        library: dict[str, Reply], agent: Member, outsider: Member, api: Any) -> None:
    # Given the same conversation id used in two organizations
    theirs = do_create_reply(outsider, get_library(outsider, Scope.COMPANY),
                             {"key": "X-01", "title": "别家话术", "body": "别家内容"})
    api(outsider).post(f"replies/{theirs.id}/uses", {"source": "suggest", "message": "快递到哪了",
                                                     "conversation": "shared-id"})
    api(agent).post(f"replies/{library['JS-01'].id}/uses",
                    {"source": "suggest", "message": AMBIGUOUS, "conversation": "shared-id"})

    # Then ours starts its own conversation: nothing of theirs came before it
    ours = LearnedExample.objects.get(organization=agent.organization)
    assert (ours.turn, ours.previous_replies) == (0, [])

    # And their reply id in our context is ignored like one that does not exist
    client = api(agent)
    named = client.post("suggest", {"message": AMBIGUOUS,
                                    "context": [{"from": "agent", "reply_id": theirs.id}]})
    nothing = client.post("suggest", {"message": AMBIGUOUS,
                                      "context": [{"from": "agent", "reply_id": 10**9}]})
    a, b = named.json(), nothing.json()
    a.pop("took_ms"), b.pop("took_ms")
    assert a == b


@pytest.mark.django_db(transaction=True)
def test_an_agent_text_equal_to_a_visible_reply_counts_as_that_reply(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    _learn_two_conversations(agent.organization)
    pasted = [{"from": "buyer", "text": "不喜欢能退吗"},
              {"from": "agent", "text": library["TH-01"].body + " "}]
    assert keys(api(agent).post("suggest", {"message": AMBIGUOUS, "context": pasted}))[0] \
        == "TK-01"
