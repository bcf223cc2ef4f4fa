"""Every write in the core app: one transaction, one audit row, its event after commit.

``actor`` is the member doing it, or None for an operator at the command line.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kefu.core.errors import Forbidden, KefuError
from kefu.core.event_types import DepartmentEvent, MemberEvent
from kefu.core.events import Audience, send_event_on_commit
from kefu.core.models import (
    ApiToken,
    AuditLog,
    Department,
    LoginFailure,
    Member,
    Organization,
    Role,
    hash_token,
)

User = get_user_model()


def audit(org: Organization | int, actor: Member | None, action: str,
          obj: Model | None = None, **data: Any) -> None:
    AuditLog.objects.create(
        organization_id=org if isinstance(org, int) else org.id,
        actor=actor,
        actor_label=actor.user.username if actor else "cli",
        action=action,
        object_type=obj._meta.model_name or "" if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data,
    )


# --- organizations ---------------------------------------------------------------------

def do_create_organization(slug: str, name: str) -> Organization:
    if not slug or slugify(slug) != slug:
        raise KefuError(_("The slug may contain only lowercase letters, digits, - and _."))
    if len(slug) > Organization.SLUG_MAX:
        raise KefuError(_("The slug is too long."))
    name = name.strip()
    if not name or len(name) > Organization.NAME_MAX:
        raise KefuError(_("The name must be 1 to 100 characters."))
    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise KefuError(_("An organization with this slug already exists."))
        org = Organization.objects.create(slug=slug, name=name)
        audit(org, None, "organization.create", org, slug=slug, name=name)
    return org


# --- departments -----------------------------------------------------------------------

def _clean_department_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > Department.NAME_MAX:
        raise KefuError(_("The department name must be 1 to 50 characters."))
    return name


def do_create_department(org: Organization, name: str, actor: Member | None) -> Department:
    name = _clean_department_name(name)
    with transaction.atomic():
        if Department.objects.filter(organization=org, name=name).exists():
            raise KefuError(_("A department with this name already exists."))
        dept = Department.objects.create(organization=org, name=name)
        audit(org, actor, "department.create", dept, name=name)
        send_event_on_commit(org, DepartmentEvent(op="add", id=dept.id,
                                                  department=dept.to_api_dict()), Audience.all())
    return dept


def do_rename_department(dept: Department, name: str, actor: Member | None) -> Department:
    name = _clean_department_name(name)
    with transaction.atomic():
        if Department.objects.filter(organization_id=dept.organization_id, name=name
                                     ).exclude(pk=dept.pk).exists():
            raise KefuError(_("A department with this name already exists."))
        old = dept.name
        dept.name = name
        dept.save(update_fields=["name"])
        audit(dept.organization_id, actor, "department.rename", dept, old=old, new=name)
        send_event_on_commit(dept.organization_id, DepartmentEvent(
            op="update", id=dept.id, department=dept.to_api_dict()), Audience.all())
        _send_member_updates(dept.organization_id, dept.members.values_list("pk", flat=True))
    return dept


def do_delete_department(dept: Department, actor: Member | None) -> None:
    """Delete a department. Refused while its reply library still holds replies: they
    would be lost with it. Replies already deleted there go with it."""
    from kefu.replies.models import Reply  # core must not import apps at module level

    with transaction.atomic():
        in_library = Reply.objects.filter(library__department=dept)
        live = in_library.filter(deleted_at__isnull=True).count()
        if live:
            raise KefuError(_("The department's reply library still has %(n)d replies: move "
                              "or delete them first.") % {"n": live})
        in_library.delete()  # before the library, whose categories they reference
        dept_id = dept.id
        member_ids = list(dept.members.values_list("pk", flat=True))
        audit(dept.organization_id, actor, "department.delete", dept, name=dept.name)
        dept.delete()
        send_event_on_commit(dept.organization_id, DepartmentEvent(op="remove", id=dept_id),
                             Audience.all())
        _send_member_updates(dept.organization_id, member_ids)


def _send_member_updates(org_id: int, member_ids: Iterable[int]) -> None:
    # A member's API object names its departments, so screens showing members must hear
    # when a department they are in is renamed or deleted.
    members = (Member.objects.filter(organization_id=org_id, pk__in=list(member_ids))
               .select_related("user").prefetch_related("departments").order_by("pk"))
    for member in members:
        send_event_on_commit(org_id, MemberEvent(op="update", id=member.id,
                                                 member=member.to_api_dict()), Audience.all())


# --- members ---------------------------------------------------------------------------

def _check_role_change(actor: Member | None, role: str) -> None:
    if role not in Role.values:
        raise KefuError(_("Unknown role."))
    if actor is not None and role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden(_("Only an owner can make someone an owner."))


def _departments(org: Organization | int, names_or_ids: Iterable[str | int]) -> list[Department]:
    org_id = org if isinstance(org, int) else org.id
    out = []
    for ref in names_or_ids:
        field = "pk" if isinstance(ref, int) else "name"
        dept = Department.objects.filter(organization_id=org_id, **{field: ref}).first()
        if dept is None:
            raise KefuError(_("Department not found: %(name)s") % {"name": ref})
        out.append(dept)
    return out


def do_add_member(org: Organization, username: str, role: str, actor: Member | None, *,
                  password: str | None = None, departments: Iterable[str | int] = (),
                  display_name: str = "") -> Member:
    """Add a user to an organization, creating the user when the name is new."""
    _check_role_change(actor, role)
    username = username.strip()
    if not username or len(username) > 150:
        raise KefuError(_("The user name must be 1 to 150 characters."))
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            if password:
                try:
                    validate_password(password, user)
                except ValidationError as exc:
                    raise KefuError(" ".join(exc.messages)) from None
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        elif password:
            raise KefuError(_("This user already exists; their password was not changed."))
        if Member.objects.filter(organization=org, user=user).exists():
            raise KefuError(_("This user is already a member."))
        depts = _departments(org, departments)
        try:
            member = Member.objects.create(organization=org, user=user, role=role,
                                           display_name=display_name.strip())
        except IntegrityError:  # a concurrent add of the same user
            raise KefuError(_("This user is already a member.")) from None
        member.departments.set(depts)
        audit(org, actor, "member.add", member, username=username, role=role,
              departments=[d.name for d in depts])
        send_event_on_commit(org, MemberEvent(op="add", id=member.id,
                                              member=member.to_api_dict()), Audience.all())
    return member


def _owners_left(org_id: int, excluding: Member) -> int:
    return Member.objects.filter(organization_id=org_id, role=Role.OWNER, is_active=True
                                 ).exclude(pk=excluding.pk).count()


def do_change_member(member: Member, actor: Member | None, *, role: str | None = None,
                     departments: Iterable[str | int] | None = None,
                     display_name: str | None = None, is_active: bool | None = None) -> Member:
    with transaction.atomic():
        # Lock the row: two admins demoting the last two owners at once must not both win.
        member = Member.objects.select_for_update().select_related(
            "user", "organization").get(pk=member.pk)
        changes: dict[str, Any] = {}
        if role is not None and role != member.role:
            _check_role_change(actor, role)
            if member.role == Role.OWNER and actor is not None and actor.role != Role.OWNER:
                raise Forbidden(_("Only an owner can change an owner's role."))
            if member.role == Role.OWNER and _owners_left(member.organization_id, member) == 0:
                raise KefuError(_("An organization needs at least one owner."))
            changes["role"] = [member.role, role]
            member.role = role
        if is_active is not None and is_active != member.is_active:
            if member.role == Role.OWNER and actor is not None and actor.role != Role.OWNER:
                raise Forbidden(_("Only an owner can deactivate or reactivate an owner."))
            if not is_active and member.role == Role.OWNER and \
                    _owners_left(member.organization_id, member) == 0:
                raise KefuError(_("An organization needs at least one owner."))
            changes["is_active"] = is_active
            member.is_active = is_active
        if display_name is not None:
            if len(display_name.strip()) > Member.DISPLAY_NAME_MAX:
                raise KefuError(_("The display name is too long."))
            changes["display_name"] = display_name.strip()
            member.display_name = display_name.strip()
        member.save()
        if departments is not None:
            depts = _departments(member.organization_id, departments)
            member.departments.set(depts)
            changes["departments"] = [d.name for d in depts]
        member = Member.objects.select_related("user", "organization").prefetch_related(
            "departments").get(pk=member.pk)
        audit(member.organization_id, actor, "member.change", member, **changes)
        send_event_on_commit(member.organization_id, MemberEvent(
            op="update", id=member.id, member=member.to_api_dict()), Audience.all())
    return member


def do_set_password(user: Any, password: str) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise KefuError(" ".join(exc.messages)) from None
    user.set_password(password)
    user.save(update_fields=["password"])


# --- API tokens ------------------------------------------------------------------------

def do_create_token(member: Member, name: str, actor: Member | None) -> tuple[ApiToken, str]:
    """Returns the token row and the raw secret, which is never stored and never shown again."""
    name = name.strip() or "api"
    if len(name) > ApiToken.NAME_MAX:
        raise KefuError(_("The token name is too long."))
    # A token acts as its member: an admin holding an owner's token would be an owner.
    if actor is not None and member.role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden(_("Only an owner can create a token for an owner."))
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(member=member, name=name, digest=hash_token(raw),
                                        hint=raw[: len(ApiToken.PREFIX) + 4])
        audit(member.organization_id, actor, "token.create", token, name=name,
              member=member.user.username)
    return token, raw


def do_revoke_token(token: ApiToken, actor: Member | None) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit(token.member.organization_id, actor, "token.revoke", token, name=token.name)
    return token


# --- login throttling ------------------------------------------------------------------

def login_throttled(username: str, ip: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.KEFU_LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(username=username, ip=ip, created_at__gte=since)
    return recent.count() >= settings.KEFU_LOGIN_MAX_FAILURES


def record_login_failure(username: str, ip: str) -> None:
    LoginFailure.objects.create(username=username[:150], ip=ip[:64])
    # Old rows are useless for throttling; trim them as we go instead of needing a cron job.
    horizon = timezone.now() - timedelta(days=1)
    LoginFailure.objects.filter(created_at__lt=horizon).delete()


def clear_login_failures(username: str, ip: str) -> None:
    LoginFailure.objects.filter(username=username, ip=ip).delete()
