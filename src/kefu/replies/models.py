"""The reply library (话术库): libraries by scope, two-level categories, replies, revisions,
organization variables, images and usage.

Visibility is decided by *library*: a member sees the company library, the libraries of
their departments (supervisors and admins: all departments) and their own personal
library. Every reply query filters by the set of visible library ids (see access.py).
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.core.models import Department, Member, Organization


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Stores Chinese as itself, not \\uXXXX, so SQLite text matches (tag filters) work and
    the database stays readable."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class Scope(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    PERSONAL = "personal", _("Personal")


class Library(models.Model):
    """One reply library: the company's, a department's, or one member's personal library."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="libraries", verbose_name=_("organization"))
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices)
    department = models.ForeignKey(Department, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="libraries", verbose_name=_("department"))
    owner = models.ForeignKey(Member, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="libraries", verbose_name=_("owner"))

    class Meta:
        verbose_name = _("library")
        verbose_name_plural = _("libraries")
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(scope="company"),
                                    name="library_one_company"),
            models.UniqueConstraint(fields=["organization", "department"],
                                    condition=Q(scope="department"), name="library_one_per_dept"),
            models.UniqueConstraint(fields=["organization", "owner"],
                                    condition=Q(scope="personal"), name="library_one_personal"),
            models.CheckConstraint(
                condition=(Q(scope="company", department__isnull=True, owner__isnull=True)
                           | Q(scope="department", department__isnull=False, owner__isnull=True)
                           | Q(scope="personal", department__isnull=True, owner__isnull=False)),
                name="library_scope_fields"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.scope == Scope.DEPARTMENT and self.department is not None:
            return str(self.department.name)
        if self.scope == Scope.PERSONAL and self.owner is not None:
            return str(self.owner.name)
        return str(Scope(self.scope).label)

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "scope": self.scope, "department_id": self.department_id,
                "owner_id": self.owner_id, "label": self.label}


class Category(models.Model):
    """A first-level (一级) or second-level (二级) category inside one library."""

    NAME_MAX = 50

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="categories",
                                verbose_name=_("library"))
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="children", verbose_name=_("parent category"))
    name = models.CharField(_("name"), max_length=NAME_MAX)
    position = models.IntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["library", "name"], condition=Q(parent__isnull=True),
                                    name="category_unique_top_name",
                                    violation_error_message=_("A category with this name "
                                                              "already exists here.")),
            models.UniqueConstraint(fields=["parent", "name"], condition=Q(parent__isnull=False),
                                    name="category_unique_child_name",
                                    violation_error_message=_("A category with this name "
                                                              "already exists here.")),
        ]

    def __str__(self) -> str:
        return self.name

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "library_id": self.library_id, "parent_id": self.parent_id,
                "name": self.name, "position": self.position}


class Reply(models.Model):
    """One reply script (话术). ``version`` grows by one on every edit (optimistic locking)."""

    TITLE_MAX = 100
    BODY_MAX = 5000
    KEY_MAX = 64
    SHORTCUT_MAX = 20
    TAG_MAX = 20
    TAGS_MAX = 20
    QUESTION_MAX = 200
    QUESTIONS_MAX = 50

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="replies", verbose_name=_("organization"))
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="replies",
                                verbose_name=_("library"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="replies", verbose_name=_("category"))
    key = models.CharField(_("key (编号)"), max_length=KEY_MAX, blank=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("body"), max_length=BODY_MAX)
    shortcut = models.CharField(_("shortcut code"), max_length=SHORTCUT_MAX, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True, encoder=UnicodeJSONEncoder)
    questions = models.JSONField(_("example questions"), default=list, blank=True,
                                 encoder=UnicodeJSONEncoder)
    position = models.IntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    updated_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    usage_count = models.PositiveIntegerField(_("usage count"), default=0)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Derived from the text by replies.search.keys.search_keys_for() on every write.
    search_keys = models.JSONField(_("search keys"), default=dict, blank=True, editable=False,
                                   encoder=UnicodeJSONEncoder)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], condition=~Q(key=""),
                                    name="reply_unique_key",
                                    violation_error_message=_("Another reply has this key.")),
        ]
        indexes = [
            models.Index(fields=["library", "category", "position"], name="reply_listing"),
            models.Index(fields=["organization", "shortcut"], name="reply_shortcut"),
        ]

    def __str__(self) -> str:
        return self.title

    def content(self) -> dict[str, Any]:
        """Everything a revision stores and a restore brings back."""
        return {
            "key": self.key, "title": self.title, "body": self.body, "shortcut": self.shortcut,
            "tags": list(self.tags), "questions": list(self.questions),
            "library_id": self.library_id, "category_id": self.category_id,
            "is_active": self.is_active,
        }

    def category_path(self) -> list[str]:
        cat = self.category
        if cat is None:
            return []
        return [cat.parent.name, cat.name] if cat.parent_id and cat.parent else [cat.name]

    def to_api_dict(self) -> dict[str, Any]:
        # Callers select_related("category__parent", "library__department", "library__owner")
        # and prefetch_related("images") so that lists stay at a fixed number of queries.
        return {
            "id": self.id, "key": self.key, "version": self.version,
            "title": self.title, "body": self.body,
            "category": self.category_path(), "category_id": self.category_id,
            "library": self.library.to_api_dict(),
            "shortcut": self.shortcut, "tags": list(self.tags),
            "questions": list(self.questions), "position": self.position,
            "is_active": self.is_active,
            "images": [img.to_api_dict() for img in self.images.all()],
            "usage_count": self.usage_count, "last_used_at": self.last_used_at,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
        }


class Revision(models.Model):
    """The full content of a reply after one change; restoring copies it back as a new edit."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="revisions",
                              verbose_name=_("reply"))
    version = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"), encoder=UnicodeJSONEncoder)
    action = models.CharField(_("action"), max_length=32)  # create/edit/import/restore/move
    author = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    author_label = models.CharField(_("author"), max_length=150)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["reply", "version"],
                                               name="revision_unique_version")]

    def __str__(self) -> str:
        return f"{self.reply_id} v{self.version}"

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "action": self.action,
                "author": self.author_label, "created_at": self.created_at,
                "content": self.content}


def image_path(instance: ReplyImage, filename: str) -> str:
    return f"replies/{instance.reply.organization_id}/{instance.reply_id}/{filename}"


class ReplyImage(models.Model):
    """An image sent with a reply. Served only through a view that checks visibility."""

    MAX_BYTES = 5 * 1024 * 1024
    MAX_PER_REPLY = 9

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="images",
                              verbose_name=_("reply"))
    file = models.FileField(_("file"), upload_to=image_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=32)
    size = models.PositiveIntegerField(_("size"))
    position = models.IntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply image")
        verbose_name_plural = _("reply images")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "content_type": self.content_type,
                "size": self.size,
                "url": f"/api/v1/replies/{self.reply_id}/images/{self.id}"}


class Variable(models.Model):
    """An organization-defined variable such as {活动.满减}: set once, used in many replies."""

    NAME_MAX = 40
    VALUE_MAX = 1000

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="reply_variables",
                                     verbose_name=_("organization"))
    name = models.CharField(_("name"), max_length=NAME_MAX)
    value = models.TextField(_("value"), max_length=VALUE_MAX, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("updated by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("variable")
        verbose_name_plural = _("variables")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="variable_unique_name",
                                    violation_error_message=_("A variable with this name "
                                                              "already exists.")),
        ]

    def __str__(self) -> str:
        return self.name

    def to_api_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "value": self.value,
                "description": self.description, "version": self.version,
                "updated_at": self.updated_at}


class UseSource(models.TextChoices):
    SEARCH = "search", _("Search")
    SUGGEST = "suggest", _("Suggestion")
    BROWSE = "browse", _("Browse")


class ReplyUse(models.Model):
    """One use of a reply by a member (the panel records it on copy). Reports read these."""

    MESSAGE_MAX = 2000

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organization"))
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="uses",
                              verbose_name=_("reply"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reply_uses",
                               verbose_name=_("member"))
    source = models.CharField(_("source"), max_length=16, choices=UseSource.choices)
    message = models.TextField(_("buyer message (masked)"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply use")
        verbose_name_plural = _("reply uses")
        indexes = [
            models.Index(fields=["organization", "created_at"], name="use_org_time"),
            models.Index(fields=["member", "reply"], name="use_member_reply"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} used {self.reply_id}"


class MemberReplyStat(models.Model):
    """Per-member usage of one reply, kept current by do_record_use (search ranks by it)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("member"))
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="member_stats",
                              verbose_name=_("reply"))
    count = models.PositiveIntegerField(_("count"), default=0)
    last_used_at = models.DateTimeField(_("last used at"))

    class Meta:
        verbose_name = _("member reply usage")
        verbose_name_plural = _("member reply usage")
        constraints = [models.UniqueConstraint(fields=["member", "reply"],
                                               name="memberstat_unique")]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.reply_id}={self.count}"
