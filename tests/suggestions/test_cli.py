"""`kefu suggest` and `kefu eval suggest` on a small fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kefu.cli import main as kefu_main
from kefu.core.models import Member, Organization
from kefu.replies.models import Reply

QUERIES = [
    {"query": "啥时候发货呀", "gold_ids": ["FH-01"]},
    {"query": "退款怎么还没到", "gold_ids": ["TK-01"]},
    {"query": "170穿多大码", "gold_ids": ["CM-01"]},
    {"query": "行吧那我再等等", "gold_ids": ["JS-01"]},  # only learning can answer this
]


def kefu(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = kefu_main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                    encoding="utf-8")
    return path


@pytest.mark.django_db(transaction=True)  # learning reaches the model on commit
def test_eval_prints_accuracy_and_mrr_and_learning_improves_them(
        tmp_path: Path, org: Organization, library: dict[str, Reply],
        capsys: pytest.CaptureFixture[str]) -> None:
    queries = write_jsonl(tmp_path / "queries.jsonl", QUERIES)
    history = write_jsonl(tmp_path / "history.jsonl",
                          [{"message": "行吧 那我再等等看", "reply_key": "JS-01"}])

    status, out, err = kefu(capsys, "eval", "suggest", "shop", str(queries))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "queries  4"
    assert lines[1] == "acc@1    0.750"

    status, out, err = kefu(capsys, "eval", "suggest", "shop", str(queries),
                            "--learn", str(history))
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "learned 1 examples from history.jsonl (skipped 0)",
        "queries  4", "acc@1    1.000", "acc@5    1.000", "MRR@10   1.000"]


@pytest.mark.django_db
def test_eval_refuses_a_malformed_queries_file(
        tmp_path: Path, org: Organization, owner: Member,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"query": "发货"}\n', encoding="utf-8")
    status, _out, err = kefu(capsys, "eval", "suggest", "shop", str(bad))
    assert status == 1
    assert err == 'kefu: error: q.jsonl line 1: expected {"query": ..., "gold_ids": [...]}.\n'


@pytest.mark.django_db
def test_suggest_prints_intent_escalation_and_ranked_replies(
        org: Organization, library: dict[str, Reply], agent: Member,
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = kefu(capsys, "suggest", "shop", "骗子！订单 1234567890123456789 还不发货",
                            "--as", agent.user.username, "--limit", "2")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "intent: 投诉安抚 (1.00)   ESCALATE: calm the buyer first"
    assert '"order_numbers": [{"value": "1234567890123456789"' in lines[1]
    assert lines[2].startswith(" 1. 安抚生气的买家 [AF-01]")
    assert "(soothing)" in lines[2]


@pytest.mark.django_db
def test_suggest_json_is_the_api_answer(org: Organization, library: dict[str, Reply],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = kefu(capsys, "suggest", "shop", "什么时候发货", "--json")
    assert status == 0
    answer = json.loads(out)
    assert set(answer) == {"intent", "entities", "escalate", "suggestions", "took_ms"}
    assert answer["suggestions"][0]["key"] == "FH-01"


@pytest.mark.django_db
@pytest.mark.parametrize(("argv", "message"), [
    (("suggest", "nope", "发货"), "kefu: error: no organization with slug 'nope'"),
    (("suggest", "shop", "发货", "--as", "ghost"), "kefu: error: 'ghost' is not an active"),
    (("suggest", "shop", "  "), "kefu: error: the message is empty."),
    (("suggest", "shop", "发货", "--limit", "0"), "kefu: error: --limit must be between"),
])
def test_suggest_failures_are_one_line(org: Organization, owner: Member,
                                       capsys: pytest.CaptureFixture[str],
                                       argv: tuple[str, ...], message: str) -> None:
    status, _out, err = kefu(capsys, *argv)
    assert status == 1
    assert err.startswith(message)
