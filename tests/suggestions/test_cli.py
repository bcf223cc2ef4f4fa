"""`kefu suggest` and `kefu eval suggest` on a small fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from kefu.cli import main as kefu_main
from kefu.core.models import Member, Organization
from kefu.replies.models import Reply

QUERIES = [
    {"query": "啥时候发货呀", "gold_ids": ["FH-01"]},
    {"query": "退款怎么还没到", "gold_ids": ["TK-01"]},
    {"query": "170穿多大码", "gold_ids": ["CM-01"]},
    {"query": "行吧那我再等等", "gold_ids": ["JS-01"]},  # only learning can answer this
]


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """The CLI speaks the configured language (zh-hans by default), whatever an earlier
    test in this process left active."""
    with translation.override("zh-hans"):
        yield


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


# After the parcel was looked up the agent closed the chat; after a return was explained
# they told how the refund works: the same buyer message, two different next replies.
CONVERSATIONS = [
    {"message": "快递到哪了", "reply_key": "FH-02", "session": "s1"},
    {"message": "那行吧我知道了", "reply_key": "JS-01", "session": "s1"},
    {"message": "不喜欢能退吗", "reply_key": "TH-01", "session": "s2"},
    {"message": "那行吧我知道了", "reply_key": "TK-01", "session": "s2"},
]


@pytest.mark.django_db(transaction=True)  # learning reaches the model on commit
def test_suggest_reads_the_conversation_from_a_context_file(
        tmp_path: Path, org: Organization, library: dict[str, Reply],
        capsys: pytest.CaptureFixture[str]) -> None:
    # Given two learned conversations where the same message got different replies
    history = write_jsonl(tmp_path / "history.jsonl", CONVERSATIONS)
    assert kefu(capsys, "suggestions", "learn", "shop", str(history))[0] == 0
    # ... and the two conversations so far, one as a JSON list, one as JSONL
    after_parcel = tmp_path / "parcel.json"
    after_parcel.write_text(json.dumps([
        {"from": "buyer", "text": "快递到哪了"},
        {"from": "agent", "reply_id": library["FH-02"].id}]), encoding="utf-8")
    after_return = write_jsonl(tmp_path / "return.jsonl", [
        {"from": "buyer", "text": "不喜欢能退吗"},
        {"from": "agent", "text": library["TH-01"].body}])  # pasted text counts too

    # When the same message is asked with each context, and without one
    answers = {}
    for name, extra in (("parcel", ["--context", str(after_parcel)]),
                        ("return", ["--context", str(after_return)]), ("none", [])):
        status, out, err = kefu(capsys, "suggest", "shop", "那行吧我知道了", "--json", *extra)
        assert (status, err) == (0, "")
        answers[name] = json.loads(out)["suggestions"]

    # Then each context puts the reply that followed in its conversation first
    assert answers["parcel"][0]["key"] == "JS-01"
    assert answers["parcel"][0]["why"]["context_lift"] > 1
    assert answers["return"][0]["key"] == "TK-01"
    assert "context" not in answers["none"][0]["why"]

    # And the plain output ranks the same way
    status, out, _err = kefu(capsys, "suggest", "shop", "那行吧我知道了",
                             "--context", str(after_return))
    assert status == 0
    first = next(line for line in out.splitlines() if line.startswith(" 1. "))
    assert first.startswith(" 1. 退款到账时间 [TK-01]")


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    ('[{"from": "buyer", "text": "在吗"},]',
     "ctx.json: not valid JSON (line 1, column 34: Expecting value)."),
    ('{"from": "buyer", "text": "在吗"}\n{"from": "agent", "reply_id": 1',
     "ctx.json: line 2 is not valid JSON (Expecting ',' delimiter)."),
    ('[{"from": "robot", "text": "在吗"}]',
     "ctx.json: turn 1, from: 必须是以下值之一：'buyer' or 'agent'。"),
    ('[{"from": "agent", "reply_id": "十二"}]', "ctx.json: turn 1, reply_id: 必须是整数。"),
    ('{"context": []}', "ctx.json: turn 1, from: 此项为必填项。"),
    ('[{"from": "buyer", "text": "在吗"}, {"from": "buyer"}]',
     "ctx.json: 上下文第 2 轮：买家的一轮需要有文字。"),
    ('[{"from": "agent", "text": "  "}]',
     "ctx.json: 上下文第 1 轮：客服的一轮需要 reply_id 或文字。"),
    (json.dumps([{"from": "buyer", "text": "在吗"}] * 31),
     "ctx.json: context: 太多了：最多 30 项。"),
])
def test_suggest_refuses_a_malformed_context_file_with_the_apis_message(
        tmp_path: Path, org: Organization, library: dict[str, Reply],
        capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    path = tmp_path / "ctx.json"
    path.write_text(content, encoding="utf-8")
    status, out, err = kefu(capsys, "suggest", "shop", "快递到哪了", "--context", str(path))
    assert (status, out) == (2, "")
    assert err == f"kefu: error: {message}\n"


@pytest.mark.django_db
def test_suggest_refuses_a_missing_context_file(
        tmp_path: Path, org: Organization, library: dict[str, Reply],
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = kefu(capsys, "suggest", "shop", "快递到哪了",
                            "--context", str(tmp_path / "nope.json"))
    assert (status, out) == (2, "")
    assert err == f"kefu: error: cannot read {tmp_path / 'nope.json'}: No such file or directory.\n"
