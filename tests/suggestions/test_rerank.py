"""The organization's own weighing of the signals, learned from what its agents pick
(rerank.py): nothing changes until there are enough picks; then a team whose replies follow
the conversation gets suggestions that follow it too, live and after a rebuild; deleted
examples are forgotten."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from kefu.core.models import Member
from kefu.replies.models import Reply
from kefu.suggestions.actions import do_delete_example, do_import_history
from kefu.suggestions.history import parse_history
from kefu.suggestions.models import LearnedExample
from kefu.suggestions.registry import REGISTRY
from kefu.suggestions.rerank import CANDIDATES, FEATURES, MIN_ROWS, Reranker

THANKS = "好的谢谢"


def _import(org: Any, rows: list[dict[str, Any]]) -> None:
    parsed = parse_history(org, "\n".join(json.dumps(r, ensure_ascii=False)
                                          for r in rows).encode())
    assert parsed.problems == []
    do_import_history(None, org, parsed.rows)


def _team_that_follows_the_conversation(org: Any) -> None:
    """60 chats close with JS-01 after a parcel look-up, 20 explain the refund (TK-01) after
    a return: the same "好的谢谢" each time. By the message alone JS-01 is three times as
    likely; only the conversation tells them apart, and in this team it always does."""
    rows = []
    for i in range(60):
        rows += [{"message": f"快递到哪了{i}", "reply_key": "FH-02", "session": f"a{i}"},
                 {"message": THANKS, "reply_key": "JS-01", "session": f"a{i}"}]
    for i in range(20):
        rows += [{"message": f"不喜欢能退吗{i}", "reply_key": "TH-01", "session": f"b{i}"},
                 {"message": THANKS, "reply_key": "TK-01", "session": f"b{i}"}]
    _import(org, rows)


def _after(library: dict[str, Reply], key: str, buyer: str) -> list[dict[str, Any]]:
    return [{"from": "buyer", "text": buyer}, {"from": "agent", "reply_id": library[key].id}]


@pytest.mark.django_db(transaction=True)  # the model hears of examples on commit
def test_a_team_that_follows_the_conversation_gets_suggestions_that_follow_it(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    # Given a team whose picks show that the conversation decides
    _team_that_follows_the_conversation(agent.organization)
    client = api(agent)
    after_return = {"message": THANKS, "context": _after(library, "TH-01", "不喜欢能退吗")}
    after_parcel = {"message": THANKS, "context": _after(library, "FH-02", "快递到哪了")}

    # When the ambiguous message comes after a return, and after a parcel look-up
    refund = client.post("suggest", after_return).json()["suggestions"]
    closing = client.post("suggest", after_parcel).json()["suggestions"]

    # Then each gets what this team sends next, ranked by the team's own weighing
    assert [s["key"] for s in refund[:2]] == ["TK-01", "JS-01"]
    assert refund[0]["why"]["reranked"] is True
    assert refund[0]["score"] > refund[1]["score"]
    assert closing[0]["key"] == "JS-01"

    # The default weighing alone would have let the message's 3:1 win over the
    # conversation: the team's picks are what changed it.
    model = REGISTRY.get(agent.organization_id)
    learned, model.reranker.weights = model.reranker.weights, None
    default = client.post("suggest", after_return).json()["suggestions"]
    model.reranker.weights = learned
    assert default[0]["key"] == "JS-01"
    assert "reranked" not in default[0]["why"]


@pytest.mark.django_db(transaction=True)
def test_few_picks_leave_the_ranking_as_it_was(library: dict[str, Reply], agent: Member,
                                               api: Any) -> None:
    _import(agent.organization, [
        {"message": f"快递到哪了{i}", "reply_key": "FH-02", "session": f"a{i}"}
        for i in range(MIN_ROWS)])  # the first pick has nothing to weigh: a row short
    answer = api(agent).post("suggest", {"message": "快递到哪了"}).json()
    assert answer["suggestions"][0]["key"] == "FH-02"
    assert all("reranked" not in s["why"] for s in answer["suggestions"])


@pytest.mark.django_db(transaction=True)
def test_uses_refit_the_weighing_at_once_and_a_rebuild_learns_it_again(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    client = api(agent)
    ask = {"message": THANKS, "context": _after(library, "TH-01", "不喜欢能退吗")}
    assert "reranked" not in client.post("suggest", ask).json()["suggestions"][0]["why"]

    # When agents use replies in 30 conversations (no import, no rebuild)
    for i in range(30):
        first, last = ("TH-01", "TK-01") if i % 3 == 0 else ("FH-02", "JS-01")
        for key, message in ((first, f"问题{i}"), (last, THANKS)):
            resp = client.post(f"replies/{library[key].id}/uses",
                               {"source": "suggest", "message": message,
                                "conversation": f"chat-{i}"})
            assert resp.status_code == 201, resp.content

    # Then the next suggestion is already ranked by the weighing learned from them
    live = client.post("suggest", ask).json()["suggestions"]
    assert live[0]["why"]["reranked"] is True

    # And a model rebuilt from the database learns it from the same picks
    REGISTRY.clear()
    rebuilt = client.post("suggest", ask).json()["suggestions"]
    assert rebuilt[0]["why"]["reranked"] is True
    assert [s["key"] for s in rebuilt] == [s["key"] for s in live]


@pytest.mark.django_db(transaction=True)
def test_deleted_examples_leave_the_weighing(library: dict[str, Reply], agent: Member,
                                             supervisor: Member, api: Any) -> None:
    _team_that_follows_the_conversation(agent.organization)
    client = api(agent)
    ask = {"message": THANKS, "context": _after(library, "TH-01", "不喜欢能退吗")}
    assert client.post("suggest", ask).json()["suggestions"][0]["why"]["reranked"] is True

    for example in LearnedExample.objects.order_by("id"):
        do_delete_example(supervisor, example)

    model = REGISTRY.get(agent.organization_id)
    assert len(model.reranker.rows) == 0
    answer = client.post("suggest", ask).json()["suggestions"]
    assert all("reranked" not in s["why"] for s in answer)


def _rows(reranker: Reranker, picked_feature: int, n: int, seed: int = 7) -> None:
    """Picks that always went to the candidate highest on one signal, while the fused
    score (feature 0) ranked the candidates in their listed order."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        x = rng.normal(size=(CANDIDATES, len(FEATURES)))
        x[:, 0] = -np.arange(CANDIDATES, dtype=float)  # the fusion's own order
        candidates = np.arange(CANDIDATES) + 100
        pick = int(np.argmax(x[:, picked_feature]))
        reranker.add(x, candidates, int(candidates[pick]), i, ("m", i))


def test_the_weighing_learns_which_signal_the_picks_follow() -> None:
    reranker = Reranker()
    _rows(reranker, FEATURES.index("context"), MIN_ROWS - 1)
    reranker.fit()
    assert reranker.weights is None  # too few picks: the fusion ranks alone

    _rows(reranker, FEATURES.index("context"), 200, seed=8)
    reranker.fit()
    assert reranker.weights is not None
    weights = dict(zip(FEATURES, reranker.weights, strict=True))
    assert weights["context"] > max(abs(weights[f]) for f in FEATURES if f != "context")

    # A fresh set of candidates is ordered by that signal, not by the fusion
    x = np.zeros((3, len(FEATURES)))
    x[:, 0] = [0.0, -1.0, -2.0]
    x[:, FEATURES.index("context")] = [-2.0, 0.0, 2.0]
    assert list(np.argsort(-reranker.scores(x))) == [2, 1, 0]


def test_without_evidence_the_weighing_is_the_fusion() -> None:
    # Picks that always went to the fusion's first candidate: nothing to change
    reranker = Reranker()
    rng = np.random.default_rng(3)
    for i in range(100):
        x = rng.normal(size=(CANDIDATES, len(FEATURES)))
        x[:, 0] = -np.arange(CANDIDATES, dtype=float) * 3
        reranker.add(x, np.arange(CANDIDATES), 0, i, ("m", i))
    reranker.fit()
    assert reranker.weights is not None
    x = rng.normal(size=(CANDIDATES, len(FEATURES)))
    x[:, 0] = -np.arange(CANDIDATES, dtype=float) * 3
    assert int(np.argmax(reranker.scores(x))) == 0
