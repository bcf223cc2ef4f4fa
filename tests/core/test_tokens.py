"""API tokens: shown once, hashed at rest, usable, revocable, last use recorded."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from kefu.cli import main as kefu_main
from kefu.core import actions
from kefu.core.models import ApiToken, Member, Organization


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def created(owner: Member, agent: Member, api: Any) -> dict[str, Any]:
    """An owner creates a token for the agent through the API."""
    resp = api(owner).post("tokens", {"name": "质检机器人", "member_id": agent.id})
    assert resp.status_code == 201, resp.content
    return dict(resp.json())


@pytest.mark.django_db
def test_created_token_is_shown_once_in_the_create_response(
        created: dict[str, Any], owner: Member, api: Any):
    # Given a token just created
    raw = created["token"]
    assert raw.startswith("kefu_")
    assert created["name"] == "质检机器人"
    assert created["username"] == "kefu1"
    assert created["revoked"] is False
    assert created["last_used_at"] is None

    # When it is listed or fetched again
    client = api(owner)
    listed = client.get("tokens")
    fetched = client.get(f"tokens/{created['id']}")

    # Then the secret is nowhere, only its hint
    assert listed.status_code == fetched.status_code == 200
    assert raw not in listed.content.decode()
    assert raw not in fetched.content.decode()
    assert "token" not in fetched.json()
    assert fetched.json()["hint"] == raw[:9]
    assert raw.startswith(fetched.json()["hint"])
    assert created["id"] in [t["id"] for t in listed.json()["items"]]


@pytest.mark.django_db
def test_token_is_stored_as_its_sha256_only(created: dict[str, Any]):
    raw = created["token"]
    row = ApiToken.objects.get(pk=created["id"])
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert all(raw not in value for value in stored)


@pytest.mark.django_db
def test_token_authenticates_as_its_member(created: dict[str, Any], agent: Member):
    resp = bearer(created["token"]).get("/api/v1/me")
    assert resp.status_code == 200
    assert resp.json()["member"]["id"] == agent.id
    assert resp.json()["organization"]["slug"] == "shop"


@pytest.mark.django_db
def test_use_records_last_used_at(created: dict[str, Any]):
    assert ApiToken.objects.get(pk=created["id"]).last_used_at is None
    bearer(created["token"]).get("/api/v1/me")
    row = ApiToken.objects.get(pk=created["id"])
    assert row.last_used_at is not None
    assert row.last_used_at >= row.created_at


@pytest.mark.django_db
def test_revoked_token_gets_401(created: dict[str, Any], owner: Member, api: Any):
    # Given a token that works
    client = bearer(created["token"])
    assert client.get("/api/v1/me").status_code == 200

    # When an admin revokes it
    resp = api(owner).delete(f"tokens/{created['id']}")

    # Then it is marked revoked and no longer accepted
    assert resp.status_code == 200
    assert resp.json()["revoked"] is True
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["detail"]
    assert api(owner).get(f"tokens/{created['id']}").json()["revoked"] is True


@pytest.mark.django_db
def test_unknown_or_malformed_token_gets_401(db: Any):
    for header in ("Bearer kefu_not-a-real-token", "Bearer nonsense", "Basic abc"):
        resp = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
        assert resp.status_code == 401, header
        assert resp.json()["detail"]
    assert Client().get("/api/v1/members").status_code == 401


@pytest.mark.django_db
def test_token_of_a_deactivated_member_gets_401(created: dict[str, Any], owner: Member,
                                                agent: Member, api: Any):
    assert api(owner).patch(f"members/{agent.id}", {"is_active": False}).status_code == 200
    assert bearer(created["token"]).get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_revoking_writes_the_audit_log(created: dict[str, Any], owner: Member, api: Any):
    client = api(owner)
    client.delete(f"tokens/{created['id']}")
    entries = client.get("audit?action=token.revoke").json()["items"]
    assert [(e["action"], e["actor"], e["object_id"]) for e in entries] == [
        ("token.revoke", "boss", str(created["id"]))]


@pytest.mark.django_db
def test_cli_token_create_prints_only_the_token(org: Organization, agent: Member,
                                                capsys: pytest.CaptureFixture[str]):
    # When an operator creates a token at the command line
    status = kefu_main(["token", "create", "shop", "kefu1", "--name", "erp"])

    # Then stdout holds the token and nothing else, and it works
    out = capsys.readouterr().out
    assert status == 0
    raw = out.strip()
    assert out == raw + "\n"
    assert raw.startswith("kefu_")
    row = ApiToken.objects.get(digest=hashlib.sha256(raw.encode()).hexdigest())
    assert (row.name, row.member_id) == ("erp", agent.id)
    assert bearer(raw).get("/api/v1/me").json()["member"]["username"] == "kefu1"


@pytest.mark.django_db
def test_cli_token_create_for_a_non_member_fails(org: Organization, outsider: Member,
                                                 capsys: pytest.CaptureFixture[str]):
    status = kefu_main(["token", "create", "shop", "spy"])
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out == ""
    assert captured.err == "kefu: error: 'spy' is not an active member of shop.\n"
    assert not ApiToken.objects.filter(member=outsider).exists()


@pytest.mark.django_db
def test_revoke_is_idempotent(owner: Member):
    token, _raw = actions.do_create_token(owner, "x", owner)
    first = actions.do_revoke_token(token, owner).revoked_at
    again = actions.do_revoke_token(ApiToken.objects.get(pk=token.pk), owner).revoked_at
    assert first == again


@pytest.mark.django_db
def test_a_token_in_use_sees_every_change_to_its_member_at_once(
        created: dict[str, Any], agent: Member, org: Organization, owner: Member):
    # Given an agent's token that has been used (so its member is remembered)
    client = bearer(created["token"])
    me = client.get("/api/v1/me").json()["member"]
    assert me["role"] == "agent"
    assert client.get("/api/v1/tokens").status_code == 403

    # When the agent is promoted, with a plain UPDATE that sends no signal
    Member.objects.filter(pk=agent.pk).update(role="admin", display_name="新主管")
    # Then the very next call acts with the new role and shows the new name
    me = client.get("/api/v1/me").json()["member"]
    assert (me["role"], me["display_name"]) == ("admin", "新主管")
    assert client.get("/api/v1/tokens").status_code == 200

    # When the agent joins a department and the department is renamed
    dept = actions.do_create_department(org, "售后", owner)

    def departments() -> set[str]:
        return {d["name"] for d in client.get("/api/v1/me").json()["member"]["departments"]}

    before = departments()
    assert "售后" not in before
    Member.objects.get(pk=agent.pk).departments.add(dept)
    assert departments() == before | {"售后"}
    type(dept).objects.filter(pk=dept.pk).update(name="售后二组")
    assert departments() == before | {"售后二组"}

    # When the member is deactivated, or the token revoked behind the API's back
    Member.objects.filter(pk=agent.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401
    Member.objects.filter(pk=agent.pk).update(is_active=True)
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(pk=created["id"]).update(revoked_at=ApiToken.objects.get(
        pk=created["id"]).created_at)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_each_request_gets_its_own_member_object(created: dict[str, Any]):
    # A view that sets an attribute on request.auth must not leak it into the next request
    from kefu.core.auth import member_from_token

    first = member_from_token(created["token"])
    second = member_from_token(created["token"])
    assert first is not None
    assert second is not None
    assert first is not second
    first.display_name = "改过"
    assert member_from_token(created["token"]).display_name != "改过"  # type: ignore[union-attr]
