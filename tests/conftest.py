"""Fixtures shared by every app's tests: organizations, members by role, API clients."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from kefu.core import actions
from kefu.core.events import reset_bus
from kefu.core.models import Member, Organization, Role

pytest_plugins = ["tests.live"]


@pytest.fixture(autouse=True)
def _fresh_bus() -> Iterator[None]:
    # Each test gets a fresh in-process hub: no events leak from one test to the next.
    reset_bus()
    yield
    reset_bus()


@pytest.fixture
def org(db: Any) -> Organization:
    return actions.do_create_organization("shop", "好物旗舰店")


@pytest.fixture
def other_org(db: Any) -> Organization:
    return actions.do_create_organization("rival", "别家小店")


MakeMember = Callable[..., Member]


@pytest.fixture
def make_member(db: Any) -> MakeMember:
    counter = iter(range(1, 10_000))

    def make(org: Organization, role: str = Role.AGENT, username: str | None = None,
             departments: tuple[str, ...] = (), password: str = "s3cret-pass-9") -> Member:
        name = username or f"{role}{next(counter)}-{org.slug}"
        for dept in departments:
            if not org.departments.filter(name=dept).exists():
                actions.do_create_department(org, dept, None)
        return actions.do_add_member(org, name, role, None, password=password,
                                     departments=departments)

    return make


@pytest.fixture
def owner(org: Organization, make_member: MakeMember) -> Member:
    return make_member(org, Role.OWNER, "boss")


@pytest.fixture
def admin(org: Organization, make_member: MakeMember) -> Member:
    return make_member(org, Role.ADMIN, "admin1")


@pytest.fixture
def supervisor(org: Organization, make_member: MakeMember) -> Member:
    return make_member(org, Role.SUPERVISOR, "zhuguan", departments=("售前", "售后"))


@pytest.fixture
def agent(org: Organization, make_member: MakeMember) -> Member:
    return make_member(org, Role.AGENT, "kefu1", departments=("售前",))


@pytest.fixture
def outsider(other_org: Organization, make_member: MakeMember) -> Member:
    """An owner of another organization: must never see or touch anything of ``org``."""
    return make_member(other_org, Role.OWNER, "spy")


class ApiClient:
    """JSON calls to /api/v1 as one member, authenticated with a real bearer token."""

    def __init__(self, member: Member) -> None:
        _token, self.token = actions.do_create_token(member, "tests", None)
        self.member = member
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def _call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        fn = getattr(self.client, method)
        if body is not None:
            return fn(url, data=json.dumps(body), content_type="application/json", **kw)
        return fn(url, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self._call("get", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._call("post", path, body if body is not None else {}, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._call("patch", path, body if body is not None else {}, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self._call("put", path, body if body is not None else {}, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self._call("delete", path, **kw)


@pytest.fixture
def api() -> Callable[[Member], ApiClient]:
    return ApiClient
