"""Core endpoints: the caller, members, departments, API tokens, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kefu.api import Page, paged
from kefu.core import actions
from kefu.core.access import (
    access_department_by_id,
    access_member_by_id,
    access_token_by_id,
    require_admin,
)
from kefu.core.models import ApiToken, AuditLog, Department, Member, Role

router = Router(tags=["core"])


def me(request: HttpRequest) -> Member:
    return request.auth  # type: ignore[attr-defined]


class DepartmentOut(Schema):
    id: int
    name: str


class MemberOut(Schema):
    id: int
    username: str
    display_name: str
    role: Role
    departments: list[DepartmentOut]
    is_active: bool


class MeOut(Schema):
    member: MemberOut
    organization: dict[str, Any]


class MemberPage(Schema):
    count: int
    items: list[MemberOut]


class MemberIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    role: Role = Role.AGENT
    password: str | None = Field(None, max_length=128)
    display_name: str = Field("", max_length=Member.DISPLAY_NAME_MAX)
    departments: list[int] = []


class MemberPatch(Schema):
    role: Role | None = None
    display_name: str | None = Field(None, max_length=Member.DISPLAY_NAME_MAX)
    departments: list[int] | None = None
    is_active: bool | None = None


class DepartmentIn(Schema):
    name: str = Field(min_length=1, max_length=Department.NAME_MAX)


class DepartmentPage(Schema):
    count: int
    items: list[DepartmentOut]


class TokenIn(Schema):
    name: str = Field("api", max_length=ApiToken.NAME_MAX)
    member_id: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    member_id: int
    username: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class TokenCreated(TokenOut):
    token: str


class TokenPage(Schema):
    count: int
    items: list[TokenOut]


class AuditOut(Schema):
    id: int
    actor: str
    action: str
    object_type: str
    object_id: str
    data: dict[str, Any]
    created_at: datetime


class AuditPage(Schema):
    count: int
    items: list[AuditOut]


@router.get("/me", response=MeOut, summary="The calling member and organization")
def get_me(request: HttpRequest) -> dict[str, Any]:
    m = me(request)
    return {"member": m.to_api_dict(), "organization": m.organization.to_api_dict()}


def _members(m: Member) -> Any:
    return (Member.objects.filter(organization_id=m.organization_id)
            .select_related("user").prefetch_related("departments").order_by("user__username"))


@router.get("/members", response=MemberPage)
def list_members(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    return paged(_members(me(request)), page.limit, page.offset, Member.to_api_dict)


@router.post("/members", response={201: MemberOut})
def add_member(request: HttpRequest, body: MemberIn) -> Status[Any]:
    m = me(request)
    require_admin(m)
    depts = [access_department_by_id(m, d).id for d in body.departments]
    member = actions.do_add_member(m.organization, body.username, body.role, m,
                                   password=body.password, departments=depts,
                                   display_name=body.display_name)
    return Status(201, member.to_api_dict())


@router.get("/members/{member_id}", response=MemberOut)
def get_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    return access_member_by_id(me(request), member_id).to_api_dict()


@router.patch("/members/{member_id}", response=MemberOut)
def change_member(request: HttpRequest, member_id: int, body: MemberPatch) -> dict[str, Any]:
    m = me(request)
    target = access_member_by_id(m, member_id)
    require_admin(m)
    depts = ([access_department_by_id(m, d).id for d in body.departments]
             if body.departments is not None else None)
    return actions.do_change_member(target, m, role=body.role, departments=depts,
                                    display_name=body.display_name,
                                    is_active=body.is_active).to_api_dict()


@router.get("/departments", response=DepartmentPage)
def list_departments(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    qs = Department.objects.filter(organization_id=me(request).organization_id).order_by("name")
    return paged(qs, page.limit, page.offset, Department.to_api_dict)


@router.post("/departments", response={201: DepartmentOut})
def create_department(request: HttpRequest, body: DepartmentIn) -> Status[Any]:
    m = me(request)
    require_admin(m)
    return Status(201, actions.do_create_department(m.organization, body.name, m).to_api_dict())


@router.patch("/departments/{department_id}", response=DepartmentOut)
def rename_department(request: HttpRequest, department_id: int,
                      body: DepartmentIn) -> dict[str, Any]:
    m = me(request)
    dept = access_department_by_id(m, department_id)
    require_admin(m)
    return actions.do_rename_department(dept, body.name, m).to_api_dict()


@router.delete("/departments/{department_id}", response={204: None})
def delete_department(request: HttpRequest, department_id: int) -> Status[None]:
    m = me(request)
    dept = access_department_by_id(m, department_id)
    require_admin(m)
    actions.do_delete_department(dept, m)
    return Status(204, None)


def _tokens(m: Member) -> Any:
    return (ApiToken.objects.filter(member__organization_id=m.organization_id)
            .select_related("member__user"))


@router.get("/tokens", response=TokenPage)
def list_tokens(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    m = me(request)
    require_admin(m)
    return paged(_tokens(m), page.limit, page.offset, ApiToken.to_api_dict)


@router.post("/tokens", response={201: TokenCreated},
             summary="Create a token; the secret is in this response only")
def create_token(request: HttpRequest, body: TokenIn) -> Status[Any]:
    m = me(request)
    require_admin(m)
    owner = access_member_by_id(m, body.member_id) if body.member_id else m
    token, raw = actions.do_create_token(owner, body.name, m)
    return Status(201, {**token.to_api_dict(), "token": raw})


@router.get("/tokens/{token_id}", response=TokenOut)
def get_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    m = me(request)
    token = access_token_by_id(m, token_id)
    require_admin(m)
    return token.to_api_dict()


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke a token")
def revoke_token(request: HttpRequest, token_id: int) -> dict[str, Any]:
    m = me(request)
    token = access_token_by_id(m, token_id)
    require_admin(m)
    return actions.do_revoke_token(token, m).to_api_dict()


@router.get("/audit", response=AuditPage, summary="The organization's audit log, newest first")
def list_audit(request: HttpRequest, page: Query[Page],
               action: str | None = None) -> dict[str, Any]:
    m = me(request)
    require_admin(m)
    qs = AuditLog.objects.filter(organization_id=m.organization_id)
    if action:
        qs = qs.filter(action__startswith=action)
    return paged(qs, page.limit, page.offset, AuditLog.to_api_dict)
