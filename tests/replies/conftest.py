"""Fixtures of the reply library: the libraries of each scope and a reply maker.

Replies are made through actions (as a supervisor or the personal library's owner), exactly
as the API would make them.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

from kefu.core.models import Department, Member, Organization, Role
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Category, Library, Reply, Scope

MakeReply = Callable[..., Reply]


def department(org: Organization, name: str) -> Department:
    return org.departments.get(name=name)


def library_of(member: Member, scope: str, dept: str | None = None) -> Library:
    """The company library, a department's library (by name) or ``member``'s personal one."""
    return get_library(member, scope,
                       department=department(member.organization, dept) if dept else None)


@pytest.fixture
def presales_agent(agent: Member) -> Member:
    """An agent of 售前 only (the conftest ``agent``), named for what matters here."""
    return agent


@pytest.fixture
def aftersales_agent(org: Organization, make_member: Any) -> Member:
    return make_member(org, Role.AGENT, "kefu2", departments=("售后",))


@pytest.fixture
def company_lib(owner: Member) -> Library:
    return library_of(owner, Scope.COMPANY)


@pytest.fixture
def presales_lib(owner: Member, agent: Member) -> Library:
    return library_of(owner, Scope.DEPARTMENT, "售前")


@pytest.fixture
def aftersales_lib(owner: Member, aftersales_agent: Member) -> Library:
    return library_of(owner, Scope.DEPARTMENT, "售后")


@pytest.fixture
def make_reply(owner: Member) -> MakeReply:
    """``make_reply(library, title=..., body=..., category=..., **fields)``.

    Written by the personal library's owner, or by the organization's owner for shared ones.
    """
    n = count(1)

    def make(library: Library, title: str | None = None, body: str | None = None,
             category: Category | None = None, by: Member | None = None,
             **fields: Any) -> Reply:
        actor = by or (library.owner if library.scope == Scope.PERSONAL else owner)
        i = next(n)
        data = {"title": title or f"话术{i}", "body": body or f"亲，这是第{i}条回复~", **fields}
        return actions.do_create_reply(actor, library, data, category)

    return make


def ids(resp: Any) -> set[int]:
    assert resp.status_code == 200, resp.content
    return {item["id"] for item in resp.json()["items"]}
