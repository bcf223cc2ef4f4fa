"""Organizations, departments, members and their roles, API tokens, the audit log."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A tenant: one shop or company with its own members and data. Nothing crosses it."""

    SLUG_MAX = 50
    NAME_MAX = 100

    slug = models.SlugField(_("slug"), max_length=SLUG_MAX, unique=True)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "slug": self.slug, "name": self.name}


class Department(models.Model):
    """A team inside an organization (售前, 售后...); owns a department reply library later."""

    NAME_MAX = 50

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments",
        verbose_name=_("organization"),
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="department_unique_name",
                violation_error_message=_("A department with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")


# Roles that may manage members, departments and API tokens.
ADMIN_ROLES = frozenset({Role.OWNER, Role.ADMIN})
# Roles that may curate shared content (company and department libraries, reports).
MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.SUPERVISOR})


class Member(models.Model):
    """A user's place in one organization: role and departments. A user may have several."""

    DISPLAY_NAME_MAX = 50

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="members",
        verbose_name=_("organization"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(
        _("display name"), max_length=DISPLAY_NAME_MAX, blank=True,
        help_text=_("Shown to buyers as {客服昵称}; defaults to the user name."),
    )
    departments = models.ManyToManyField(
        Department, blank=True, related_name="members", verbose_name=_("departments"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["organization", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="member_unique_user",
                violation_error_message=_("This user is already a member."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.username}@{self.organization.slug}"

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES

    @property
    def name(self) -> str:
        return self.display_name or self.user.username

    def department_ids(self) -> list[int]:
        # Uses the prefetch cache when the caller prefetched departments.
        return sorted(d.id for d in self.departments.all())

    def to_api_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.user.username,
            "display_name": self.name,
            "role": self.role,
            "departments": [d.to_api_dict() for d in self.departments.all()],
            "is_active": self.is_active,
        }


def hash_token(raw: str) -> str:
    # Tokens are 256 random bits, so a fast unsalted hash is enough: nothing to brute-force.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token acting as one member. Only its SHA-256 is stored; shown once."""

    NAME_MAX = 100
    PREFIX = "kefu_"

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("member"),
    )
    name = models.CharField(_("name"), max_length=NAME_MAX)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    hint = models.CharField(_("hint"), max_length=16, editable=False)  # first chars, for lists
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    def to_api_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "member_id": self.member_id,
            "username": self.member.user.username,
            "hint": self.hint,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "revoked": self.revoked_at is not None,
        }


class AuditLog(models.Model):
    """Who did what, when, in which organization. Written by every action, never edited."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_log",
        verbose_name=_("organization"),
    )
    actor = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)  # survives member deletion
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["organization", "-id"], name="audit_org_recent")]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def to_api_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "actor": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
            "created_at": self.created_at,
        }


class LoginFailure(models.Model):
    """A failed login, kept for throttling; in the database so every worker sees it."""

    username = models.CharField(_("user name"), max_length=150)
    ip = models.CharField(_("IP address"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("login failure")
        verbose_name_plural = _("login failures")
        indexes = [models.Index(fields=["username", "ip", "created_at"], name="loginfail_lookup")]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip}"
