"""The `kefu` command: organizations, members, the demo, and how failures look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from kefu.cli import main as kefu_main
from kefu.core.demo import DEMO_PASSWORD
from kefu.core.models import AuditLog, Department, Member, Organization, Role
from tests.live import base_env, free_port, run_cli

User = get_user_model()


def kefu(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = kefu_main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.django_db
def test_org_create_creates_an_organization(capsys: pytest.CaptureFixture[str]):
    status, out, err = kefu(capsys, "org", "create", "tmall-shop", "--name", "天猫旗舰店")
    assert (status, err) == (0, "")
    assert out == "created organization tmall-shop (天猫旗舰店)\n"
    org = Organization.objects.get(slug="tmall-shop")
    assert org.name == "天猫旗舰店"
    assert AuditLog.objects.filter(organization=org, action="organization.create",
                                   actor_label="cli").exists()


@pytest.mark.django_db
def test_org_create_with_a_taken_slug_fails(org: Organization,
                                            capsys: pytest.CaptureFixture[str]):
    status, out, err = kefu(capsys, "org", "create", "shop", "--name", "again")
    assert status == 1
    assert out == ""
    assert err.startswith("kefu: error: ")
    assert err.count("\n") == 1
    assert Organization.objects.filter(slug="shop").count() == 1


@pytest.mark.django_db
def test_org_create_with_a_bad_slug_fails(capsys: pytest.CaptureFixture[str]):
    status, _out, err = kefu(capsys, "org", "create", "Bad Slug", "--name", "x")
    assert status == 1
    assert err.startswith("kefu: error: ")
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_member_add_for_a_new_user_prints_a_generated_password(
        org: Organization, capsys: pytest.CaptureFixture[str]):
    # When an operator adds a new user without a password
    status, out, err = kefu(capsys, "member", "add", "shop", "xiaomei", "--role", "agent")

    # Then a password is printed, and it is the user's password
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "added xiaomei to shop as agent"
    assert lines[1].startswith("password: ")
    password = lines[1].removeprefix("password: ")
    assert len(password) >= 12
    assert User.objects.get(username="xiaomei").check_password(password)
    assert Member.objects.get(organization=org, user__username="xiaomei").role == Role.AGENT


@pytest.mark.django_db
def test_member_add_with_a_password_does_not_print_it(org: Organization,
                                                      capsys: pytest.CaptureFixture[str]):
    status, out, _err = kefu(capsys, "member", "add", "shop", "xiaolin", "--role", "admin",
                             "--password", "long-enough-pw-1")
    assert status == 0
    assert out == "added xiaolin to shop as admin\n"
    assert User.objects.get(username="xiaolin").check_password("long-enough-pw-1")


@pytest.mark.django_db
def test_member_add_creates_and_assigns_departments(org: Organization, owner: Member,
                                                    capsys: pytest.CaptureFixture[str]):
    # Given one existing department
    kefu(capsys, "member", "add", "shop", "first", "--role", "agent", "--department", "售前")

    # When a member is added to it and to a new one
    status, _out, _err = kefu(capsys, "member", "add", "shop", "second", "--role", "supervisor",
                              "--department", "售前", "--department", "售后")

    # Then the new department exists once, and the member is in both
    assert status == 0
    assert sorted(Department.objects.filter(organization=org).values_list("name", flat=True)) \
        == ["售前", "售后"]
    second = Member.objects.get(organization=org, user__username="second")
    assert sorted(d.name for d in second.departments.all()) == ["售前", "售后"]


@pytest.mark.django_db
def test_an_existing_user_joins_a_second_organization(
        org: Organization, other_org: Organization, agent: Member,
        capsys: pytest.CaptureFixture[str]):
    status, out, _err = kefu(capsys, "member", "add", "rival", "kefu1", "--role", "admin")
    assert status == 0
    assert "password" not in out  # their existing password is kept
    assert sorted(m.organization.slug for m in Member.objects.filter(user=agent.user)) == [
        "rival", "shop"]


@pytest.mark.django_db
def test_member_add_to_an_unknown_org_fails(capsys: pytest.CaptureFixture[str]):
    status, out, err = kefu(capsys, "member", "add", "nope", "someone", "--role", "agent")
    assert status == 1
    assert out == ""
    assert err == "kefu: error: no organization with slug 'nope' (see `kefu org list`).\n"
    assert not User.objects.filter(username="someone").exists()


@pytest.mark.django_db
def test_member_add_twice_fails(org: Organization, agent: Member,
                                capsys: pytest.CaptureFixture[str]):
    status, _out, err = kefu(capsys, "member", "add", "shop", "kefu1", "--role", "agent")
    assert status == 1
    assert err.startswith("kefu: error: ")


@pytest.mark.django_db
def test_member_add_with_a_weak_password_fails(org: Organization,
                                               capsys: pytest.CaptureFixture[str]):
    status, _out, err = kefu(capsys, "member", "add", "shop", "weak", "--role", "agent",
                             "--password", "123")
    assert status == 1
    assert err.startswith("kefu: error: ")
    assert not User.objects.filter(username="weak").exists()


def demo_counts() -> dict[str, int]:
    org = Organization.objects.get(slug="demo")
    return {"orgs": Organization.objects.count(),
            "departments": Department.objects.filter(organization=org).count(),
            "members": Member.objects.filter(organization=org).count(),
            "users": User.objects.count(),
            "memberships": sum(m.departments.count() for m in org.members.all())}


@pytest.mark.django_db
def test_demo_creates_the_demo_organization_and_prints_logins(
        capsys: pytest.CaptureFixture[str], client: Any):
    status, out, _err = kefu(capsys, "demo")
    assert status == 0
    org = Organization.objects.get(slug="demo")
    assert sorted(d.name for d in org.departments.all()) == ["售前", "售后"]
    roles = {m.user.username: m.role for m in org.members.select_related("user")}
    assert roles == {"admin": Role.OWNER, "zhuguan": Role.SUPERVISOR,
                     "kefu1": Role.AGENT, "kefu2": Role.AGENT}
    for username in roles:
        assert f"login: {username}" in out
    assert DEMO_PASSWORD in out
    # and the printed logins work
    resp = client.post("/login/", {"username": "kefu1", "password": DEMO_PASSWORD})
    assert resp.status_code == 302


@pytest.mark.django_db
def test_demo_twice_changes_nothing(capsys: pytest.CaptureFixture[str]):
    kefu(capsys, "demo")
    first = demo_counts()
    status, _out, _err = kefu(capsys, "demo")
    assert status == 0
    assert demo_counts() == first


@pytest.mark.django_db
def test_demo_if_empty_does_not_reload_a_database_with_data(
        org: Organization, capsys: pytest.CaptureFixture[str]):
    status, out, _err = kefu(capsys, "demo", "--if-empty")
    assert status == 0
    assert "not reloaded" in out
    assert not Organization.objects.filter(slug="demo").exists()


@pytest.mark.django_db
def test_demo_if_empty_loads_an_empty_database(capsys: pytest.CaptureFixture[str]):
    status, out, _err = kefu(capsys, "demo", "--if-empty")
    assert status == 0
    assert Organization.objects.filter(slug="demo").exists()
    assert "login: kefu1" in out


@pytest.mark.django_db
def test_org_list_shows_member_counts(org: Organization, agent: Member, admin: Member,
                                      capsys: pytest.CaptureFixture[str]):
    status, out, _err = kefu(capsys, "org", "list")
    assert status == 0
    assert out == "shop\t好物旗舰店\t2 members\n"


def test_secret_prints_a_usable_secret(capsys: pytest.CaptureFixture[str]):
    from kefu.config import is_placeholder_secret

    status, out, _err = kefu(capsys, "secret")
    assert status == 0
    assert not is_placeholder_secret(out.strip())


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        kefu_main(["frobnicate"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# --- failures at the process level: one sentence, no traceback ----------------------------

@pytest.mark.parametrize("argv", [("org", "list"), ("demo",)])
def test_commands_on_an_unmigrated_database_say_to_migrate(tmp_path: Path, argv: tuple[str]):
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.sqlite3'}")
    proc = run_cli(env, *argv, check=False)
    assert proc.returncode == 1
    assert proc.stderr == "kefu: error: the database needs migrating: run `kefu migrate` first.\n"


def test_migrate_with_an_unreachable_database_fails_in_one_line(tmp_path: Path):
    env = base_env(tmp_path, f"postgresql://kefu@127.0.0.1:{free_port()}/kefu")
    proc = run_cli(env, "migrate", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("kefu: error: the database is not reachable: ")
    assert proc.stderr.count("\n") == 1, proc.stderr
