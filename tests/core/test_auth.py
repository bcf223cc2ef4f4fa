"""Logging in: throttling of failures, CSRF on the web UI and its API calls, password change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from kefu.core.models import LoginFailure, Member

PASSWORD = "s3cret-pass-9"  # make_member's default
THROTTLED = "Too many failed logins. Wait 15 minutes and try again, or ask an admin."


def login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def throttled_message() -> str:
    # The message in the default language, whether or not a translation exists yet.
    with translation.override("zh-hans"):
        return translation.gettext(THROTTLED)


def fail_times(client: Client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        resp = login(client, username, "wrong-password", ip)
        assert resp.status_code == 200  # the form again, with an error
        assert not resp.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_login_with_the_right_password_logs_in(agent: Member):
    client = Client()
    resp = login(client, "kefu1", PASSWORD)
    assert resp.status_code == 302
    assert client.get("/api/v1/me").json()["member"]["username"] == "kefu1"


@pytest.mark.django_db
def test_eleventh_login_after_ten_failures_is_refused_even_with_the_right_password(
        agent: Member):
    # Given ten failed logins for one user name from one address
    client = Client()
    fail_times(client, "kefu1", 10)

    # When the right password is tried from that address
    resp = login(client, "kefu1", PASSWORD)

    # Then the login page says so, and the user is not logged in
    assert resp.status_code == 200
    assert resp.context["form"].has_error("__all__", "throttled")
    assert throttled_message() in resp.content.decode()
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_nine_failures_do_not_lock_the_user_out(agent: Member):
    client = Client()
    fail_times(client, "kefu1", 9)
    assert login(client, "kefu1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_throttling_does_not_affect_another_address(agent: Member):
    # Given ten failures from one address
    fail_times(Client(), "kefu1", 10, ip="10.0.0.1")

    # When the user logs in from another address
    resp = login(Client(), "kefu1", PASSWORD, ip="10.0.0.2")

    # Then it works
    assert resp.status_code == 302


@pytest.mark.django_db
def test_throttling_does_not_affect_another_user_from_the_same_address(
        agent: Member, supervisor: Member):
    fail_times(Client(), "kefu1", 10)
    assert login(Client(), "zhuguan", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_successful_login_clears_the_failures(agent: Member):
    # Given nine failures, then a successful login
    client = Client()
    fail_times(client, "kefu1", 9)
    assert login(client, "kefu1", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="kefu1").exists()

    # When nine more failures follow
    fail_times(Client(), "kefu1", 9)

    # Then the count started again: the right password still works
    assert login(Client(), "kefu1", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failures_for_unknown_users_are_throttled_too(db: Any):
    client = Client()
    fail_times(client, "nobody", 10)
    resp = login(client, "nobody", "whatever")
    assert resp.context["form"].has_error("__all__", "throttled")


# --- CSRF ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_login_post_without_csrf_token_is_rejected(agent: Member):
    client = Client(enforce_csrf_checks=True)
    resp = login(client, "kefu1", PASSWORD)
    assert resp.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_login_post_with_csrf_token_works(agent: Member):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    resp = client.post("/login/", {"username": "kefu1", "password": PASSWORD,
                                   "csrfmiddlewaretoken": token})
    assert resp.status_code == 302


def session_client(member: Member) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    return client


@pytest.mark.django_db
def test_session_api_write_without_csrf_token_is_refused(admin: Member):
    # Given an admin logged in through the web UI (session cookie, no bearer token)
    client = session_client(admin)

    # When the page's script posts without the CSRF header
    resp = client.post("/api/v1/departments", {"name": "售中"}, content_type="application/json")

    # Then it is refused with a reason, and nothing is created
    assert resp.status_code == 403
    assert resp.json()["detail"].strip()
    assert client.get("/api/v1/departments").json()["count"] == 0


@pytest.mark.django_db
def test_session_api_write_with_csrf_token_works(admin: Member):
    client = session_client(admin)
    client.get("/login/")  # any page sets the CSRF cookie
    client.get("/")
    token = client.cookies["csrftoken"].value

    resp = client.post("/api/v1/departments", {"name": "售中"}, content_type="application/json",
                       HTTP_X_CSRFTOKEN=token)

    assert resp.status_code == 201
    assert resp.json()["name"] == "售中"


@pytest.mark.django_db
def test_session_api_reads_need_no_csrf_token(agent: Member):
    resp = session_client(agent).get("/api/v1/me")
    assert resp.status_code == 200
    assert resp.json()["member"]["username"] == "kefu1"


@pytest.mark.django_db
def test_bearer_token_writes_need_no_csrf_token(admin: Member, api: Any):
    client = api(admin)
    client.client = Client(enforce_csrf_checks=True,
                           HTTP_AUTHORIZATION=f"Bearer {client.token}")
    assert client.post("departments", {"name": "售中"}).status_code == 201


# --- password change ---------------------------------------------------------------------

@pytest.mark.django_db
def test_password_change_page_changes_the_password(agent: Member):
    # Given a logged-in agent on the password page
    client = Client()
    assert login(client, "kefu1", PASSWORD).status_code == 302
    assert client.get("/password/").status_code == 200

    # When they change their password
    resp = client.post("/password/", {"old_password": PASSWORD,
                                      "new_password1": "new-long-pass-77",
                                      "new_password2": "new-long-pass-77"})

    # Then the new password logs in and the old one no longer does
    assert resp.status_code == 302
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    assert login(Client(), "kefu1", "new-long-pass-77", ip="10.0.0.9").status_code == 302
    assert login(Client(), "kefu1", PASSWORD, ip="10.0.0.8").status_code == 200


@pytest.mark.django_db
def test_password_change_with_a_wrong_old_password_changes_nothing(agent: Member):
    client = Client()
    login(client, "kefu1", PASSWORD)
    resp = client.post("/password/", {"old_password": "not-it",
                                      "new_password1": "new-long-pass-77",
                                      "new_password2": "new-long-pass-77"})
    assert resp.status_code == 200
    assert resp.context["form"].has_error("old_password")
    agent.user.refresh_from_db()
    assert agent.user.check_password(PASSWORD)


@pytest.mark.django_db
def test_password_page_needs_a_login(db: Any):
    resp = Client().get("/password/")
    assert resp.status_code == 302
    assert resp["Location"].startswith("/login/")


@pytest.mark.django_db
def test_logout_ends_the_session(agent: Member):
    client = Client()
    login(client, "kefu1", PASSWORD)
    assert client.post("/logout/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_agents_land_on_the_panel_and_managers_on_home(client, agent, supervisor):
    resp = client.post("/login/", {"username": agent.user.username,
                                   "password": "s3cret-pass-9"})
    assert resp.status_code == 302
    assert resp["Location"] == "/panel/"
    client.logout()
    resp = client.post("/login/", {"username": supervisor.user.username,
                                   "password": "s3cret-pass-9"})
    assert resp.status_code == 302
    assert resp["Location"] == "/"


@pytest.mark.django_db
def test_a_session_in_use_sees_every_change_to_its_user_and_member_at_once(agent: Member):
    # Given an agent logged in, whose member and user have been resolved (and remembered)
    from django.contrib.auth.models import User

    client = session_client(agent)
    for _ in range(2):
        me = client.get("/api/v1/me").json()["member"]
    assert me["role"] == "agent"

    # When the member is promoted and renamed with plain UPDATEs (no signals)
    Member.objects.filter(pk=agent.pk).update(role="supervisor", display_name="组长")
    # Then the very next request sees it
    me = client.get("/api/v1/me").json()["member"]
    assert (me["role"], me["display_name"]) == ("supervisor", "组长")

    # When the member is deactivated in this organization, the session no longer acts as it
    Member.objects.filter(pk=agent.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401
    Member.objects.filter(pk=agent.pk).update(is_active=True)
    assert client.get("/api/v1/me").status_code == 200

    # When the password changes elsewhere, Django's session check logs this session out
    user = User.objects.get(pk=agent.user_id)
    user.set_password("a-brand-new-password-42")
    User.objects.filter(pk=user.pk).update(password=user.password)
    assert client.get("/api/v1/me").status_code == 401

    # And a user deactivated while logged in is refused at the next request
    fresh = Client()
    fresh.force_login(User.objects.get(pk=user.pk))
    assert fresh.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert fresh.get("/api/v1/me").status_code == 401
