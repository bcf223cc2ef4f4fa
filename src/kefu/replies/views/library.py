"""The library page: the tree of libraries and categories on the left, the filtered, paged
reply list of the selection on the right; delete, restore and keyboard moves of replies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.models import Member
from kefu.core.views.common import member_page
from kefu.replies import actions
from kefu.replies.access import access_reply_by_id, require_manage, visible_replies
from kefu.replies.forms import ListFilterForm
from kefu.replies.models import Category, Reply
from kefu.replies.views.common import (
    CategoryNode,
    LibraryNode,
    export_links,
    library_tree,
    safe_next,
    scope_of,
)

PAGE_SIZE = 50


@dataclass
class Group:
    """The replies of one category on this page, in order. ``reorderable`` when the page
    holds every live reply of that category (the reorder API needs them all)."""

    library: LibraryNode
    category: Category | None
    path: str
    replies: list[Reply]
    reorderable: bool


def _find_category(node: LibraryNode, raw: str) -> CategoryNode | None:
    try:
        wanted = int(raw)
    except ValueError:
        raise Http404 from None
    for cat in node.all_categories():
        if cat.id == wanted:
            return cat
    raise Http404  # another library's, another organization's, or no such category


def _ordered(qs: Any) -> Any:
    # Category tree order: first-level position, its own replies, then its subcategories;
    # uncategorized replies last.
    return qs.annotate(
        top_pos=Coalesce("category__parent__position", "category__position"),
        top_id=Coalesce("category__parent_id", "category_id"),
    ).order_by(F("library_id").asc(), F("top_pos").asc(nulls_last=True),
               F("top_id").asc(nulls_last=True), F("category__parent_id").asc(nulls_first=True),
               "category__position", "category_id", "position", "id")


def _groups(replies: list[Reply], tree: dict[int, LibraryNode], filtering: bool) -> list[Group]:
    direct: dict[tuple[int, int | None], int] = {}
    for node in tree.values():
        direct[(node.id, None)] = node.uncategorized
        for cat in node.all_categories():
            direct[(node.id, cat.id)] = cat.direct
    groups: list[Group] = []
    for reply in replies:
        key = (reply.library_id, reply.category_id)
        if not groups or (groups[-1].library.id, getattr(groups[-1].category, "id", None)) != key:
            path = " / ".join(reply.category_path()) or _("(uncategorized)")
            groups.append(Group(tree[reply.library_id], reply.category, path, [], False))
        groups[-1].replies.append(reply)
    for group in groups:
        key = (group.library.id, getattr(group.category, "id", None))
        group.reorderable = (group.library.manage and not filtering
                             and len(group.replies) == direct.get(key, -1))
    return groups


@member_page()
def library(request: HttpRequest, member: Member) -> HttpResponse:
    nodes = library_tree(member)
    tree = {node.id: node for node in nodes}
    raw_lib = request.GET.get("lib", "")
    selected: LibraryNode | None
    if raw_lib == "all":
        selected = None
    elif raw_lib:
        try:
            selected = tree[int(raw_lib)]
        except (ValueError, KeyError):
            raise Http404 from None  # the same answer for missing and another org's
    else:
        selected = nodes[0]
    raw_cat = request.GET.get("cat", "")
    category: CategoryNode | None = None
    uncategorized = raw_cat == "none" and selected is not None
    if raw_cat and not uncategorized and selected is not None:
        category = _find_category(selected, raw_cat)

    filters = ListFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    state = data.get("state", "")
    qs = visible_replies(member, include_deleted=state == "deleted")
    if state == "deleted":
        qs = qs.filter(deleted_at__isnull=False)
    elif state:
        qs = qs.filter(is_active=state == "active")
    if selected is not None:
        qs = qs.filter(library_id=selected.id)
    if category is not None:
        qs = qs.filter(Q(category_id=category.id) | Q(category__parent_id=category.id))
    elif uncategorized:
        qs = qs.filter(category__isnull=True)
    if data.get("tag"):
        # One whole element of the JSON list, on SQLite and PostgreSQL alike (as the API).
        qs = qs.filter(tags__icontains=json.dumps(data["tag"], ensure_ascii=False))
    if data.get("q"):
        q = data["q"]
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q) |
                       Q(shortcut__iexact=q) | Q(key__iexact=q))
    qs = qs.select_related("updated_by__user").prefetch_related(None)  # images: not listed
    page = Paginator(_ordered(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    filtering = filters.filtering()
    groups = _groups(list(page.object_list), tree, filtering or state == "deleted")

    keep = {k: v for k, v in (("lib", raw_lib), ("cat", raw_cat)) if v}
    query = {**keep, **{k: v for k, v in data.items() if v}}
    context = {
        "tree": nodes, "selected": selected, "category": category,
        "uncategorized": uncategorized, "filters": filters, "filtering": filtering,
        "state": state, "page": page, "groups": groups,
        "keep": keep, "keep_query": urlencode(keep), "query_base": urlencode(query),
        "export_formats": export_links(scope_of(selected) if selected else None),
        "here": request.get_full_path(),
        "can_manage_selected": selected is not None and selected.manage,
        "parents": [(c.id, c.name) for c in selected.categories] if selected else [],
    }
    return render(request, "replies/library.html", context)


def _back(request: HttpRequest, reply: Reply) -> str:
    fallback = reverse("replies:library") + "?" + urlencode({"lib": reply.library_id})
    return safe_next(request, fallback)


@member_page()
@require_POST
def reply_delete(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = access_reply_by_id(member, reply_id)
    actions.do_delete_reply(member, reply)
    messages.success(request, _("“%(title)s” was deleted. It can be restored for %(days)d "
                                "days from the deleted replies.")
                     % {"title": reply.title, "days": actions.RESTORE_DAYS})
    return redirect(_back(request, reply))


@member_page()
@require_POST
def reply_undelete(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = access_reply_by_id(member, reply_id, include_deleted=True)
    restored = actions.do_undelete_reply(member, reply)
    if reply.shortcut and not restored.shortcut:
        messages.warning(request, _("“%(title)s” was restored without its shortcut %(code)s, "
                                    "which another reply uses now.")
                         % {"title": reply.title, "code": reply.shortcut})
    else:
        messages.success(request, _("“%(title)s” was restored.") % {"title": reply.title})
    return redirect(_back(request, reply))


def _swap(ids: list[int], target: int, direction: str) -> list[int] | None:
    i = ids.index(target)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(ids):
        return None
    ids[i], ids[j] = ids[j], ids[i]
    return ids


@member_page()
@require_POST
def reply_move(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    """Move a reply one place up or down in its category (the page's script does the same
    through the JSON API without reloading; this is the fallback without JavaScript)."""
    reply = access_reply_by_id(member, reply_id)
    require_manage(member, reply.library)
    ids = list(Reply.objects.filter(library_id=reply.library_id, category=reply.category,
                                    deleted_at__isnull=True)
               .order_by("position", "id").values_list("id", flat=True))
    order = _swap(ids, reply.id, request.POST.get("direction", ""))
    if order is not None:
        actions.do_reorder_replies(member, reply.library, reply.category, order)
    return redirect(_back(request, reply))
