"""Which library an import writes to and an export reads: ``company``,
``department:NAME`` or ``personal[:USERNAME]``, for a member (API) or an operator (CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError, NotFound
from kefu.core.models import Department, Member, Organization
from kefu.replies.access import require_manage, visible_libraries
from kefu.replies.models import Library, Scope


@dataclass(frozen=True)
class ScopeRef:
    scope: str
    name: str = ""  # department name or username

    def __str__(self) -> str:
        return f"{self.scope}:{self.name}" if self.name else self.scope


def parse_scope(text: str | None) -> ScopeRef:
    raw = (text or Scope.COMPANY).strip()
    scope, _sep, name = raw.partition(":")
    scope, name = scope.strip().lower(), name.strip()
    if scope == Scope.COMPANY and not name:
        return ScopeRef(Scope.COMPANY)
    if scope == Scope.DEPARTMENT and name:
        return ScopeRef(Scope.DEPARTMENT, name)
    if scope == Scope.PERSONAL:
        return ScopeRef(Scope.PERSONAL, name)
    raise KefuError(_("Unknown scope %(scope)s: use company, department:NAME or "
                      "personal:USERNAME.") % {"scope": raw}, field="scope")


def _lookup(org: Organization, ref: ScopeRef, actor: Member | None) -> dict[str, Any]:
    if ref.scope == Scope.COMPANY:
        return {"organization_id": org.id, "scope": Scope.COMPANY}
    if ref.scope == Scope.DEPARTMENT:
        dept = Department.objects.filter(organization=org, name=ref.name).first()
        if dept is None:
            raise NotFound(_("Department not found."))
        return {"organization_id": org.id, "scope": Scope.DEPARTMENT, "department": dept}
    if not ref.name and actor is None:
        raise KefuError(_("Name the member whose library it is: personal:USERNAME."),
                        field="scope")
    if not ref.name:
        owner: Member | None = actor
    else:
        owner = (Member.objects.filter(organization=org, user__username=ref.name)
                 .select_related("user").first())
    if owner is None:
        raise NotFound(_("Member not found."))
    return {"organization_id": org.id, "scope": Scope.PERSONAL, "owner": owner}


def library_for_import(org: Organization, ref: ScopeRef, actor: Member | None) -> Library:
    """The library to write to, created on first use; refused unless ``actor`` may manage
    it (None: an operator at the command line)."""
    if actor is not None and actor.organization_id != org.id:
        raise NotFound(_("Library not found."))
    lookup = _lookup(org, ref, actor)
    if actor is not None:
        # Check before creating anything: an agent gets 403, not a new empty library.
        require_manage(actor, Library(**lookup))
    lib = Library.objects.filter(**lookup).select_related("department", "owner__user").first()
    if lib is None:
        try:
            with transaction.atomic():
                lib = Library.objects.create(**lookup)
        except IntegrityError:  # created concurrently
            lib = Library.objects.get(**lookup)
    return lib


def libraries_for_export(org: Organization, ref: ScopeRef | None,
                         actor: Member | None) -> list[Library]:
    """Libraries to export: one scope, or (ref None) everything ``actor`` may see (the
    operator: every library of the organization). A scope the actor may not see is 404."""
    if actor is not None:
        qs = visible_libraries(actor)
    else:
        qs = Library.objects.filter(organization=org).select_related("department",
                                                                     "owner__user")
    if ref is not None:
        lookup = _lookup(org, ref, actor)
        lookup.pop("organization_id")
        if actor is not None and ref.scope == Scope.DEPARTMENT and not actor.is_manager \
                and lookup["department"].id not in actor.department_ids():
            raise NotFound(_("Department not found."))
        if actor is not None and ref.scope == Scope.PERSONAL and lookup["owner"].id != actor.id:
            raise NotFound(_("Library not found."))
        qs = qs.filter(**lookup)
    rank = {Scope.COMPANY: 0, Scope.DEPARTMENT: 1, Scope.PERSONAL: 2}
    return sorted(qs, key=lambda lib: (rank[Scope(lib.scope)],
                                       lib.department.name if lib.department else "",
                                       lib.owner_id or 0, lib.id))
