"""The web pages an organization runs itself with: members, departments, tokens, audit, account.

Pages are read in English (the kefu_lang cookie) so assertions do not depend on the
Chinese catalogue; every write is checked in the database as well as on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kefu.core import actions
from kefu.core.models import ApiToken, AuditLog, Department, Member, Organization, Role
from tests.conftest import MakeMember

User = get_user_model()
Login = Callable[[Member], Client]

NEW_PASSWORD = "Qiang-mima-2026"


@pytest.fixture
def login(client: Client) -> Login:
    def as_member(member: Member) -> Client:
        client.force_login(member.user)
        client.cookies["kefu_lang"] = "en"
        return client

    return as_member


def text(resp: Any) -> str:
    return resp.content.decode()


def messages_of(resp: Any) -> list[str]:
    return [str(m) for m in resp.context["messages"]] if resp.context else []


# --- who may open what --------------------------------------------------------------------

EVERYONE_PAGES = ["/", "/members/", "/departments/", "/account/"]
ADMIN_PAGES = ["/tokens/", "/audit/"]


@pytest.mark.parametrize("role", ["owner", "admin", "supervisor", "agent"])
@pytest.mark.parametrize("path", EVERYONE_PAGES)
def test_every_member_opens_the_shared_pages(request: Any, login: Login, role: str,
                                             path: str) -> None:
    member = request.getfixturevalue(role)
    resp = login(member).get(path)
    assert resp.status_code == 200
    assert member.organization.name in text(resp)


@pytest.mark.parametrize("role", ["owner", "admin"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_owners_and_admins_open_the_management_pages(request: Any, login: Login, role: str,
                                                     path: str) -> None:
    resp = login(request.getfixturevalue(role)).get(path)
    assert resp.status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_agent_and_supervisor_get_a_403_page_for_management_pages(
        request: Any, login: Login, role: str, owner: Member, agent: Member) -> None:
    dept = Department.objects.get(organization=owner.organization, name="售前")
    token, _raw = actions.do_create_token(agent, "bot", owner)
    client = login(request.getfixturevalue(role))
    for path in [*ADMIN_PAGES, f"/members/{owner.pk}/", f"/departments/{dept.pk}/",
                 f"/departments/{dept.pk}/delete/", f"/tokens/{token.pk}/revoke/"]:
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert "Only an owner or admin can do this." in text(resp), path


def test_agent_cannot_post_any_management_form(login: Login, owner: Member,
                                               agent: Member) -> None:
    # Given an agent and a token, a department and an owner in their organization
    dept = Department.objects.get(organization=owner.organization, name="售前")
    token, _raw = actions.do_create_token(owner, "bot", owner)
    members_before = Member.objects.count()
    client = login(agent)
    # When the agent posts every management form
    posts: list[tuple[str, dict[str, Any]]] = [
        ("/members/add/", {"username": "sneaky", "role": "owner", "password": NEW_PASSWORD}),
        (f"/members/{agent.pk}/", {"role": "owner", "display_name": "x"}),
        (f"/members/{owner.pk}/active/", {"active": "0"}),
        ("/departments/add/", {"name": "黑店"}),
        (f"/departments/{dept.pk}/", {"name": "改名"}),
        (f"/departments/{dept.pk}/delete/", {}),
        ("/tokens/add/", {"member": agent.pk, "name": "mine"}),
        (f"/tokens/{token.pk}/revoke/", {}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 403, path
    # Then nothing changed
    assert Member.objects.count() == members_before
    agent.refresh_from_db()
    owner.refresh_from_db()
    assert agent.role == Role.AGENT
    assert owner.is_active
    assert list(Department.objects.filter(organization=owner.organization)
                .values_list("name", flat=True).order_by("name")) == ["售前"]
    assert ApiToken.objects.filter(member=agent).count() == 0
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("path", [*EVERYONE_PAGES, *ADMIN_PAGES])
def test_anonymous_visitor_is_sent_to_log_in(client: Client, db: Any, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/login/?next=")


def test_user_without_organization_gets_the_no_membership_page(client: Client, db: Any) -> None:
    user = User.objects.create_user("loner", password=NEW_PASSWORD)
    client.force_login(user)
    client.cookies["kefu_lang"] = "en"
    resp = client.get("/members/")
    assert resp.status_code == 403
    assert "not a member of any organization" in text(resp)


def test_navigation_shows_management_links_to_admins_only(login: Login, admin: Member,
                                                          agent: Member) -> None:
    admin_page = text(login(admin).get("/"))
    assert 'href="/tokens/"' in admin_page
    assert 'href="/audit/"' in admin_page
    agent_page = text(login(agent).get("/"))
    assert 'href="/members/"' in agent_page
    assert 'href="/account/"' in agent_page
    assert 'href="/tokens/"' not in agent_page
    assert 'href="/audit/"' not in agent_page


# --- members ------------------------------------------------------------------------------

def test_agent_sees_colleagues_but_no_management_controls(login: Login, admin: Member,
                                                          agent: Member) -> None:
    resp = login(agent).get("/members/")
    page = text(resp)
    assert "admin1" in page
    assert "kefu1" in page
    assert "售前" in page
    assert "Add a member" not in page
    assert f"/members/{admin.pk}/" not in page


def test_admin_adds_a_member_who_can_then_log_in(login: Login, admin: Member) -> None:
    # Given an admin on the members page
    client = login(admin)
    shouqian = actions.do_create_department(admin.organization, "售前", admin)
    # When they add a member with a password
    resp = client.post("/members/add/", {
        "username": "xiaomei", "display_name": "小美", "role": "agent",
        "departments": [shouqian.pk], "password": NEW_PASSWORD,
    }, follow=True)
    # Then the member exists as asked
    assert resp.status_code == 200
    assert "小美 was added." in messages_of(resp)
    added = Member.objects.get(organization=admin.organization, user__username="xiaomei")
    assert added.role == Role.AGENT
    assert added.display_name == "小美"
    assert added.department_ids() == [shouqian.pk]
    # And the new user logs in on the login page with that password
    fresh = Client()
    login_resp = fresh.post("/login/", {"username": "xiaomei", "password": NEW_PASSWORD})
    assert login_resp.status_code == 302
    assert fresh.get("/").status_code == 200
    # And the members page now shows a last login for them
    added.user.refresh_from_db()
    assert added.user.last_login is not None
    page = text(client.get("/members/"))
    assert added.user.last_login.astimezone().strftime("%Y-%m-%d") in page


def test_adding_a_new_user_without_password_is_refused(login: Login, admin: Member) -> None:
    resp = login(admin).post("/members/add/", {"username": "nopass", "role": "agent"})
    assert resp.status_code == 400
    assert "Give the new user an initial password." in text(resp)
    assert not User.objects.filter(username="nopass").exists()


def test_weak_password_shows_the_validator_message(login: Login, admin: Member) -> None:
    resp = login(admin).post("/members/add/", {"username": "weak", "role": "agent",
                                                "password": "12345678"})
    assert resp.status_code == 400
    assert "This password is entirely numeric." in text(resp)
    assert not User.objects.filter(username="weak").exists()


def test_user_of_another_organization_is_added_without_password(
        login: Login, admin: Member, outsider: Member) -> None:
    resp = login(admin).post("/members/add/", {"username": "spy", "role": "agent"})
    assert resp.status_code == 302
    assert Member.objects.filter(organization=admin.organization, user=outsider.user).exists()


def test_adding_an_existing_member_shows_the_error(login: Login, admin: Member,
                                                  agent: Member) -> None:
    resp = login(admin).post("/members/add/", {"username": "kefu1", "role": "admin"})
    assert resp.status_code == 400
    assert "This user is already a member." in text(resp)
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


def test_admin_cannot_make_an_owner_and_sees_why(login: Login, admin: Member,
                                                 agent: Member) -> None:
    client = login(admin)
    resp = client.post("/members/add/", {"username": "boss2", "role": "owner",
                                         "password": NEW_PASSWORD})
    assert resp.status_code == 400
    assert "Only an owner can make someone an owner." in text(resp)
    assert not User.objects.filter(username="boss2").exists()
    resp = client.post(f"/members/{agent.pk}/", {"role": "owner", "display_name": ""})
    assert resp.status_code == 400
    assert "Only an owner can make someone an owner." in text(resp)
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


def test_demoting_the_last_owner_shows_the_error_and_changes_nothing(
        login: Login, owner: Member) -> None:
    audit_before = AuditLog.objects.count()
    resp = login(owner).post(f"/members/{owner.pk}/", {"role": "admin", "display_name": "老板"})
    assert resp.status_code == 400
    assert "An organization needs at least one owner." in text(resp)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    assert owner.display_name == ""
    assert AuditLog.objects.count() == audit_before


def test_owner_changes_role_departments_and_display_name(login: Login, owner: Member,
                                                         supervisor: Member) -> None:
    # Given a supervisor in both departments
    shouhou = Department.objects.get(organization=owner.organization, name="售后")
    client = login(owner)
    edit_page = text(client.get(f"/members/{supervisor.pk}/"))
    assert 'name="display_name"' in edit_page
    # When the owner makes them an admin of 售后 only
    resp = client.post(f"/members/{supervisor.pk}/", {
        "role": "admin", "display_name": "王主管", "departments": [shouhou.pk]}, follow=True)
    # Then
    assert resp.status_code == 200
    assert "王主管 was updated." in messages_of(resp)
    supervisor.refresh_from_db()
    assert supervisor.role == Role.ADMIN
    assert supervisor.display_name == "王主管"
    assert supervisor.department_ids() == [shouhou.pk]


def test_admin_deactivates_and_reactivates_an_agent(login: Login, admin: Member,
                                                    agent: Member) -> None:
    client = login(admin)
    resp = client.post(f"/members/{agent.pk}/active/", {"active": "0"}, follow=True)
    assert resp.status_code == 200
    assert any("was deactivated" in m for m in messages_of(resp))
    agent.refresh_from_db()
    assert not agent.is_active
    # The deactivated agent's own pages now refuse them
    other = Client()
    other.force_login(agent.user)
    assert other.get("/members/").status_code == 403
    # And reactivation restores them
    resp = client.post(f"/members/{agent.pk}/active/", {"active": "1"}, follow=True)
    assert any("was reactivated" in m for m in messages_of(resp))
    agent.refresh_from_db()
    assert agent.is_active
    assert other.get("/members/").status_code == 200


def test_admin_cannot_deactivate_themselves(login: Login, admin: Member) -> None:
    resp = login(admin).post(f"/members/{admin.pk}/active/", {"active": "0"}, follow=True)
    assert "You cannot deactivate yourself." in messages_of(resp)
    admin.refresh_from_db()
    assert admin.is_active


def test_admin_cannot_deactivate_an_owner(login: Login, admin: Member, owner: Member,
                                         make_member: MakeMember) -> None:
    make_member(owner.organization, Role.OWNER, "boss2")  # not even when another owner remains
    resp = login(admin).post(f"/members/{owner.pk}/active/", {"active": "0"}, follow=True)
    assert "Only an owner can deactivate or reactivate an owner." in messages_of(resp)
    owner.refresh_from_db()
    assert owner.is_active


def test_the_last_active_owner_cannot_be_demoted(login: Login, owner: Member,
                                                 make_member: MakeMember) -> None:
    # Given two owners, one of whom deactivates the other
    boss2 = make_member(owner.organization, Role.OWNER, "boss2")
    client = login(boss2)
    assert client.post(f"/members/{owner.pk}/active/", {"active": "0"}).status_code == 302
    owner.refresh_from_db()
    assert not owner.is_active
    # When the remaining active owner tries to step down to admin
    resp = client.post(f"/members/{boss2.pk}/", {"role": "admin", "display_name": ""})
    # Then the page says why and nothing changes
    assert resp.status_code == 400
    assert "An organization needs at least one owner." in text(resp)
    boss2.refresh_from_db()
    assert boss2.role == Role.OWNER


def test_display_names_are_escaped(login: Login, admin: Member,
                                   make_member: MakeMember) -> None:
    evil = make_member(admin.organization, Role.AGENT, "evil")
    actions.do_change_member(evil, admin, display_name="<script>alert(1)</script>")
    page = text(login(admin).get("/members/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_members_page_uses_a_fixed_number_of_queries(
        login: Login, admin: Member, make_member: MakeMember,
        django_assert_max_num_queries: Any) -> None:
    org = admin.organization
    actions.do_create_department(org, "售前", None)
    actions.do_create_department(org, "售后", None)
    client = login(admin)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/members/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        make_member(org, Role.AGENT, departments=("售前",))
    client.get("/members/")  # the first request stores the organization in the session,
    client.get("/members/")  # the second remembers the member it resolves
    few = count_queries()
    for _ in range(20):
        make_member(org, Role.AGENT, departments=("售前", "售后"))
    # session, user, member row + departments (plain SQL, core/membercache.py),
    # memberships + departments, the list + its departments, the form's department choices
    with django_assert_max_num_queries(9):
        assert client.get("/members/").status_code == 200
    assert count_queries() == few


# --- departments --------------------------------------------------------------------------

def test_admin_creates_renames_and_deletes_a_department(login: Login, admin: Member) -> None:
    client = login(admin)
    resp = client.post("/departments/add/", {"name": "  售前  "}, follow=True)
    assert "Department 售前 was created." in messages_of(resp)
    dept = Department.objects.get(organization=admin.organization, name="售前")

    resp = client.post(f"/departments/{dept.pk}/", {"name": "大促售前"}, follow=True)
    assert "Department 售前 is now called 大促售前." in messages_of(resp)
    dept.refresh_from_db()
    assert dept.name == "大促售前"

    confirm = client.get(f"/departments/{dept.pk}/delete/")
    assert confirm.status_code == 200
    assert "Delete department 大促售前?" in text(confirm)
    assert Department.objects.filter(pk=dept.pk).exists()  # a GET deletes nothing
    resp = client.post(f"/departments/{dept.pk}/delete/", follow=True)
    assert "Department 大促售前 was deleted." in messages_of(resp)
    assert not Department.objects.filter(pk=dept.pk).exists()


def test_duplicate_department_shows_the_error_and_changes_nothing(
        login: Login, admin: Member) -> None:
    org = admin.organization
    actions.do_create_department(org, "售前", admin)
    shouhou = actions.do_create_department(org, "售后", admin)
    client = login(admin)
    resp = client.post("/departments/add/", {"name": "售前"})
    assert resp.status_code == 400
    assert "A department with this name already exists." in text(resp)
    assert Department.objects.filter(organization=org).count() == 2
    resp = client.post(f"/departments/{shouhou.pk}/", {"name": "售前"})
    assert resp.status_code == 400
    assert "A department with this name already exists." in text(resp)
    shouhou.refresh_from_db()
    assert shouhou.name == "售后"


def test_empty_department_name_is_refused(login: Login, admin: Member) -> None:
    resp = login(admin).post("/departments/add/", {"name": ""})
    assert resp.status_code == 400
    assert "This field is required." in text(resp)
    assert not Department.objects.filter(organization=admin.organization).exists()


def test_departments_page_counts_active_members(login: Login, supervisor: Member,
                                               agent: Member) -> None:
    # Given 售前 with the supervisor and the agent, 售后 with the supervisor only
    resp = login(agent).get("/departments/")
    counts = {d.name: d.member_count for d in resp.context["departments"]}
    assert counts == {"售前": 2, "售后": 1}
    # When the agent is deactivated, they no longer count
    actions.do_change_member(agent, None, is_active=False)
    resp = login(supervisor).get("/departments/")
    assert {d.name: d.member_count for d in resp.context["departments"]} == {"售前": 1, "售后": 1}
    assert "New department" not in text(resp)


# --- API tokens ---------------------------------------------------------------------------

def test_token_created_on_the_page_is_shown_once_and_works(login: Login, admin: Member,
                                                           agent: Member) -> None:
    client = login(admin)
    # When the admin creates a token for the agent
    resp = client.post("/tokens/add/", {"member": agent.pk, "name": "erp-sync"})
    # Then the page shows the secret with its warning, uncached
    assert resp.status_code == 201
    token = ApiToken.objects.get(member=agent, name="erp-sync")
    raw = resp.context["raw"]
    assert raw.startswith(token.hint)
    assert raw in text(resp)
    assert "this is the only time it is shown" in text(resp)
    assert "no-store" in resp["Cache-Control"]
    # And it acts as the agent on the API
    me = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["member"]["username"] == "kefu1"
    # And it is never shown again: the list shows only the hint and the use
    listing = text(client.get("/tokens/"))
    assert raw not in listing
    assert token.hint in listing
    assert "erp-sync" in listing
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoking_a_token_asks_first_then_stops_it(login: Login, admin: Member) -> None:
    token, raw = actions.do_create_token(admin, "old-script", admin)
    client = login(admin)
    confirm = client.get(f"/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200
    assert "Revoke token old-script?" in text(confirm)
    token.refresh_from_db()
    assert token.revoked_at is None
    resp = client.post(f"/tokens/{token.pk}/revoke/", follow=True)
    assert any("old-script was revoked" in m for m in messages_of(resp))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401


def test_token_without_name_is_refused(login: Login, admin: Member) -> None:
    resp = login(admin).post("/tokens/add/", {"member": admin.pk, "name": ""})
    assert resp.status_code == 400
    assert not ApiToken.objects.exists()


# --- audit log ----------------------------------------------------------------------------

def test_audit_log_is_newest_first_paged_and_filtered(login: Login, owner: Member,
                                                      outsider: Member) -> None:
    org = owner.organization
    for i in range(55):
        actions.audit(org, owner, "test.step", None, n=i)
    actions.do_create_department(org, "售前", owner)
    actions.do_create_department(outsider.organization, "间谍部", outsider)
    client = login(owner)

    first = client.get("/audit/")
    rows = first.context["rows"]
    assert len(rows) == 50
    assert rows[0][0].action == "department.create"  # newest first
    assert "间谍部" not in text(first)
    assert "Page 1 of 2" in text(first)
    second = client.get("/audit/?page=2")
    older = [entry.action for entry, _ in second.context["rows"]]
    # 55 steps + the department + the three members' adds made by the fixtures
    assert len(older) == AuditLog.objects.filter(organization=org).count() - 50

    filtered = client.get("/audit/", {"action": "department."})
    assert [e.action for e, _ in filtered.context["rows"]] == ["department.create"]
    assert "售前" in text(filtered)


# --- my account ---------------------------------------------------------------------------

def test_agent_edits_own_display_name(login: Login, agent: Member) -> None:
    resp = login(agent).post("/account/", {"display_name": "小美"}, follow=True)
    assert "Your display name was saved." in messages_of(resp)
    agent.refresh_from_db()
    assert agent.display_name == "小美"
    assert agent.role == Role.AGENT


def test_too_long_display_name_is_refused(login: Login, agent: Member) -> None:
    resp = login(agent).post("/account/", {"display_name": "长" * 51})
    assert resp.status_code == 400
    agent.refresh_from_db()
    assert agent.display_name == ""


def test_language_preference_is_stored_in_the_cookie(login: Login, agent: Member) -> None:
    client = login(agent)
    resp = client.post("/account/language/", {"language": "zh-hans"})
    assert resp.status_code == 302
    assert resp.cookies["kefu_lang"].value == "zh-hans"
    assert '<html lang="zh-CN">' in text(client.get("/account/"))
    resp = client.post("/account/language/", {"language": "en"})
    assert resp.cookies["kefu_lang"].value == "en"
    assert '<html lang="en">' in text(client.get("/account/"))
    assert client.post("/account/language/", {"language": "fr"}).status_code == 400


def test_account_links_to_password_change(login: Login, agent: Member) -> None:
    assert 'href="/password/"' in text(login(agent).get("/account/"))


# --- tenancy: another organization's ids --------------------------------------------------

def test_other_organizations_ids_give_404_on_every_page(login: Login, owner: Member,
                                                        agent: Member,
                                                        outsider: Member) -> None:
    # Given a member, a department and a token of `org`
    dept = Department.objects.get(organization=owner.organization, name="售前")
    token, _raw = actions.do_create_token(agent, "bot", owner)
    client = login(outsider)  # an owner, but of another organization
    pages = [f"/members/{agent.pk}/", f"/departments/{dept.pk}/",
             f"/departments/{dept.pk}/delete/", f"/tokens/{token.pk}/revoke/"]
    forms = [*pages, f"/members/{agent.pk}/active/"]
    # When the outsider opens or posts to them, Then: the same 404 as for a missing id
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert "There is nothing here." in text(resp)
    for path in forms:
        resp = client.post(path, {"active": "0", "name": "x", "role": "agent"})
        assert resp.status_code == 404, path
    assert client.get("/members/999999/").status_code == 404
    # And nothing changed
    agent.refresh_from_db()
    dept.refresh_from_db()
    token.refresh_from_db()
    assert agent.is_active
    assert agent.role == Role.AGENT
    assert dept.name == "售前"
    assert token.revoked_at is None


def test_other_organizations_members_and_departments_are_not_choices(
        login: Login, owner: Member, agent: Member, outsider: Member) -> None:
    their_dept = actions.do_create_department(outsider.organization, "间谍部", outsider)
    client = login(outsider)
    resp = client.post("/tokens/add/", {"member": agent.pk, "name": "steal"})
    assert resp.status_code == 400
    assert not ApiToken.objects.filter(member=agent).exists()
    # and the reverse: our admin cannot put a member into their department
    resp = login(owner).post("/members/add/", {"username": "x1", "role": "agent",
                                               "password": NEW_PASSWORD,
                                               "departments": [their_dept.pk]})
    assert resp.status_code == 400
    assert not User.objects.filter(username="x1").exists()


def test_pages_show_only_the_current_organization(login: Login, owner: Member,
                                                  outsider: Member) -> None:
    actions.do_create_department(outsider.organization, "间谍部", outsider)
    actions.do_create_token(outsider, "their-bot", outsider)
    client = login(owner)
    assert "spy" not in text(client.get("/members/"))
    assert "间谍部" not in text(client.get("/departments/"))
    assert "their-bot" not in text(client.get("/tokens/"))
    assert "spy" not in text(client.get("/audit/"))


# --- organization switch ------------------------------------------------------------------

def test_switching_organization_never_redirects_off_site(
        login: Login, owner: Member, other_org: Organization) -> None:
    actions.do_add_member(other_org, "boss", Role.AGENT, None)  # boss is in both
    client = login(owner)
    resp = client.post("/org/switch/", {"organization": other_org.pk,
                                        "next": "https://evil.example/"})
    assert resp.status_code == 302
    assert resp["Location"] == "/"
    assert other_org.name in text(client.get("/"))


def test_page_forms_refuse_a_post_without_csrf_token(admin: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    resp = client.post("/departments/add/", {"name": "售前"})
    assert resp.status_code == 403
    assert not Department.objects.filter(organization=admin.organization).exists()


def test_a_registered_page_appears_in_navigation_and_tiles(
        login: Login, agent: Member, admin: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a later app registering a page for owners and admins only (under an existing
    # URL name; monkeypatch puts the real entry back afterwards)
    from kefu.core.views import nav

    monkeypatch.setitem(nav.PAGES, "audit", nav.Page("audit", "Team report",
                                                     "Numbers for managers.", nav.admins))
    # Then admins see its tile and link, agents do not
    admin_home = text(login(admin).get("/"))
    assert "Numbers for managers." in admin_home
    assert "Team report" in admin_home
    assert "Numbers for managers." not in text(login(agent).get("/"))
