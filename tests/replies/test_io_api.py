"""POST /api/v1/replies/import (check, then apply) and GET /api/v1/replies/export, with the
permissions of each scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from kefu.core.models import AuditLog, Member, Organization
from kefu.replies import actions
from kefu.replies.io.formats import read_file
from kefu.replies.models import Library, Reply
from tests.replies.conftest import MakeReply

URL = "/api/v1/replies/import"

ROWS = [
    {"key": "FH-1", "title": "几天发货", "body": "亲，48小时内发货~",
     "category": "发货物流/发货时间", "shortcut": "/fh", "tags": ["发货"],
     "questions": ["什么时候发货"]},
    {"key": "TH-1", "title": "怎么退货", "body": "亲，订单页申请退货即可", "category": ["售后"]},
]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def upload(client: Any, path: Path, **form: Any) -> Any:
    with path.open("rb") as fh:
        return client.client.post(f"{URL}?lang=en", {"file": fh, **form})


def writes(org: Organization) -> tuple[int, int]:
    return (Reply.objects.filter(organization=org).count(),
            AuditLog.objects.filter(organization=org, action="reply.import").count())


@pytest.mark.django_db
def test_import_checks_first_and_writes_nothing(org: Organization, supervisor: Member,
                                                api: Any, tmp_path: Path):
    # When a supervisor uploads a file without saying apply
    resp = upload(api(supervisor), jsonl(tmp_path / "lib.jsonl", ROWS))

    # Then the answer is the report, and nothing was written
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["ok"], body["applied"], body["format"], body["file"]) == (
        True, False, "jsonl", "lib.jsonl")
    assert body["library"]["scope"] == "company"
    assert body["summary"] == {"rows": 2, "create": 2, "update": 0, "unchanged": 0,
                               "invalid": 0, "problems": 0}
    assert [(r["row"], r["action"], r["key"]) for r in body["rows"]] == [
        (1, "create", "FH-1"), (2, "create", "TH-1")]
    assert body["plan_token"]
    assert writes(org) == (0, 0)


@pytest.mark.django_db
def test_apply_with_the_plan_token_writes_the_previewed_plan(org: Organization,
                                                             supervisor: Member, api: Any,
                                                             tmp_path: Path):
    client = api(supervisor)
    path = jsonl(tmp_path / "lib.jsonl", ROWS)
    token = upload(client, path).json()["plan_token"]

    resp = upload(client, path, apply="true", plan_token=token)

    assert resp.status_code == 200, resp.content
    assert (resp.json()["applied"], resp.json()["summary"]["create"]) == (True, 2)
    assert writes(org) == (2, 1)
    # dry_run=false applies as well; the same file now changes nothing
    again = upload(client, path, dry_run="false")
    assert again.json()["summary"]["unchanged"] == 2
    assert writes(org) == (2, 1)


@pytest.mark.django_db
def test_apply_after_the_library_changed_is_a_conflict(org: Organization, supervisor: Member,
                                                       company_lib: Library,
                                                       make_reply: MakeReply, api: Any,
                                                       tmp_path: Path):
    reply = make_reply(company_lib, title="几天发货", key="FH-1")
    client = api(supervisor)
    path = jsonl(tmp_path / "lib.jsonl", ROWS)
    token = upload(client, path).json()["plan_token"]
    actions.do_edit_reply(None, reply, reply.version, {"body": "刚刚改过"})

    resp = upload(client, path, apply="true", plan_token=token)

    assert resp.status_code == 409
    assert resp.json()["detail"] == ("The file or the library changed since the check; check "
                                     "the file again.")
    assert resp.json()["plan_token"] != token
    assert writes(org) == (1, 0)


@pytest.mark.django_db
def test_apply_of_a_file_with_problems_is_400_with_the_report(org: Organization,
                                                              supervisor: Member, api: Any,
                                                              tmp_path: Path):
    path = jsonl(tmp_path / "bad.jsonl", [*ROWS, {"title": "没内容", "body": ""}])

    resp = upload(api(supervisor), path, apply="true")

    assert resp.status_code == 400
    body = resp.json()
    assert body["detail"] == "The file has problems; nothing was imported."
    assert body["problems"] == [{"row": 3, "column": "body",
                                 "message": "The body is required."}]
    assert writes(org) == (0, 0)


@pytest.mark.django_db
def test_an_unsupported_file_is_reported(supervisor: Member, api: Any, tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    body = upload(api(supervisor), path).json()
    assert body["ok"] is False
    assert body["problems"] == [{"row": None, "column": "",
                                 "message": "Unsupported file type: use .xlsx, .csv or .jsonl."}]


@pytest.mark.parametrize("scope", ["company", "department:售前"])
@pytest.mark.django_db
def test_agent_cannot_import_into_a_shared_library(org: Organization, agent: Member, api: Any,
                                                   tmp_path: Path, scope: str):
    resp = upload(api(agent), jsonl(tmp_path / "lib.jsonl", ROWS), scope=scope, apply="true")
    assert resp.status_code == 403
    assert resp.json() == {"detail": "Only a supervisor, admin or owner can change a shared "
                                     "library."}
    assert writes(org) == (0, 0)


@pytest.mark.django_db
def test_agent_imports_into_their_personal_library(org: Organization, agent: Member,
                                                   supervisor: Member, api: Any,
                                                   tmp_path: Path):
    path = jsonl(tmp_path / "lib.jsonl", ROWS)
    client = api(agent)
    resp = upload(client, path, scope="personal", apply="true")
    assert resp.status_code == 200, resp.content
    assert resp.json()["library"]["owner_id"] == agent.id
    assert set(Reply.objects.values_list("library__owner", flat=True)) == {agent.id}
    # but not into someone else's
    other = upload(client, path, scope=f"personal:{supervisor.user.username}")
    assert other.status_code == 403


@pytest.mark.django_db
def test_import_without_a_file_is_422(supervisor: Member, api: Any):
    resp = api(supervisor).client.post(f"{URL}?lang=en", {"scope": "company"})
    assert resp.status_code == 422
    [error] = resp.json()["errors"]
    assert error["message"] == "This field is required."
    assert error["field"].endswith("file")  # "file.file" until api._field drops the source


# --- export ----------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "ctype"), [
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("csv", "text/csv; charset=utf-8"),
    ("jsonl", "application/x-ndjson; charset=utf-8"),
])
@pytest.mark.django_db
def test_export_downloads_a_file_named_after_the_org_and_date(
        company_lib: Library, make_reply: MakeReply, supervisor: Member, api: Any,
        fmt: str, ctype: str):
    make_reply(company_lib, title="在吗", body="在的亲", key="ZM")

    resp = api(supervisor).get(f"replies/export?format={fmt}")

    assert resp.status_code == 200
    assert resp["Content-Type"] == ctype
    today = timezone.localdate().isoformat()
    assert resp["Content-Disposition"] == f'attachment; filename="shop-replies-{today}.{fmt}"'
    parsed = read_file(resp.content, f"x.{fmt}")
    assert [r.values["key"] for r in parsed.rows] == ["ZM"]
    if fmt == "csv":
        assert resp.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.django_db
def test_agent_exports_what_they_may_see_and_nothing_else(
        org: Organization, agent: Member, company_lib: Library, presales_lib: Library,
        aftersales_lib: Library, make_reply: MakeReply, api: Any):
    make_reply(company_lib, title="公司")
    make_reply(presales_lib, title="售前的")
    make_reply(aftersales_lib, title="售后的")
    mine = Library.objects.create(organization=org, scope="personal", owner=agent)
    make_reply(mine, title="我的")
    client = api(agent)

    def titles(query: str) -> list[str]:
        resp = client.get(f"replies/export?format=jsonl{query}")
        assert resp.status_code == 200, resp.content
        return [json.loads(line)["title"] for line in resp.content.decode().splitlines()]

    assert titles("") == ["公司", "售前的", "我的"]
    assert titles("&scope=department:售前") == ["售前的"]
    assert titles("&scope=personal") == ["我的"]
    assert client.get("replies/export?scope=department:售后").status_code == 404


@pytest.mark.django_db
def test_export_of_another_org_shows_none_of_ours(company_lib: Library, make_reply: MakeReply,
                                                 outsider: Member, api: Any):
    make_reply(company_lib, title="机密话术")
    resp = api(outsider).get("replies/export?format=jsonl")
    assert (resp.status_code, resp.content) == (200, b"")
