"""The core API's shapes: paging, errors, the caller, and pinned query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core import actions
from kefu.core.models import Member, Organization, Role


def add_members(org: Organization, owner: Member, start: int, stop: int) -> None:
    """Members agent<start>..agent<stop-1>, in zero to three departments each."""
    depts = []
    for i in range(3):
        name = f"组{i}"
        found = org.departments.filter(name=name).first()
        depts.append((found or actions.do_create_department(org, name, owner)).id)
    for i in range(start, stop):
        actions.do_add_member(org, f"agent{i:03d}", Role.AGENT, owner, departments=depts[: i % 4])


def queries_for(client: Any, path: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path)
    assert resp.status_code == 200, resp.content
    return len(ctx.captured_queries), resp


@pytest.mark.django_db
def test_member_list_uses_a_fixed_number_of_queries(org: Organization, owner: Member,
                                                    api: Any):
    # Given a client (its first call records the token's last use, a write we don't count)
    client = api(owner)
    client.get("me")
    add_members(org, owner, 0, 3)
    few, _resp = queries_for(client, "members?limit=500")

    # When the organization grows to 30 more members, in departments
    add_members(org, owner, 3, 30)
    many, resp = queries_for(client, "members?limit=500")

    # Then listing them costs the same number of queries
    assert resp.json()["count"] == 1 + 30
    assert many == few
    # token with member, user and organization in one row; its departments; count; page;
    # the page's departments
    assert many == 5


@pytest.mark.django_db
def test_lists_page_with_limit_and_offset(org: Organization, owner: Member, api: Any):
    for name in ("甲", "乙", "丙", "丁"):
        actions.do_create_department(org, name, owner)
    client = api(owner)
    everything = client.get("departments").json()
    page = client.get("departments?limit=2&offset=1").json()
    assert everything["count"] == page["count"] == 4
    assert page["items"] == everything["items"][1:3]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1"])
def test_bad_paging_is_refused(owner: Member, api: Any, query: str):
    resp = api(owner).get(f"departments?{query}")
    assert resp.status_code == 400
    assert resp.json()["detail"]


@pytest.mark.django_db
def test_me_names_the_member_and_organization(agent: Member, api: Any):
    resp = api(agent).get("me")
    assert resp.status_code == 200
    assert resp.json() == {
        "member": {"id": agent.id, "username": "kefu1", "display_name": "kefu1",
                   "role": "agent", "departments": [
                       {"id": agent.departments.get().id, "name": "售前"}],
                   "is_active": True},
        "organization": {"id": agent.organization_id, "slug": "shop", "name": "好物旗舰店"},
    }


@pytest.mark.django_db
def test_admin_adds_a_member_with_departments(org: Organization, admin: Member,
                                              agent: Member, api: Any):
    dept = agent.departments.get()
    resp = api(admin).post("members", {"username": "xiaolin", "role": "agent",
                                       "password": "long-enough-pw-1",
                                       "display_name": "小林", "departments": [dept.id]})
    assert resp.status_code == 201
    assert resp.json()["display_name"] == "小林"
    assert resp.json()["departments"] == [{"id": dept.id, "name": "售前"}]


@pytest.mark.django_db
def test_openapi_document_is_served(client: Any):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert "/api/v1/members" in resp.json()["paths"]
