"""`kefu replies import|export|purge`: reports, exit statuses, dry runs, confirmation."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from kefu.cli import main as kefu_main
from kefu.core.models import AuditLog, Member, Organization
from kefu.replies import actions
from kefu.replies.io.formats import read_file
from kefu.replies.models import Category, Library, Reply, Revision
from tests.replies.conftest import MakeReply


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def kefu(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = kefu_main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def counts(org: Organization) -> tuple[int, int, int, int]:
    return (Reply.objects.filter(organization=org).count(),
            Category.objects.filter(library__organization=org).count(),
            Revision.objects.filter(reply__organization=org).count(),
            AuditLog.objects.filter(organization=org).count())


ROWS = [
    {"key": "FH-1", "title": "几天发货", "body": "亲，48小时内发货~",
     "category": "发货物流/发货时间", "shortcut": "/fh", "tags": ["发货"],
     "questions": ["什么时候发货"]},
    {"key": "TH-1", "title": "怎么退货", "body": "亲，订单页申请退货即可", "category": ["售后"]},
]


@pytest.mark.django_db
def test_import_with_errors_exits_1_prints_the_report_and_writes_nothing(
        org: Organization, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    path = write_jsonl(tmp_path / "bad.jsonl", [*ROWS, {"key": "X", "title": "", "body": "x"}])
    before = counts(org)

    status, out, err = kefu(capsys, "replies", "import", "shop", str(path), "--yes")

    assert status == 1
    assert "row 3, column title: The title is required." in out
    assert "3 rows: 2 to create, 0 to update, 0 unchanged, 1 with problems" in out
    assert "nothing was imported" in err
    assert counts(org) == before


@pytest.mark.django_db
def test_dry_run_prints_the_plan_and_writes_nothing(org: Organization, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]):
    path = write_jsonl(tmp_path / "lib.jsonl", ROWS)
    before = counts(org)

    status, out, _err = kefu(capsys, "replies", "import", "shop", str(path), "--dry-run")

    assert status == 0
    assert "2 rows: 2 to create, 0 to update, 0 unchanged, 0 with problems" in out
    assert "Dry run: nothing was written." in out
    assert counts(org) == before


@pytest.mark.django_db
def test_import_writes_and_reports_the_counts(org: Organization, supervisor: Member,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]):
    path = write_jsonl(tmp_path / "lib.jsonl", ROWS)

    status, out, _err = kefu(capsys, "replies", "import", "shop", str(path),
                             "--scope", "department:售后")

    assert status == 0, out
    assert "Imported into 售后: 2 created, 0 updated, 0 unchanged." in out
    lib = Library.objects.get(organization=org, department__name="售后")
    assert sorted(lib.replies.values_list("key", flat=True)) == ["FH-1", "TH-1"]
    # and a second run finds nothing to do
    status, out, _err = kefu(capsys, "replies", "import", "shop", str(path),
                             "--scope", "department:售后")
    assert (status, out.splitlines()[-1]) == (0, "Nothing to change.")


@pytest.mark.django_db
def test_on_a_terminal_the_import_asks_first(org: Organization, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch):
    path = write_jsonl(tmp_path / "lib.jsonl", ROWS)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))

    status, out, _err = kefu(capsys, "replies", "import", "shop", str(path))
    assert (status, Reply.objects.filter(organization=org).count()) == (1, 0)
    assert "Cancelled: nothing was written." in out

    status, _out, _err = kefu(capsys, "replies", "import", "shop", str(path))
    assert (status, Reply.objects.filter(organization=org).count()) == (0, 2)


@pytest.mark.django_db
def test_on_a_terminal_a_progress_bar_is_drawn_on_stderr(org: Organization, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch):
    rows = [{"title": f"话术{i}", "body": f"内容{i}"} for i in range(1200)]
    path = write_jsonl(tmp_path / "many.jsonl", rows)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    status, _out, err = kefu(capsys, "replies", "import", "shop", str(path), "--yes")

    assert status == 0
    frames = err.split("\r")
    assert "500/1200" in frames[1]
    assert frames[-1].startswith("Importing [" + "#" * 30 + "] 1200/1200")


@pytest.mark.django_db
def test_import_of_a_missing_file_or_org_fails_cleanly(org: Organization, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]):
    status, _out, err = kefu(capsys, "replies", "import", "shop", str(tmp_path / "no.csv"))
    assert (status, err.startswith("kefu: error: no such file")) == (1, True)
    path = write_jsonl(tmp_path / "lib.jsonl", ROWS)
    status, _out, err = kefu(capsys, "replies", "import", "nope", str(path))
    assert (status, "no organization" in err) == (1, True)
    status, _out, err = kefu(capsys, "replies", "import", "shop", str(path), "--scope",
                             "department:不存在")
    assert (status, err) == (1, "kefu: error: Department not found.\n")


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "jsonl"])
@pytest.mark.django_db
def test_export_writes_the_library_in_the_format_of_the_extension(
        org: Organization, company_lib: Library, make_reply: MakeReply, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], fmt: str):
    make_reply(company_lib, title="在吗", body="在的亲", key="ZM", tags=["问候"])
    path = tmp_path / f"out.{fmt}"

    status, out, _err = kefu(capsys, "replies", "export", "shop", str(path))

    assert status == 0
    assert f"Exported 1 replies to {path}" in out
    parsed = read_file(path.read_bytes(), path.name)
    assert parsed.problems == []
    assert [r.values["title"] for r in parsed.rows] == ["在吗"]
    if fmt != "jsonl":
        assert parsed.rows[0].columns["title"] == "标题"


@pytest.mark.django_db
def test_export_with_english_headers_and_a_bad_extension(
        org: Organization, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "out.csv"
    status, _out, _err = kefu(capsys, "replies", "export", "shop", str(path),
                              "--english-headers")
    assert status == 0
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "key,category1,category2,title,body,shortcut,tags,questions"]
    status, _out, err = kefu(capsys, "replies", "export", "shop", str(tmp_path / "out.txt"))
    assert status == 1
    assert ".xlsx, .csv or .jsonl" in err


@pytest.mark.django_db
def test_purge_removes_replies_deleted_more_than_30_days_ago(
        org: Organization, company_lib: Library, make_reply: MakeReply,
        capsys: pytest.CaptureFixture[str]):
    old, recent, live = (make_reply(company_lib) for _ in range(3))
    actions.do_delete_reply(None, old)
    actions.do_delete_reply(None, recent)
    Reply.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))

    status, out, _err = kefu(capsys, "replies", "purge")

    assert status == 0
    assert out == "Removed 1 replies deleted more than 30 days ago.\n"
    assert set(Reply.objects.values_list("id", flat=True)) == {recent.id, live.id}
