"""Learning from agents' picks: a use with a buyer message becomes an example at once (in
the use's transaction, masked), changes the next suggestion for a paraphrase, and can be
listed and deleted by supervisors."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from kefu.core.errors import Forbidden
from kefu.core.events.hub import Audience, Envelope
from kefu.core.models import AuditLog, Member
from kefu.replies.actions import do_record_use
from kefu.replies.models import Reply, ReplyUse
from kefu.suggestions.actions import do_delete_example, do_learn_example
from kefu.suggestions.models import LearnedExample
from kefu.suggestions.registry import REGISTRY
from tests.suggestions.conftest import keys

# Nothing in the library's text says this is a closing: only what agents did can.
MESSAGE = "行吧那我再等等看"
PARAPHRASE = "行 那我再等等"


@pytest.mark.django_db(transaction=True)  # the model hears of examples on commit
def test_a_learned_pair_changes_the_next_suggestion_for_a_paraphrase(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    client = api(agent)
    before = keys(client.post("suggest", {"message": PARAPHRASE}))
    assert before[0] != "JS-01"

    # When an agent uses the closing reply for the buyer's message
    resp = client.post(f"replies/{library['JS-01'].id}/uses",
                       {"source": "suggest", "message": MESSAGE})
    assert resp.status_code == 201

    # Then the very next suggestion for a paraphrase puts it first, and says why
    body = client.post("suggest", {"message": PARAPHRASE}).json()
    assert body["suggestions"][0]["key"] == "JS-01"
    assert body["suggestions"][0]["why"]["match"] == "learned"
    assert body["suggestions"][0]["why"]["similar_message"] == MESSAGE


@pytest.mark.django_db(transaction=True)
def test_the_example_is_stored_with_the_use_and_masked(
        library: dict[str, Reply], agent: Member) -> None:
    use = do_record_use(agent, library["FH-02"], "suggest",
                        "亲 我电话13812345678 快递到哪了")
    example = LearnedExample.objects.get()
    assert example.use_id == use.id
    assert example.reply_id == library["FH-02"].id
    assert example.message == "亲 我电话[电话] 快递到哪了"
    assert example.normalized == "我电话 快递到哪了"  # the mark of a mask is noise
    assert example.created_by == agent
    assert "13812345678" not in ReplyUse.objects.get().message


@pytest.mark.django_db(transaction=True)
def test_a_use_rolled_back_leaves_no_example(library: dict[str, Reply],
                                             agent: Member) -> None:
    def failing_request() -> None:
        with transaction.atomic():
            do_record_use(agent, library["FH-02"], "suggest", "快递到哪了")
            raise RuntimeError("the request failed after the use")

    with pytest.raises(RuntimeError):
        failing_request()
    assert not LearnedExample.objects.exists()
    assert not ReplyUse.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_use_without_a_message_or_with_only_a_greeting_teaches_nothing(
        library: dict[str, Reply], agent: Member) -> None:
    do_record_use(agent, library["FH-02"], "search")
    do_record_use(agent, library["FH-02"], "suggest", "在吗😊")
    assert not LearnedExample.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_example_learned_in_another_process_arrives_through_the_bus(
        library: dict[str, Reply], org: Any, agent: Member, api: Any) -> None:
    # Given this process's model is built
    client = api(agent)
    client.post("suggest", {"message": PARAPHRASE})
    # When another process announces an example (as the Redis reader would deliver it)
    REGISTRY.on_event(Envelope((1, 0), org.id, Audience.all(), {
        "type": "suggestion_examples", "op": "add", "id": 999_999,
        "reply_id": library["JS-01"].id, "normalized": MESSAGE}))
    # Then suggestions here use it without reading the database
    assert keys(client.post("suggest", {"message": PARAPHRASE}))[0] == "JS-01"


@pytest.mark.django_db(transaction=True)
def test_a_deleted_example_no_longer_counts(library: dict[str, Reply], agent: Member,
                                            supervisor: Member, api: Any) -> None:
    client = api(agent)
    client.post("suggest", {"message": PARAPHRASE})
    example = do_learn_example(agent, library["JS-01"], MESSAGE)
    assert example is not None
    assert keys(client.post("suggest", {"message": PARAPHRASE}))[0] == "JS-01"

    resp = api(supervisor).delete(f"suggestions/examples/{example.id}")

    assert resp.status_code == 204
    assert not LearnedExample.objects.exists()
    assert keys(client.post("suggest", {"message": PARAPHRASE}))[0] != "JS-01"
    assert AuditLog.objects.filter(action="suggestion_example.delete").count() == 1


@pytest.mark.django_db
def test_supervisors_list_and_search_examples_newest_first(
        library: dict[str, Reply], agent: Member, supervisor: Member, api: Any) -> None:
    for text in ("快递到哪了", "物流怎么不动", "退款什么时候到"):
        do_learn_example(agent, library["FH-02"], text)
    client = api(supervisor)

    everything = client.get("suggestions/examples").json()
    found = client.get("suggestions/examples?q=物流").json()

    assert everything["count"] == 3
    assert [e["message"] for e in everything["items"]] == ["退款什么时候到", "物流怎么不动",
                                                           "快递到哪了"]
    assert everything["items"][0]["reply_key"] == "FH-02"
    assert everything["items"][0]["source"] == "use"
    assert [e["message"] for e in found["items"]] == ["物流怎么不动"]


@pytest.mark.django_db
def test_agents_may_not_list_or_delete_examples(library: dict[str, Reply], agent: Member,
                                                api: Any) -> None:
    example = do_learn_example(agent, library["FH-02"], "快递到哪了")
    assert example is not None
    client = api(agent)
    assert client.get("suggestions/examples").status_code == 403
    resp = client.delete(f"suggestions/examples/{example.id}")
    assert resp.status_code == 403
    assert resp.json()["detail"]
    assert LearnedExample.objects.count() == 1
    with pytest.raises(Forbidden):
        do_delete_example(agent, example)


@pytest.mark.django_db
def test_a_use_counted_in_the_rows_a_model_read_is_not_counted_again(
        library: dict[str, Reply], supervisor: Member):
    # Given a model just built from the database
    model = REGISTRY.get(supervisor.organization_id)
    reply = library["FH-01"]
    slot = model.slot_of[reply.id]
    before = float(model.usage[slot])

    def use_event(at: float) -> dict[str, Any]:
        return {"type": "reply_uses", "op": "add", "id": reply.id,
                "member_id": supervisor.id, "at": at}

    # When the event of a use made before the rows were read arrives (replayed after a
    # build that read the database while it was on its way), it is not counted twice
    REGISTRY.apply(supervisor.organization_id, model, use_event(model.read_at - 1))
    assert float(model.usage[slot]) == before
    # And a use made after the read is counted
    REGISTRY.apply(supervisor.organization_id, model, use_event(model.read_at + 1))
    assert float(model.usage[slot]) == before + 1
