"""Learning from chat history: rows name their reply by key or by the text the agent sent,
which is matched to the closest reply; `kefu suggestions learn` reports what it skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kefu.cli import main as kefu_main
from kefu.core.models import AuditLog, Organization
from kefu.replies.models import Reply
from kefu.suggestions.history import parse_history
from kefu.suggestions.models import ExampleSource, LearnedExample


def jsonl(*rows: Any) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                     for r in rows).encode()


@pytest.mark.django_db
def test_reply_text_is_matched_to_the_closest_reply(org: Organization,
                                                    library: dict[str, Reply]) -> None:
    # The agent edited the script a little before sending it
    parsed = parse_history(org, jsonl(
        {"message": "退款多久能到",
         "reply_text": "退款审核通过后，1-3个工作日原路退回到您的账户哦"},
        {"message": "能退吗", "reply_text": "亲，签收后7天内支持无理由退货"},
        {"message": "好的谢谢", "reply_text": "结束语"},  # a title is a match too
    ))
    assert parsed.problems == []
    assert [(m, r.key) for m, r, _s in parsed.rows] == [
        ("退款多久能到", "TK-01"), ("能退吗", "TH-01"), ("好的谢谢", "JS-01")]


@pytest.mark.django_db
def test_rows_that_match_nothing_are_reported_by_line(org: Organization,
                                                      library: dict[str, Reply]) -> None:
    parsed = parse_history(org, jsonl(
        {"message": "发货了吗", "reply_key": "FH-01"},
        {"message": "在吗", "reply_key": "NOPE"},
        {"message": "优惠券", "reply_text": "满300减50的券今晚零点开抢"},
        "{not json",
        {"reply_key": "FH-01"},
        {"message": "只有消息"},
    ))
    assert [(m, r.key) for m, r, _s in parsed.rows] == [("发货了吗", "FH-01")]
    assert [p["line"] for p in parsed.problems] == [2, 3, 4, 5, 6]
    assert all(p["message"] for p in parsed.problems)


@pytest.mark.django_db
def test_a_reply_of_another_organization_is_never_matched(
        org: Organization, other_org: Organization, library: dict[str, Reply]) -> None:
    parsed = parse_history(other_org, jsonl({"message": "发货了吗", "reply_key": "FH-01"}))
    assert parsed.rows == []
    assert len(parsed.problems) == 1


@pytest.mark.django_db
def test_the_learn_command_imports_history_masked_and_audited(
        tmp_path: Path, org: Organization, library: dict[str, Reply],
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "history.jsonl"
    path.write_bytes(jsonl(
        {"message": "快递到哪了 我电话13812345678", "reply_key": "FH-02"},
        {"message": "退款多久到账", "reply_text": "退款审核通过后，1-3个工作日原路退回"},
        {"message": "😊", "reply_key": "JS-01"},
        {"message": "在吗", "reply_key": "NOPE"},
    ))

    status = kefu_main(["suggestions", "learn", "shop", str(path)])
    out, err = capsys.readouterr()

    assert status == 0
    assert out == "learned 2 examples, skipped 2 lines\n"
    assert "line 4: No reply has the key NOPE." in err or "NOPE" in err
    examples = list(LearnedExample.objects.order_by("id"))
    assert [(e.reply.key, e.message, e.source) for e in examples] == [
        ("FH-02", "快递到哪了 我电话[电话]", ExampleSource.IMPORT),
        ("TK-01", "退款多久到账", ExampleSource.IMPORT)]
    assert AuditLog.objects.filter(action="suggestion_example.import").count() == 1


@pytest.mark.django_db
def test_the_learn_command_dry_run_learns_nothing(tmp_path: Path, org: Organization,
                                                  library: dict[str, Reply],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "history.jsonl"
    path.write_bytes(jsonl({"message": "发货了吗", "reply_key": "FH-01"}))
    assert kefu_main(["suggestions", "learn", "shop", str(path), "--dry-run"]) == 0
    assert capsys.readouterr().out == "would learn 1 examples, skipped 0 lines\n"
    assert not LearnedExample.objects.exists()


@pytest.mark.django_db
def test_the_learn_command_names_a_missing_file(org: Organization,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert kefu_main(["suggestions", "learn", "shop", "/nonexistent/h.jsonl"]) == 1
    assert capsys.readouterr().err.startswith("kefu: error: cannot read /nonexistent/h.jsonl")
