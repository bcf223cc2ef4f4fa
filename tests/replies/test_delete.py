"""Deleting is soft: restorable for 30 days, then purged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.models import Library, Reply, Revision, Scope
from tests.replies.conftest import MakeReply, ids, library_of


@pytest.fixture
def company(owner: Member) -> Library:
    return library_of(owner, Scope.COMPANY)


def _age_deletion(reply: Reply, days: int) -> None:
    # The clock is the boundary here: pretend the deletion happened ``days`` ago.
    Reply.objects.filter(pk=reply.pk).update(deleted_at=timezone.now() - timedelta(days=days))


@pytest.mark.django_db
def test_deleted_reply_disappears_from_lists_and_is_listed_with_deleted_true(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given two replies
    kept = make_reply(company, title="保留")
    gone = make_reply(company, title="删除")
    client = api(supervisor)

    # When one is deleted
    resp = client.delete(f"replies/{gone.id}")

    # Then the lists show it only among the deleted ones, with its deletion time
    assert resp.status_code == 200
    assert resp.json()["deleted_at"] is not None
    assert ids(client.get("replies")) == {kept.id}
    deleted = client.get("replies?deleted=true")
    assert ids(deleted) == {gone.id}
    assert deleted.json()["items"][0]["deleted_at"] is not None


@pytest.mark.django_db
def test_deleted_reply_cannot_be_edited(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company, title="删除")
    client = api(supervisor)
    client.delete(f"replies/{reply.id}")

    resp = client.patch(f"replies/{reply.id}", {"version": 1, "title": "复活"})

    assert resp.status_code == 404
    assert Reply.objects.get(pk=reply.id).title == "删除"


@pytest.mark.django_db
def test_undelete_restores_the_reply_to_the_lists(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a deleted reply
    reply = make_reply(company, title="误删的话术")
    client = api(supervisor)
    client.delete(f"replies/{reply.id}")

    # When it is undeleted
    resp = client.post(f"replies/{reply.id}/undelete")

    # Then it is back with its content, and no longer among the deleted
    assert resp.status_code == 200, resp.content
    assert resp.json()["deleted_at"] is None
    assert resp.json()["title"] == "误删的话术"
    assert ids(client.get("replies")) == {reply.id}
    assert ids(client.get("replies?deleted=true")) == set()


@pytest.mark.django_db
def test_agent_cannot_delete_or_undelete_a_company_reply(
        company: Library, supervisor: Member, agent: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company)
    other = make_reply(company)
    api(supervisor).delete(f"replies/{other.id}")

    assert api(agent).delete(f"replies/{reply.id}").status_code == 403
    assert api(agent).post(f"replies/{other.id}/undelete").status_code == 403
    assert Reply.objects.get(pk=reply.id).deleted_at is None
    assert Reply.objects.get(pk=other.id).deleted_at is not None


@pytest.mark.django_db
def test_reply_deleted_more_than_30_days_ago_cannot_be_undeleted(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(company)
    api(supervisor).delete(f"replies/{reply.id}")
    _age_deletion(reply, 31)

    resp = api(supervisor).post(f"replies/{reply.id}/undelete")

    assert resp.status_code == 404
    assert Reply.objects.get(pk=reply.id).deleted_at is not None


@pytest.mark.django_db
def test_undelete_keeps_the_reply_but_drops_a_shortcut_taken_meanwhile(
        company: Library, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given /tk1 was deleted with its reply, then given to a new reply
    old = make_reply(company, shortcut="/tk1")
    client = api(supervisor)
    client.delete(f"replies/{old.id}")
    new = make_reply(company, shortcut="/tk1")

    # When the old reply is undeleted
    resp = client.post(f"replies/{old.id}/undelete")

    # Then it is back without a shortcut; the new reply keeps /tk1
    assert resp.status_code == 200
    assert resp.json()["shortcut"] == ""
    assert Reply.objects.get(pk=new.id).shortcut == "/tk1"


@pytest.mark.django_db
def test_purge_removes_only_replies_deleted_more_than_30_days_ago(
        company: Library, owner: Member, make_reply: MakeReply):
    # Given a live reply, one deleted 29 days ago and one deleted 31 days ago
    live = make_reply(company)
    recent = make_reply(company)
    old = make_reply(company)
    for reply in (recent, old):
        actions.do_delete_reply(owner, reply)
    _age_deletion(recent, 29)
    _age_deletion(old, 31)

    # When deleted replies are purged
    purged = actions.purge_deleted()

    # Then exactly the old one is gone, with its history
    assert purged == 1
    assert set(Reply.objects.values_list("id", flat=True)) == {live.id, recent.id}
    assert not Revision.objects.filter(reply_id=old.id).exists()


@pytest.mark.django_db
def test_purge_counts_replies_not_their_history(
        company: Library, owner: Member, make_reply: MakeReply):
    # Given a deleted reply with three revisions and two recorded uses
    reply = make_reply(company)
    reply = actions.do_edit_reply(owner, reply, 1, {"body": "改一次"})
    reply = actions.do_edit_reply(owner, reply, 2, {"body": "改两次"})
    actions.do_record_use(owner, reply, "browse")
    actions.do_record_use(owner, reply, "search")
    actions.do_delete_reply(owner, reply)

    # When purged 31 days later
    purged = actions.purge_deleted(now=timezone.now() + timedelta(days=31))

    # Then the count says one reply
    assert purged == 1
    assert not Reply.objects.exists()


# Deleting a department would cascade to its reply library: it is refused while the library
# holds replies.
@pytest.mark.parametrize("categorized", [False, True])
@pytest.mark.django_db
def test_deleting_a_department_never_loses_its_replies(
        owner: Member, agent: Member, admin: Member, api: Any, categorized: bool):
    # Given the 售前 library with a reply
    presales = library_of(owner, Scope.DEPARTMENT, "售前")
    cat = actions.do_create_category(owner, presales, "尺码") if categorized else None
    reply = actions.do_create_reply(owner, presales, {"title": "尺码推荐", "body": "亲~"}, cat)

    # When an admin deletes the 售前 department
    resp = api(admin).delete(f"departments/{agent.departments.get().id}")

    # Then either it is refused with a message, or the replies survive somewhere
    assert resp.status_code < 500, resp.content
    if resp.status_code >= 400:
        assert resp.json()["detail"]
    assert Reply.objects.filter(pk=reply.id).exists()
