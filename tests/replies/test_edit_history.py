"""Edits never lose anything: versions, 409 on stale edits, revisions and restore."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import AuditLog, Member
from kefu.replies.models import Library, Reply, Revision, Scope
from tests.replies.conftest import MakeReply, library_of


@pytest.fixture
def company(owner: Member) -> Library:
    return library_of(owner, Scope.COMPANY)


@pytest.mark.django_db
def test_fresh_edit_bumps_the_version_and_stores_a_revision(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a reply at version 1
    reply = make_reply(company, title="发货时间", body="48小时内发货")

    # When a supervisor edits it from version 1
    resp = api(supervisor).patch(f"replies/{reply.id}",
                                 {"version": 1, "body": "24小时内发货", "tags": ["物流"]})

    # Then it is saved as version 2, with a revision holding the new content
    assert resp.status_code == 200, resp.content
    assert resp.json()["version"] == 2
    assert resp.json()["body"] == "24小时内发货"
    assert resp.json()["tags"] == ["物流"]
    latest = reply.revisions.get(version=2)
    assert latest.content["body"] == "24小时内发货"
    assert latest.author == supervisor
    assert latest.action == "edit"
    assert AuditLog.objects.filter(action="reply.edit", object_id=str(reply.id)).count() == 1


@pytest.mark.django_db
def test_stale_edit_is_refused_with_409_and_the_current_reply_and_nothing_is_overwritten(
        company: Library, supervisor: Member, admin: Member, make_reply: MakeReply, api: Any):
    # Given two people opened the reply at version 1, and the supervisor saved first
    reply = make_reply(company, title="发货时间", body="48小时内发货")
    first = api(supervisor).patch(f"replies/{reply.id}", {"version": 1, "body": "24小时内发货"})
    assert first.status_code == 200

    # When the admin saves their edit, still from version 1
    resp = api(admin).patch(f"replies/{reply.id}",
                            {"version": 1, "title": "发货说明", "body": "当天发货"})

    # Then it is refused with 409, the body carries the supervisor's version, and the
    # database still holds exactly the supervisor's content with no extra revision
    assert resp.status_code == 409
    body = resp.json()
    assert body["detail"]
    assert body["current"]["version"] == 2
    assert body["current"]["body"] == "24小时内发货"
    assert body["current"]["title"] == "发货时间"
    assert body["current"] == api(admin).get(f"replies/{reply.id}").json()
    reply.refresh_from_db()
    assert (reply.version, reply.title, reply.body) == (2, "发货时间", "24小时内发货")
    assert reply.revisions.count() == 2
    assert not AuditLog.objects.filter(actor=admin, action__startswith="reply.").exists()


@pytest.mark.django_db
def test_edit_that_changes_nothing_keeps_the_version(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company, title="发货时间", body="48小时内发货")

    resp = api(supervisor).patch(f"replies/{reply.id}", {"version": 1, "title": " 发货时间 "})

    assert resp.status_code == 200
    assert resp.json()["version"] == 1
    assert reply.revisions.count() == 1


@pytest.mark.django_db
def test_revisions_are_listed_newest_first_with_their_author(
        company: Library, owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a reply created by the owner, then edited by a supervisor twice
    reply = make_reply(company, title="退款时效", body="1-3天到账", by=owner)
    client = api(supervisor)
    client.patch(f"replies/{reply.id}", {"version": 1, "body": "1-5天到账"})
    client.patch(f"replies/{reply.id}", {"version": 2, "body": "原路退回，1-5天到账"})

    # When anyone who can see it lists its revisions
    resp = api(owner).get(f"replies/{reply.id}/revisions")

    # Then all three come newest first, each with who made it and the full content
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert resp.json()["count"] == 3
    assert [(r["version"], r["action"], r["author"]) for r in items] == [
        (3, "edit", "zhuguan"), (2, "edit", "zhuguan"), (1, "create", "boss")]
    assert [r["content"]["body"] for r in items] == [
        "原路退回，1-5天到账", "1-5天到账", "1-3天到账"]


@pytest.mark.django_db
def test_restoring_a_revision_brings_back_its_content_as_a_new_version(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a reply edited twice
    reply = make_reply(company, title="退款时效", body="1-3天到账", tags=["退款"])
    client = api(supervisor)
    client.patch(f"replies/{reply.id}", {"version": 1, "body": "1-5天到账", "tags": []})
    client.patch(f"replies/{reply.id}", {"version": 2, "title": "退款多久到账"})

    # When the supervisor restores version 1 from version 3
    resp = client.post(f"replies/{reply.id}/revisions/1/restore", {"version": 3})

    # Then version 4 has version 1's content, and history still has every version
    assert resp.status_code == 200, resp.content
    assert resp.json()["version"] == 4
    assert (resp.json()["title"], resp.json()["body"], resp.json()["tags"]) == (
        "退款时效", "1-3天到账", ["退款"])
    history = client.get(f"replies/{reply.id}/revisions").json()["items"]
    assert [(r["version"], r["action"]) for r in history] == [
        (4, "restore"), (3, "edit"), (2, "edit"), (1, "create")]


@pytest.mark.django_db
def test_restoring_from_a_stale_version_is_refused(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company, body="1-3天到账")
    api(supervisor).patch(f"replies/{reply.id}", {"version": 1, "body": "1-5天到账"})

    resp = api(supervisor).post(f"replies/{reply.id}/revisions/1/restore", {"version": 1})

    assert resp.status_code == 409
    assert resp.json()["current"]["body"] == "1-5天到账"
    reply.refresh_from_db()
    assert (reply.version, reply.body) == (2, "1-5天到账")


@pytest.mark.django_db
def test_restoring_a_revision_that_does_not_exist_is_404(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company)

    resp = api(supervisor).post(f"replies/{reply.id}/revisions/7/restore", {"version": 1})

    assert resp.status_code == 404
    assert resp.json()["detail"]


@pytest.mark.django_db
def test_agent_cannot_restore_a_company_reply(
        company: Library, agent: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company, body="1-3天到账")
    api(supervisor).patch(f"replies/{reply.id}", {"version": 1, "body": "1-5天到账"})

    resp = api(agent).post(f"replies/{reply.id}/revisions/1/restore", {"version": 2})

    assert resp.status_code == 403
    assert Reply.objects.get(pk=reply.id).body == "1-5天到账"


@pytest.mark.django_db
def test_moving_a_reply_to_another_library_stores_a_revision(
        owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a reply in the 售前 library
    reply = make_reply(library_of(owner, Scope.DEPARTMENT, "售前"))
    company = library_of(owner, Scope.COMPANY)

    # When a supervisor moves it to the company library
    resp = api(supervisor).patch(f"replies/{reply.id}", {"version": 1, "library_id": company.id})

    # Then it lives there at version 2, and the revision records where it went
    assert resp.status_code == 200, resp.content
    assert resp.json()["library"]["scope"] == "company"
    assert resp.json()["version"] == 2
    assert Revision.objects.get(reply=reply, version=2).content["library_id"] == company.id
