"""What the library pages share: the tree of libraries and categories, the places a member
may save a reply to, and safe redirects back to where the user came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from kefu.core.models import Department, Member
from kefu.replies.access import can_manage, get_library, visible_libraries
from kefu.replies.models import Category, Library, Reply, Scope

SCOPE_ORDER = {Scope.COMPANY: 0, Scope.DEPARTMENT: 1, Scope.PERSONAL: 2}


def library_label(library: Library) -> str:
    """The name a member reads in the tree: 公司话术, the department's name, 我的话术."""
    if library.scope == Scope.COMPANY:
        return _("Company replies")
    if library.scope == Scope.PERSONAL:
        return _("My replies")
    return library.label


@dataclass
class CategoryNode:
    category: Category
    count: int  # live replies here and in the subcategories
    direct: int  # live replies filed directly here (what a reorder must list)
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.category.id

    @property
    def name(self) -> str:
        return self.category.name


@dataclass
class LibraryNode:
    library: Library
    label: str
    manage: bool
    categories: list[CategoryNode]
    uncategorized: int
    total: int

    @property
    def id(self) -> int:
        return self.library.id

    def all_categories(self) -> list[CategoryNode]:
        """First-level categories each followed by its children (for selects)."""
        out = []
        for top in self.categories:
            out.append(top)
            out.extend(top.children)
        return out


def ensure_libraries(member: Member) -> list[Library]:
    """The libraries ``member`` sees, creating the ones that should exist but do not yet:
    their personal library and one per department they see (so a new department's
    library can be filled from the page). Cheap after the first visit: one query."""
    libs = list(visible_libraries(member))
    have_personal = any(lib.scope == Scope.PERSONAL for lib in libs)
    have_depts = {lib.department_id for lib in libs if lib.scope == Scope.DEPARTMENT}
    depts = Department.objects.filter(organization_id=member.organization_id)
    if not member.is_manager:
        depts = depts.filter(pk__in=member.department_ids())
    missing = [d for d in depts if d.id not in have_depts]
    has_company = any(lib.scope == Scope.COMPANY for lib in libs)
    if missing or not have_personal or not has_company:
        get_library(member, Scope.COMPANY)
        get_library(member, Scope.PERSONAL)
        for dept in missing:
            get_library(member, Scope.DEPARTMENT, department=dept)
        libs = list(visible_libraries(member))
    libs.sort(key=lambda lib: (SCOPE_ORDER.get(Scope(lib.scope), 9),
                               lib.department.name if lib.department else "", lib.id))
    return libs


def library_tree(member: Member) -> list[LibraryNode]:
    """Every visible library with its two-level categories and live reply counts, in a fixed
    number of queries however many replies there are."""
    libs = ensure_libraries(member)
    live = Q(replies__deleted_at__isnull=True)
    cats = list(Category.objects.filter(library__in=libs)
                .annotate(n=Count("replies", filter=live)).order_by("position", "id"))
    per_lib = dict(Reply.objects.filter(library__in=libs, deleted_at__isnull=True)
                   .values_list("library_id").annotate(n=Count("id"))
                   .values_list("library_id", "n"))
    loose = dict(Reply.objects.filter(library__in=libs, deleted_at__isnull=True,
                                      category__isnull=True)
                 .values_list("library_id").annotate(n=Count("id"))
                 .values_list("library_id", "n"))
    nodes = []
    for lib in libs:
        tops = []
        for top in (c for c in cats if c.library_id == lib.id and c.parent_id is None):
            kids = [CategoryNode(c, c.n, c.n) for c in cats if c.parent_id == top.id]
            tops.append(CategoryNode(top, top.n + sum(k.count for k in kids), top.n, kids))
        nodes.append(LibraryNode(lib, library_label(lib), can_manage(member, lib), tops,
                                 loose.get(lib.id, 0), per_lib.get(lib.id, 0)))
    return nodes


def place_choices(tree: list[LibraryNode]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for "where does this reply live": ``lib:<id>`` for a library's
    uncategorized replies, ``cat:<id>`` for a category. Only libraries the member manages."""
    groups = []
    for node in tree:
        if not node.manage:
            continue
        # The library's name in every option too: a closed select shows no group label.
        options = [(f"lib:{node.id}", f"{node.label} › " + _("(uncategorized)"))]
        for top in node.categories:
            options.append((f"cat:{top.id}", f"{node.label} › {top.name}"))
            options.extend((f"cat:{kid.id}", f"{node.label} › {top.name} / {kid.name}")
                           for kid in top.children)
        groups.append((node.label, options))
    return groups


def place_of(reply: Reply) -> str:
    return f"cat:{reply.category_id}" if reply.category_id else f"lib:{reply.library_id}"


EXPORT_FORMATS = (("xlsx", "Excel"), ("csv", "CSV"), ("jsonl", "JSONL"))


def scope_of(node: LibraryNode) -> str:
    """The importer's and exporter's name for a library: company, department:NAME, personal."""
    lib = node.library
    if lib.scope == Scope.DEPARTMENT and lib.department is not None:
        return f"{Scope.DEPARTMENT}:{lib.department.name}"
    return str(lib.scope)


def export_links(scope: str | None) -> list[dict[str, str]]:
    """Download links of GET /api/v1/replies/export for one library (None: all visible)."""
    query = {"scope": scope} if scope else {}
    return [{"format": fmt, "label": label,
             "url": "/api/v1/replies/export?" + urlencode({**query, "format": fmt})}
            for fmt, label in EXPORT_FORMATS]


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the form carried, if it points back into this site; else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def field_error(form: Any, exc: Any, aliases: dict[str, str] | None = None) -> None:
    """Attach an action's refusal to the field it names (or the whole form)."""
    name = str((exc.extra or {}).get("field") or "")
    name = (aliases or {}).get(name, name)
    if name and name in form.fields:
        form.add_error(name, str(exc.message))
    else:
        form.add_error(None, str(exc.message))
