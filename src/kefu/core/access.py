"""Fetch objects *through* the caller's organization, so "not yours" looks like "missing".

Every lookup filters by organization inside the query (never fetch-then-compare), and all
misses raise the same NotFound. Role checks raise Forbidden with a message saying why.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.core.errors import Forbidden, NotFound
from kefu.core.models import ApiToken, Department, Member


def require_admin(member: Member) -> None:
    if not member.is_admin:
        raise Forbidden(_("Only an owner or admin can do this."))


def require_manager(member: Member) -> None:
    if not member.is_manager:
        raise Forbidden(_("Only a supervisor, admin or owner can do this."))


def access_member_by_id(member: Member, member_id: int) -> Member:
    found = (
        Member.objects.select_related("user", "organization").prefetch_related("departments")
        .filter(organization_id=member.organization_id, pk=member_id).first()
    )
    if found is None:
        raise NotFound(_("Member not found."))
    return found


def access_department_by_id(member: Member, department_id: int) -> Department:
    found = Department.objects.filter(organization_id=member.organization_id,
                                      pk=department_id).first()
    if found is None:
        raise NotFound(_("Department not found."))
    return found


def access_token_by_id(member: Member, token_id: int) -> ApiToken:
    found = (
        ApiToken.objects.select_related("member__user")
        .filter(member__organization_id=member.organization_id, pk=token_id).first()
    )
    if found is None:
        raise NotFound(_("API token not found."))
    return found
