"""Checking an import before anything is written: every bad row is reported (row number as the
user sees it, column as their file names it, reason in their language), and every good row
is planned as create, update or unchanged. Nothing here writes to the database.

Rows are matched to existing replies by 编号 (key), which is unique in the organization; rows
without a key always create. A column the file does not have leaves that field of an updated
reply as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.core.models import Member, Organization
from kefu.replies.access import visible_libraries_q
from kefu.replies.io.formats import ParsedFile, Problem, SourceRow, read_file
from kefu.replies.io.scopes import library_for_import, parse_scope
from kefu.replies.models import Category, Library, Reply, Scope
from kefu.replies.validation import clean_category_name, clean_reply_fields, normalize_text

REPLY_FIELDS = ("key", "title", "body", "shortcut", "tags", "questions")
CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit


@dataclass
class PlannedRow:
    line: int
    action: str  # create | update | unchanged | invalid
    fields: dict[str, Any]  # cleaned reply fields the file has
    category: list[str] | None  # ["一级", "二级"], [] for none; None: no column, keep as is
    reply: Reply | None = None  # the reply an update or unchanged row matches
    restore: bool = False  # the matched reply was deleted; importing it brings it back

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.line, "action": self.action, "key": self.fields.get("key", ""),
                "title": self.fields.get("title", ""),
                "reply_id": self.reply.id if self.reply else None}


@dataclass
class ImportPlan:
    library: Library
    parsed: ParsedFile
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def summary(self) -> dict[str, int]:
        return {"rows": len(self.rows), "create": self.count("create"),
                "update": self.count("update"), "unchanged": self.count("unchanged"),
                "invalid": self.count("invalid"), "problems": len(self.problems)}

    @property
    def token(self) -> str:
        """Names this exact plan (file, library, matched replies and their versions), so an
        apply can insist on applying what the user saw."""
        payload = json.dumps([self.parsed.digest, self.library.id, [
            (r.line, r.action, r.reply.id if r.reply else None,
             r.reply.version if r.reply else None) for r in self.rows]])
        return salted_hmac("kefu.replies.io.plan", payload).hexdigest()[:40]

    def report(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "format": self.parsed.format, "file": self.parsed.name,
            "library": self.library.to_api_dict(), "summary": self.summary(),
            "problems": [p.to_dict() for p in self.problems],
            "unknown_columns": list(self.parsed.unknown_columns),
            "rows": [r.to_dict() for r in self.rows], "plan_token": self.token,
        }


def _category(row: SourceRow) -> tuple[list[str] | None, list[Problem]]:
    problems: list[Problem] = []
    if "category" in row.values:
        raw, col = row.values["category"], row.column("category")
        cols = [col, col]
        if raw is None or raw == "":
            parts: list[str] = []
        elif isinstance(raw, list | tuple):
            parts = [normalize_text(p) for p in raw]
        elif isinstance(raw, str):
            parts = [normalize_text(p) for p in raw.split("/")]
        else:
            return None, [Problem(row.line, col, _("The category must be text like 一级/二级 "
                                                   "or a list of one or two names."))]
    elif "category1" in row.values or "category2" in row.values:
        parts = [normalize_text(row.values.get("category1")),
                 normalize_text(row.values.get("category2"))]
        cols = [row.column("category1"), row.column("category2")]
    else:
        return None, []
    while parts and not parts[-1]:
        parts.pop()
    if len(parts) > 2:
        return None, [Problem(row.line, cols[0], _("Categories have two levels; %(path)s "
                                                   "has more.") % {"path": "/".join(parts)})]
    for i, name in enumerate(parts):
        if not name:
            problems.append(Problem(row.line, cols[i], _("The second-level category needs "
                                                         "a first-level category.")))
            continue
        try:
            parts[i] = clean_category_name(name)
        except KefuError as exc:
            problems.append(Problem(row.line, cols[i], str(exc.message)))
    return parts, problems


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _existing_by_key(library: Library, keys: list[str]) -> dict[str, Reply]:
    # Plain rows: categories come from one map (category_paths), other libraries are looked
    # up only for the rare clash, and search_keys is rewritten on update anyway.
    found: dict[str, Reply] = {}
    for chunk in _chunks(keys):
        for reply in (Reply.objects.filter(organization_id=library.organization_id,
                                           key__in=chunk).defer("search_keys")):
            found[reply.key] = reply
    return found


def category_paths(library: Library) -> dict[int | None, list[str]]:
    cats = {c.id: c for c in Category.objects.filter(library=library)}
    paths: dict[int | None, list[str]] = {None: []}
    for cat in cats.values():
        parent = cats.get(cat.parent_id) if cat.parent_id else None
        paths[cat.id] = [parent.name, cat.name] if parent else [cat.name]
    return paths


def _shortcut_holders(library: Library, codes: list[str]) -> dict[str, list[int]]:
    """Live replies whose shortcut a reply of ``library`` must not repeat (the rule of
    kefu.replies.actions.shortcut_clash, for many codes at once)."""
    if library.scope == Scope.PERSONAL and library.owner is not None:
        where: Q = visible_libraries_q(library.owner, "library__")
    else:
        where = ~Q(library__scope=Scope.PERSONAL)
    holders: dict[str, list[int]] = {}
    for chunk in _chunks(codes):
        for rid, code in (Reply.objects.filter(where, organization_id=library.organization_id,
                                               deleted_at__isnull=True, shortcut__in=chunk)
                          .values_list("id", "shortcut")):
            holders.setdefault(code, []).append(rid)
    return holders


def plan_import(org: Organization, data: bytes, filename: str, scope: str | None,
                actor: Member | None) -> ImportPlan:
    """Read ``data`` and check it against the library ``scope`` names (403 when ``actor``
    may not write there)."""
    library = library_for_import(org, parse_scope(scope), actor)
    return build_plan(read_file(data, filename), library)


def build_plan(parsed: ParsedFile, library: Library) -> ImportPlan:
    plan = ImportPlan(library, parsed, problems=list(parsed.problems))
    if parsed.fatal:
        return plan
    if not parsed.rows and not plan.problems:
        plan.problems.append(Problem(None, "", _("The file has no replies.")))
        return plan
    bad_lines = {p.row for p in plan.problems}
    sources: dict[int, SourceRow] = {}
    for src in parsed.rows:
        data = {k: src.values[k] for k in REPLY_FIELDS if k in src.values}
        cleaned, field_problems = clean_reply_fields(data)
        problems = [Problem(src.line, src.column(f), msg) for f, msg in field_problems]
        path, cat_problems = _category(src)
        problems += cat_problems
        plan.problems += problems
        sources[src.line] = src
        action = "invalid" if problems or src.line in bad_lines else "create"
        plan.rows.append(PlannedRow(src.line, action, cleaned, path))

    _check_duplicates(plan, sources, "key")
    _check_duplicates(plan, sources, "shortcut")
    _match_keys(plan, sources)
    _check_shortcuts(plan, sources)
    paths = category_paths(plan.library)
    for row in plan.rows:
        if row.action == "invalid":
            continue
        if row.reply is not None:
            changed = row.restore or _differs(row, row.reply, paths)
            row.action = "update" if changed else "unchanged"
    plan.problems.sort(key=lambda p: p.row or 0)
    return plan


def _invalid(plan: ImportPlan, row: PlannedRow, column: str, message: str) -> None:
    plan.problems.append(Problem(row.line, column, message))
    row.action = "invalid"


def _check_duplicates(plan: ImportPlan, sources: dict[int, SourceRow], name: str) -> None:
    first: dict[str, int] = {}
    for row in plan.rows:
        value = row.fields.get(name)
        if not value:
            continue
        if value in first:
            message = (_("The key %(value)s is also in row %(row)d.") if name == "key" else
                       _("The shortcut %(value)s is also in row %(row)d."))
            _invalid(plan, row, sources[row.line].column(name),
                     message % {"value": value, "row": first[value]})
        else:
            first[value] = row.line


def _match_keys(plan: ImportPlan, sources: dict[int, SourceRow]) -> None:
    keys = sorted({r.fields["key"] for r in plan.rows if r.fields.get("key")})
    existing = _existing_by_key(plan.library, keys)
    others: dict[int, Library] = {}
    for row in plan.rows:
        reply = existing.get(row.fields.get("key") or "")
        if reply is None:
            continue
        if reply.library_id != plan.library.id:
            if reply.library_id not in others:
                others[reply.library_id] = Library.objects.select_related(
                    "department", "owner__user").get(pk=reply.library_id)
            _invalid(plan, row, sources[row.line].column("key"),
                     _("The key %(key)s belongs to a reply in another library (%(library)s); "
                       "it cannot be updated from here.")
                     % {"key": reply.key, "library": others[reply.library_id].label})
            continue
        row.reply = reply
        row.restore = reply.deleted_at is not None


def _code(row: PlannedRow) -> str:
    """The shortcut the row's reply will have: the file's, or, for a deleted reply the
    import brings back without a shortcut column, the one it had."""
    if "shortcut" in row.fields:
        return str(row.fields["shortcut"])
    return row.reply.shortcut if row.reply is not None and row.restore else ""


def _check_shortcuts(plan: ImportPlan, sources: dict[int, SourceRow]) -> None:
    codes = sorted({code for r in plan.rows if (code := _code(r))})
    if not codes:
        return
    holders = _shortcut_holders(plan.library, codes)
    # Replies this file gives a shortcut to lose their old one, so theirs may be reused.
    recoded = {r.reply.id for r in plan.rows if r.reply is not None and "shortcut" in r.fields}
    for row in plan.rows:
        code = _code(row)
        if not code or row.action == "invalid":
            continue
        own = row.reply.id if row.reply else None
        if any(rid != own and rid not in recoded for rid in holders.get(code, ())):
            _invalid(plan, row, sources[row.line].column("shortcut"),
                     _("The shortcut %(code)s is already used by another reply.")
                     % {"code": code})


def _differs(row: PlannedRow, reply: Reply, paths: dict[int | None, list[str]]) -> bool:
    if any(getattr(reply, name) != value for name, value in row.fields.items()):
        return True
    return row.category is not None and row.category != paths.get(reply.category_id)
