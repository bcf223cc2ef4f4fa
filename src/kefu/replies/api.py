"""Reply library endpoints: libraries, categories, replies, revisions, variables, render, uses.

Thin: parse with schemas (limits from the model constants), look up through access.py,
call one action, answer the model's to_api_dict().
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator

from kefu.api import Page, paged
from kefu.core.access import access_department_by_id, require_manager
from kefu.core.errors import KefuError, NotFound
from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.access import (
    access_category_by_id,
    access_library_by_id,
    access_reply_by_id,
    access_variable_by_id,
    can_manage,
    get_library,
    visible_libraries,
    visible_replies,
)
from kefu.replies.models import Category, Library, Reply, Revision, Scope, UseSource, Variable
from kefu.replies.validation import normalize_shortcut, normalize_text
from kefu.replies.variables import render
from kefu.suggestions.models import CONVERSATION_MAX

router = Router(tags=["replies"])


def me(request: HttpRequest) -> Member:
    return request.auth  # type: ignore[attr-defined]


# --- schemas ---------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    return normalize_text(value) if isinstance(value, str) else value


def _clean_shortcut(value: Any) -> Any:
    return normalize_shortcut(value) if isinstance(value, str) else value


def _clean_variable_name(value: Any) -> Any:
    return normalize_text(value).strip("{}") if isinstance(value, str) else value


# Text is cleaned (trimmed, NFC, \n line ends) *before* its length is checked, so the limits
# below are exactly the model's and a 422 states the same number the editor shows.
Text = Annotated[str, BeforeValidator(_clean)]
ShortcutText = Annotated[str, BeforeValidator(_clean_shortcut)]
VariableName = Annotated[str, BeforeValidator(_clean_variable_name)]
# Ids fit a 64-bit column; a larger number is refused instead of overflowing SQLite.
Id = Annotated[int, Field(ge=0, le=2**63 - 1)]


class LibraryOut(Schema):
    id: int
    scope: Scope
    department_id: int | None
    owner_id: int | None
    label: str


class ImageOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class ReplyOut(Schema):
    id: int
    key: str
    version: int
    title: str
    body: str
    category: list[str]
    category_id: int | None
    library: LibraryOut
    shortcut: str
    tags: list[str]
    questions: list[str]
    position: int
    is_active: bool
    images: list[ImageOut]
    usage_count: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class ReplyPage(Schema):
    count: int
    items: list[ReplyOut]


class LibraryRef(Schema):
    """Where a reply lives: a library id, or a scope (with department for department)."""

    library_id: Id | None = None
    scope: Scope | None = None
    department_id: Id | None = None


class ReplyIn(LibraryRef):
    title: Text = Field(max_length=Reply.TITLE_MAX)
    body: Text = Field(max_length=Reply.BODY_MAX)
    key: Text = Field("", max_length=Reply.KEY_MAX)
    shortcut: ShortcutText = Field("", max_length=Reply.SHORTCUT_MAX)
    tags: list[str] = Field([], max_length=Reply.TAGS_MAX)
    questions: list[str] = Field([], max_length=Reply.QUESTIONS_MAX)
    category_id: Id | None = None
    is_active: bool = True


class ReplyPatch(Schema):
    version: int = Field(description="The version you started editing from; 409 if stale.")
    title: Text | None = Field(None, max_length=Reply.TITLE_MAX)
    body: Text | None = Field(None, max_length=Reply.BODY_MAX)
    key: Text | None = Field(None, max_length=Reply.KEY_MAX)
    shortcut: ShortcutText | None = Field(None, max_length=Reply.SHORTCUT_MAX)
    tags: list[str] | None = Field(None, max_length=Reply.TAGS_MAX)
    questions: list[str] | None = Field(None, max_length=Reply.QUESTIONS_MAX)
    category_id: Id | None = Field(None, description="0 means uncategorized")
    library_id: Id | None = None
    is_active: bool | None = None


class ReplyFilter(Page):
    library_id: Id | None = None
    scope: Scope | None = None
    category_id: Id | None = Field(None, description="also matches its subcategories")
    tag: str | None = None
    q: str | None = Field(None, max_length=100, description="plain substring filter")
    active: bool | None = None
    deleted: bool = Field(False, description="list deleted (restorable) replies instead")


class RevisionOut(Schema):
    id: int
    version: int
    action: str
    author: str
    created_at: datetime
    content: dict[str, Any]


class RevisionPage(Schema):
    count: int
    items: list[RevisionOut]


class VersionIn(Schema):
    version: int


class ReorderIn(Schema):
    library_id: Id
    category_id: Id | None = None
    ids: list[int] = Field(max_length=5000)


class UseIn(Schema):
    source: UseSource
    message: str | None = Field(None, max_length=4000)
    conversation: str | None = Field(
        None, max_length=CONVERSATION_MAX,
        description="the chat this use belongs to (any stable id, e.g. the chat platform's); "
                    "suggestions then learn which reply follows which")


class UseOut(Schema):
    id: int
    reply_id: int
    usage_count: int


class CategoryOut(Schema):
    id: int
    library_id: int
    parent_id: int | None
    name: str
    position: int


class CategoryTree(CategoryOut):
    children: list[CategoryOut]
    reply_count: int


class LibraryTree(LibraryOut):
    can_manage: bool
    categories: list[CategoryTree]
    uncategorized_count: int


class CategoryIn(Schema):
    library_id: Id
    name: Text = Field(max_length=Category.NAME_MAX)
    parent_id: Id | None = None


class CategoryPatch(Schema):
    name: Text | None = Field(None, max_length=Category.NAME_MAX)
    parent_id: Id | None = Field(None, description="0 makes it first-level")


class CategoryReorderIn(Schema):
    library_id: Id
    parent_id: Id | None = None
    ids: list[int] = Field(max_length=1000)


class VariableOut(Schema):
    id: int
    name: str
    value: str
    description: str
    version: int
    updated_at: datetime


class VariablePage(Schema):
    count: int
    items: list[VariableOut]


class VariableIn(Schema):
    name: VariableName = Field(max_length=Variable.NAME_MAX,
                               description="活动.满减 (braces are optional)")
    value: Text = Field("", max_length=Variable.VALUE_MAX)
    description: Text = Field("", max_length=200)


class VariablePatch(VariableIn):
    version: int


class RenderIn(Schema):
    text: str | None = Field(None, max_length=Reply.BODY_MAX)
    reply_id: Id | None = None
    values: dict[str, str] = {}


class RenderOut(Schema):
    text: str
    used: list[str]
    missing: list[str]
    unknown: list[str]


# --- helpers ---------------------------------------------------------------------------

def resolve_library(m: Member, ref: LibraryRef) -> Library:
    if ref.library_id is not None:
        return access_library_by_id(m, ref.library_id)
    scope = ref.scope or Scope.COMPANY
    dept = access_department_by_id(m, ref.department_id) if ref.department_id else None
    if scope == Scope.DEPARTMENT and dept is None:
        raise KefuError(_("department_id is required for a department library."),
                        field="department_id")
    if scope == Scope.DEPARTMENT and not m.is_manager and dept and \
            dept.id not in m.department_ids():
        raise NotFound(_("Department not found."))
    return get_library(m, scope, department=dept)


def _category_in(m: Member, library: Library, category_id: int | None) -> Category | None:
    if not category_id:
        return None
    cat = access_category_by_id(m, category_id)
    if cat.library_id != library.id:
        raise KefuError(_("The category belongs to another library."), field="category_id")
    return cat


# --- replies ---------------------------------------------------------------------------

@router.get("/replies", response=ReplyPage, summary="Replies the caller may see, paged")
def list_replies(request: HttpRequest, f: Query[ReplyFilter]) -> dict[str, Any]:
    m = me(request)
    qs = visible_replies(m, include_deleted=f.deleted)
    if f.deleted:
        qs = qs.filter(deleted_at__isnull=False)
    if f.library_id is not None:
        qs = qs.filter(library_id=f.library_id)
    if f.scope is not None:
        qs = qs.filter(library__scope=f.scope)
    if f.category_id is not None:
        qs = qs.filter(Q(category_id=f.category_id) | Q(category__parent_id=f.category_id))
    if f.tag:
        # Matches one whole element of the JSON list, on SQLite and PostgreSQL alike.
        qs = qs.filter(tags__icontains=json.dumps(f.tag, ensure_ascii=False))
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(body__icontains=f.q) |
                       Q(shortcut__iexact=f.q) | Q(key__iexact=f.q))
    if f.active is not None:
        qs = qs.filter(is_active=f.active)
    return paged(qs.order_by(*TREE_ORDER), f.limit, f.offset, Reply.to_api_dict)


# The library tree's order: each first-level category, then its second-level ones, then
# the next first-level category; uncategorized replies last. Explicit about NULLs, which
# SQLite sorts first and PostgreSQL last.
TREE_ORDER = (
    F("library_id").asc(),
    Coalesce("category__parent__position", "category__position").asc(nulls_last=True),
    Coalesce("category__parent_id", "category_id").asc(nulls_last=True),
    F("category__parent_id").asc(nulls_first=True),
    F("category__position").asc(),
    F("category_id").asc(),
    F("position").asc(),
    F("id").asc(),
)


@router.post("/replies", response={201: ReplyOut})
def create_reply(request: HttpRequest, body: ReplyIn) -> Status[Any]:
    m = me(request)
    library = resolve_library(m, body)
    category = _category_in(m, library, body.category_id)
    fields = body.dict(include={"title", "body", "key", "shortcut", "tags", "questions"})
    reply = actions.do_create_reply(m, library, fields, category, is_active=body.is_active)
    return Status(201, reply.to_api_dict())


# Declared before /replies/{reply_id}: routes match in order, and "reorder" would be
# taken for a reply id (405 on POST).
@router.post("/replies/reorder", response=list[ReplyOut],
             summary="Set the order of all replies of one category")
def reorder_replies(request: HttpRequest, body: ReorderIn) -> list[dict[str, Any]]:
    m = me(request)
    library = access_library_by_id(m, body.library_id)
    category = _category_in(m, library, body.category_id)
    return [r.to_api_dict() for r in actions.do_reorder_replies(m, library, category, body.ids)]


@router.get("/replies/{reply_id}", response=ReplyOut)
def get_reply(request: HttpRequest, reply_id: int) -> dict[str, Any]:
    return access_reply_by_id(me(request), reply_id, include_deleted=True).to_api_dict()


@router.patch("/replies/{reply_id}", response=ReplyOut,
              summary="Edit; send the version you started from (409 with the current reply "
                      "if someone saved in between)")
def edit_reply(request: HttpRequest, reply_id: int, body: ReplyPatch) -> dict[str, Any]:
    m = me(request)
    reply = access_reply_by_id(m, reply_id)
    changes: dict[str, Any] = body.dict(exclude_unset=True, exclude={"version", "category_id",
                                                                     "library_id"})
    changes = {k: v for k, v in changes.items() if v is not None}
    library = reply.library
    if body.library_id is not None and body.library_id != reply.library_id:
        library = access_library_by_id(m, body.library_id)
        changes["library"] = library
    if "category_id" in body.model_fields_set:
        changes["category"] = _category_in(m, library, body.category_id)
    return actions.do_edit_reply(m, reply, body.version, changes).to_api_dict()


@router.delete("/replies/{reply_id}", response=ReplyOut,
               summary="Delete (restorable for 30 days)")
def delete_reply(request: HttpRequest, reply_id: int) -> dict[str, Any]:
    m = me(request)
    return actions.do_delete_reply(m, access_reply_by_id(m, reply_id)).to_api_dict()


@router.post("/replies/{reply_id}/undelete", response=ReplyOut)
def undelete_reply(request: HttpRequest, reply_id: int) -> dict[str, Any]:
    m = me(request)
    reply = access_reply_by_id(m, reply_id, include_deleted=True)
    return actions.do_undelete_reply(m, reply).to_api_dict()


@router.get("/replies/{reply_id}/revisions", response=RevisionPage)
def list_revisions(request: HttpRequest, reply_id: int, page: Query[Page]) -> dict[str, Any]:
    reply = access_reply_by_id(me(request), reply_id, include_deleted=True)
    return paged(reply.revisions.all(), page.limit, page.offset, Revision.to_api_dict)


@router.post("/replies/{reply_id}/revisions/{version}/restore", response=ReplyOut,
             summary="Restore an old revision as a new edit")
def restore_revision(request: HttpRequest, reply_id: int, version: int,
                     body: VersionIn) -> dict[str, Any]:
    m = me(request)
    reply = access_reply_by_id(m, reply_id)
    revision = reply.revisions.filter(version=version).first()
    if revision is None:
        raise NotFound(_("Revision not found."))
    return actions.do_restore_revision(m, reply, revision, body.version).to_api_dict()


@router.post("/replies/{reply_id}/uses", response={201: UseOut},
             summary="Record that the caller used (copied) a reply")
def record_use(request: HttpRequest, reply_id: int, body: UseIn) -> Status[Any]:
    m = me(request)
    reply = access_reply_by_id(m, reply_id)
    use = actions.do_record_use(m, reply, body.source, body.message or "",
                                body.conversation or "")
    reply.refresh_from_db(fields=["usage_count"])
    return Status(201, {"id": use.id, "reply_id": reply.id, "usage_count": reply.usage_count})


# --- libraries and categories ----------------------------------------------------------

@router.get("/libraries", response=list[LibraryTree],
            summary="Every library the caller may see, with its category tree")
def list_libraries(request: HttpRequest) -> list[dict[str, Any]]:
    from django.db.models import Count

    m = me(request)
    get_library(m, Scope.PERSONAL)  # every member has a personal library to save into
    libs = list(visible_libraries(m).order_by("scope", "department__name", "id"))
    # Explicit order: Meta.ordering is dropped from GROUP BY queries.
    cats = list(Category.objects.filter(library__in=libs).annotate(
        n=Count("replies", filter=Q(replies__deleted_at__isnull=True))).order_by("position", "id"))
    loose = dict(visible_replies(m).filter(category__isnull=True).values_list("library_id")
                 .annotate(n=Count("id")).values_list("library_id", "n"))
    out = []
    for lib in libs:
        tops = [c for c in cats if c.library_id == lib.id and c.parent_id is None]
        tree = []
        for top in tops:
            kids = [c for c in cats if c.parent_id == top.id]
            tree.append({**top.to_api_dict(), "children": [k.to_api_dict() for k in kids],
                         "reply_count": top.n + sum(k.n for k in kids)})
        out.append({**lib.to_api_dict(), "can_manage": can_manage(m, lib), "categories": tree,
                    "uncategorized_count": loose.get(lib.id, 0)})
    return out


@router.post("/categories", response={201: CategoryOut})
def create_category(request: HttpRequest, body: CategoryIn) -> Status[Any]:
    m = me(request)
    library = access_library_by_id(m, body.library_id)
    parent = _category_in(m, library, body.parent_id)
    return Status(201, actions.do_create_category(m, library, body.name, parent).to_api_dict())


# Declared before /categories/{category_id}, for the same reason as /replies/reorder.
@router.post("/categories/reorder", response={204: None})
def reorder_categories(request: HttpRequest, body: CategoryReorderIn) -> Status[Any]:
    m = me(request)
    library = access_library_by_id(m, body.library_id)
    parent = _category_in(m, library, body.parent_id)
    actions.do_reorder_categories(m, library, parent, body.ids)
    return Status(204, None)


@router.get("/categories/{category_id}", response=CategoryOut)
def get_category(request: HttpRequest, category_id: int) -> dict[str, Any]:
    return access_category_by_id(me(request), category_id).to_api_dict()


@router.patch("/categories/{category_id}", response=CategoryOut,
              summary="Rename, or move under another first-level category")
def update_category(request: HttpRequest, category_id: int,
                    body: CategoryPatch) -> dict[str, Any]:
    m = me(request)
    cat = access_category_by_id(m, category_id)
    parent: Category | bool | None = False
    if "parent_id" in body.model_fields_set:
        parent = _category_in(m, cat.library, body.parent_id)
    return actions.do_update_category(m, cat, name=body.name, parent=parent).to_api_dict()


@router.delete("/categories/{category_id}", response={204: None},
               summary="Delete; refused when it has replies unless move_to is given "
                       "(0 = uncategorized)")
def delete_category(request: HttpRequest, category_id: int,
                    move_to: int | None = None) -> Status[Any]:
    m = me(request)
    cat = access_category_by_id(m, category_id)
    target: Category | bool | None = False
    if move_to is not None:
        target = _category_in(m, cat.library, move_to)
    actions.do_delete_category(m, cat, target)
    return Status(204, None)


# --- variables and rendering -----------------------------------------------------------

@router.get("/variables", response=VariablePage)
def list_variables(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    qs = Variable.objects.filter(organization_id=me(request).organization_id)
    return paged(qs, page.limit, page.offset, Variable.to_api_dict)


@router.post("/variables", response={201: VariableOut})
def create_variable(request: HttpRequest, body: VariableIn) -> Status[Any]:
    m = me(request)
    require_manager(m)
    var = actions.do_save_variable(m, m.organization_id, body.name, body.value,
                                   body.description)
    return Status(201, var.to_api_dict())


@router.get("/variables/{variable_id}", response=VariableOut)
def get_variable(request: HttpRequest, variable_id: int) -> dict[str, Any]:
    return access_variable_by_id(me(request), variable_id).to_api_dict()


@router.patch("/variables/{variable_id}", response=VariableOut)
def update_variable(request: HttpRequest, variable_id: int,
                    body: VariablePatch) -> dict[str, Any]:
    m = me(request)
    var = access_variable_by_id(m, variable_id)
    return actions.do_save_variable(m, m.organization_id, body.name, body.value,
                                    body.description, variable=var,
                                    version=body.version).to_api_dict()


@router.delete("/variables/{variable_id}", response={204: None})
def delete_variable(request: HttpRequest, variable_id: int) -> Status[Any]:
    m = me(request)
    var = access_variable_by_id(m, variable_id)
    actions.do_delete_variable(m, var)
    return Status(204, None)


@router.post("/render", response=RenderOut,
             summary="Fill variables; unfilled ones are reported, never dropped")
def render_text(request: HttpRequest, body: RenderIn) -> dict[str, object]:
    m = me(request)
    if body.reply_id is not None:
        text = access_reply_by_id(m, body.reply_id).body
    elif body.text is not None:
        text = body.text
    else:
        raise KefuError(_("Send text or reply_id."), field="text")
    return render(text, body.values, actions.org_variable_values(m.organization_id),
                  m).to_api_dict()
