"""Shortcut codes (/tk1) and keys (编号): normalized, and unique where it matters."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import Member
from kefu.replies.models import Reply, Scope
from kefu.replies.validation import normalize_shortcut
from tests.replies.conftest import MakeReply, library_of


def _create(client: Any, **fields: Any) -> Any:
    return client.post("replies", {"title": "话术", "body": "亲~", **fields})


@pytest.mark.parametrize(("typed", "stored"), [
    ("tk1", "/tk1"), ("/TK1", "/tk1"), ("／ＴＫ１", "/tk1"), (" /tk 1 ", "/tk1"),
    ("　／ｔｋ１", "/tk1"), ("／ｔｋ　１", "/tk1"), ("/退款", "/退款"), ("", ""),
])
def test_shortcuts_are_normalized(typed: str, stored: str):
    assert normalize_shortcut(typed) == stored


@pytest.mark.django_db
def test_full_width_shortcut_is_saved_normalized(supervisor: Member, api: Any):
    resp = _create(api(supervisor), shortcut="／ＴＫ１")

    assert resp.status_code == 201, resp.content
    assert resp.json()["shortcut"] == "/tk1"


@pytest.mark.django_db
def test_malformed_shortcut_is_refused(supervisor: Member, api: Any):
    resp = _create(api(supervisor), shortcut="/tk 1!")

    assert resp.status_code == 400
    assert resp.json()["field"] == "shortcut"
    assert resp.json()["detail"]


@pytest.mark.django_db
def test_two_company_replies_cannot_share_a_shortcut_however_it_is_typed(
        supervisor: Member, api: Any):
    client = api(supervisor)
    assert _create(client, shortcut="/tk1").status_code == 201

    resp = _create(client, title="另一条", shortcut="ＴＫ１")

    assert resp.status_code == 400
    assert resp.json()["field"] == "shortcut"
    assert "/tk1" in resp.json()["detail"]
    assert Reply.objects.count() == 1


@pytest.mark.django_db
def test_department_and_company_replies_cannot_share_a_shortcut(
        owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    make_reply(library_of(owner, Scope.COMPANY), shortcut="/tk1")
    presales = library_of(owner, Scope.DEPARTMENT, "售前")

    resp = _create(api(supervisor), library_id=presales.id, shortcut="/tk1")

    assert resp.status_code == 400


@pytest.mark.django_db
def test_editing_onto_a_taken_shortcut_is_refused(
        owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    company = library_of(owner, Scope.COMPANY)
    make_reply(company, shortcut="/tk1")
    other = make_reply(company, shortcut="/tk2")

    resp = api(supervisor).patch(f"replies/{other.id}", {"version": 1, "shortcut": "/tk1"})

    assert resp.status_code == 400
    assert Reply.objects.get(pk=other.id).shortcut == "/tk2"


@pytest.mark.django_db
def test_personal_shortcut_cannot_clash_with_a_company_one_the_owner_sees(
        owner: Member, agent: Member, make_reply: MakeReply, api: Any):
    make_reply(library_of(owner, Scope.COMPANY), shortcut="/tk1")

    resp = _create(api(agent), scope="personal", shortcut="/tk1")

    assert resp.status_code == 400
    assert resp.json()["field"] == "shortcut"


@pytest.mark.django_db
def test_personal_shortcut_cannot_clash_with_the_owners_department_one(
        owner: Member, agent: Member, make_reply: MakeReply, api: Any):
    make_reply(library_of(owner, Scope.DEPARTMENT, "售前"), shortcut="/tk1")

    resp = _create(api(agent), scope="personal", shortcut="/tk1")

    assert resp.status_code == 400


@pytest.mark.django_db
def test_personal_shortcut_may_repeat_what_the_owner_cannot_see(
        owner: Member, agent: Member, aftersales_agent: Member, make_reply: MakeReply,
        api: Any):
    # Given /tk1 in the 售后 library and /tk2 in the 售后 agent's personal library
    make_reply(library_of(owner, Scope.DEPARTMENT, "售后"), shortcut="/tk1")
    make_reply(library_of(aftersales_agent, Scope.PERSONAL), shortcut="/tk2")

    # When the 售前 agent takes both for personal replies
    first = _create(api(agent), scope="personal", shortcut="/tk1")
    second = _create(api(agent), scope="personal", title="另一条", shortcut="/tk2")

    # Then that is fine: they never see the other two
    assert (first.status_code, second.status_code) == (201, 201), first.content


@pytest.mark.django_db
def test_a_deleted_replys_shortcut_is_free_again(
        owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    old = make_reply(library_of(owner, Scope.COMPANY), shortcut="/tk1")
    client = api(supervisor)
    client.delete(f"replies/{old.id}")

    assert _create(client, shortcut="/tk1").status_code == 201


@pytest.mark.django_db
def test_key_is_unique_in_the_organization_and_the_message_names_it(
        owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a company reply with key TK-001
    make_reply(library_of(owner, Scope.COMPANY), key="TK-001")
    client = api(supervisor)

    # When another reply, even in another library, takes the same key
    resp = _create(client, library_id=library_of(owner, Scope.DEPARTMENT, "售前").id,
                   key="TK-001")

    # Then it is refused with 400 and a message naming the key
    assert resp.status_code == 400
    assert resp.json()["field"] == "key"
    assert "TK-001" in resp.json()["detail"]
    assert Reply.objects.filter(key="TK-001").count() == 1


@pytest.mark.django_db
def test_editing_onto_a_taken_key_is_refused(
        owner: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    company = library_of(owner, Scope.COMPANY)
    make_reply(company, key="TK-001")
    other = make_reply(company, key="TK-002")

    resp = api(supervisor).patch(f"replies/{other.id}", {"version": 1, "key": "TK-001"})

    assert resp.status_code == 400
    assert "TK-001" in resp.json()["detail"]
    assert Reply.objects.get(pk=other.id).key == "TK-002"


@pytest.mark.django_db
def test_the_same_key_is_fine_in_another_organization(
        owner: Member, outsider: Member, make_reply: MakeReply, api: Any):
    make_reply(library_of(owner, Scope.COMPANY), key="TK-001")

    resp = _create(api(outsider), key="TK-001")

    assert resp.status_code == 201


@pytest.mark.django_db
def test_replies_without_a_key_do_not_clash(supervisor: Member, api: Any):
    client = api(supervisor)

    assert _create(client, key="").status_code == 201
    assert _create(client, key=" ").status_code == 201
