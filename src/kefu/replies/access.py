"""Who may see and manage which library, and lookups that enforce it inside the query.

- company library: everyone in the organization reads; supervisors/admins/owners manage.
- department library: that department's members read; supervisors/admins/owners read and
  manage every department's library.
- personal library: only its owner reads and manages it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.core.errors import Forbidden, NotFound
from kefu.core.events import Audience
from kefu.core.models import MANAGER_ROLES, Department, Member
from kefu.replies.models import Category, Library, Reply, Scope, Variable


def visible_libraries_q(member: Member, prefix: str = "") -> Q:
    """A filter on Library (or, with prefix="library__", on anything with a library FK)."""
    p = prefix
    q = Q(**{f"{p}scope": Scope.COMPANY}) | Q(**{f"{p}scope": Scope.PERSONAL,
                                                   f"{p}owner_id": member.id})
    if member.is_manager:
        q |= Q(**{f"{p}scope": Scope.DEPARTMENT})
    else:
        q |= Q(**{f"{p}scope": Scope.DEPARTMENT, f"{p}department_id__in": member.department_ids()})
    return Q(**{f"{p}organization_id": member.organization_id}) & q


def can_read(member: Member, scope: str, department_id: int | None, owner_id: int | None,
             department_ids: frozenset[int]) -> bool:
    """visible_libraries_q's rule for one library of the member's organization, in Python
    (for the in-memory search index and suggestion model)."""
    if scope == Scope.COMPANY:
        return True
    if scope == Scope.PERSONAL:
        return owner_id == member.id
    return scope == Scope.DEPARTMENT and (member.is_manager or department_id in department_ids)


def visible_libraries(member: Member) -> QuerySet[Library]:
    return (Library.objects.filter(visible_libraries_q(member))
            .select_related("department", "owner__user"))


def visible_replies(member: Member, include_deleted: bool = False) -> QuerySet[Reply]:
    qs = Reply.objects.filter(visible_libraries_q(member, "library__"))
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    return qs.select_related("category__parent", "library__department",
                             "library__owner__user").prefetch_related("images")


def can_manage(member: Member, library: Library) -> bool:
    if library.organization_id != member.organization_id:
        return False
    if library.scope == Scope.PERSONAL:
        return library.owner_id == member.id
    return member.is_manager


def require_manage(member: Member, library: Library) -> None:
    if not can_manage(member, library):
        if library.scope == Scope.PERSONAL:
            raise Forbidden(_("Only the owner can change a personal library."))
        raise Forbidden(_("Only a supervisor, admin or owner can change a shared library."))


def library_audience(library: Library) -> Audience:
    if library.scope == Scope.COMPANY:
        return Audience.all()
    if library.scope == Scope.DEPARTMENT:
        return Audience(department_ids=(library.department_id or 0,),
                        roles=tuple(str(r) for r in MANAGER_ROLES))
    return Audience(member_ids=(library.owner_id or 0,))


def get_library(member: Member, scope: str, department: Department | None = None,
                owner: Member | None = None) -> Library:
    """The library of a scope, created on first use. Does not check permissions."""
    org_id = member.organization_id
    if scope == Scope.COMPANY:
        lookup: dict[str, Any] = {"organization_id": org_id, "scope": scope}
    elif scope == Scope.DEPARTMENT:
        if department is None or department.organization_id != org_id:
            raise NotFound(_("Department not found."))
        lookup = {"organization_id": org_id, "scope": scope, "department": department}
    elif scope == Scope.PERSONAL:
        who = owner or member
        if who.organization_id != org_id:
            raise NotFound(_("Member not found."))
        lookup = {"organization_id": org_id, "scope": scope, "owner": who}
    else:
        raise NotFound(_("Library not found."))
    lib = Library.objects.filter(**lookup).first()
    if lib is None:
        try:
            with transaction.atomic():
                lib = Library.objects.create(**lookup)
        except IntegrityError:  # created concurrently
            lib = Library.objects.get(**lookup)
    return lib


def access_library_by_id(member: Member, library_id: int) -> Library:
    lib = visible_libraries(member).filter(pk=library_id).first()
    if lib is None:
        raise NotFound(_("Library not found."))
    return lib


def access_reply_by_id(member: Member, reply_id: int, include_deleted: bool = False) -> Reply:
    reply = visible_replies(member, include_deleted).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound(_("Reply not found."))
    return reply


def access_category_by_id(member: Member, category_id: int) -> Category:
    cat = (Category.objects.filter(visible_libraries_q(member, "library__"), pk=category_id)
           .select_related("library", "parent").first())
    if cat is None:
        raise NotFound(_("Category not found."))
    return cat


def access_variable_by_id(member: Member, variable_id: int) -> Variable:
    var = Variable.objects.filter(organization_id=member.organization_id,
                                  pk=variable_id).first()
    if var is None:
        raise NotFound(_("Variable not found."))
    return var
