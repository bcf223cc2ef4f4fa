"""Objects the core API's path parameters name (see tests/tenancy_registry.py)."""

from __future__ import annotations

from itertools import count
from typing import Any

from kefu.core import actions
from kefu.core.models import Member, Organization, Role
from tests.tenancy_registry import register

_n = count(1)  # factories run once per method: names must not repeat


@register("/members/{member_id}", bodies={"PATCH": {"display_name": "改名"}})
def member(org: Organization, owner: Member) -> dict[str, Any]:
    target = actions.do_add_member(org, f"target{next(_n)}-{org.slug}", Role.AGENT, owner,
                                   password="target-pass-42")
    return {"member_id": target.id}


@register("/departments/{department_id}", bodies={"PATCH": {"name": "改名的部门"}})
def department(org: Organization, owner: Member) -> dict[str, Any]:
    return {"department_id": actions.do_create_department(org, f"质检{next(_n)}", owner).id}


@register("/tokens/{token_id}")
def token(org: Organization, owner: Member) -> dict[str, Any]:
    created, _raw = actions.do_create_token(owner, "isolation", owner)
    return {"token_id": created.id}
