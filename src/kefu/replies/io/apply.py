"""Writing a checked import: all or nothing, in one transaction, with bulk writes.

Creates and updates go through bulk_create/bulk_update in batches, each changed reply gets
a Revision (action "import"), and the whole import writes one audit row. After commit the
library's audience gets one event per changed reply, or a single "reload" event when the
import changed more than EVENT_LIMIT replies (a screen reloads faster than it applies
thousands of events).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.actions import audit
from kefu.core.errors import Conflict, KefuError
from kefu.core.events import send_event_on_commit
from kefu.core.models import Member
from kefu.replies.access import library_audience, require_manage
from kefu.replies.actions import do_create_category
from kefu.replies.event_types import ReplyEvent, ReplyReloadEvent
from kefu.replies.io.plan import CHUNK, ImportPlan, PlannedRow
from kefu.replies.models import Category, Library, Reply, Revision
from kefu.replies.search.keys import search_keys_for

BATCH = 500
EVENT_LIMIT = 200
UPDATE_FIELDS = ["key", "title", "body", "shortcut", "tags", "questions", "category",
                 "position", "version", "updated_by", "updated_at", "deleted_at",
                 "search_keys"]

Progress = Callable[[int, int], None]  # (rows written, rows to write)


@dataclass
class ImportResult:
    library: Library
    created: int
    updated: int
    unchanged: int

    def to_dict(self) -> dict[str, Any]:
        return {"create": self.created, "update": self.updated, "unchanged": self.unchanged}


def apply_plan(plan: ImportPlan, actor: Member | None,
               progress: Progress | None = None) -> ImportResult:
    """Write ``plan``. Refuses a plan with problems, and one whose matched replies changed
    since it was made (Conflict): the user then checks the file again."""
    if not plan.ok:
        raise KefuError(_("The file has problems; nothing was imported."))
    library = plan.library
    if actor is not None:
        require_manage(actor, library)
    creates = [r for r in plan.rows if r.action == "create"]
    updates = [r for r in plan.rows if r.action == "update"]
    total = len(creates) + len(updates)
    if total == 0:  # every row unchanged: nothing to write, not even an audit row
        if progress is not None:
            progress(0, 0)
        return ImportResult(library, 0, 0, plan.count("unchanged"))
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    try:
        with transaction.atomic():
            _lock_matched(plan)
            categories = _categories(actor, library, creates + updates)
            created = _create(plan, actor, creates, categories, step)
            updated = _update(plan, actor, updates, categories, step)
            audit(library.organization_id, actor, "reply.import", library,
                  file=plan.parsed.name, format=plan.parsed.format, created=len(created),
                  updated=len(updated), unchanged=plan.count("unchanged"))
            _emit(library, created, [r.reply for r in updates if r.reply is not None],
                  {r.reply.id for r in updates if r.reply is not None and r.restore})
    except IntegrityError:
        # Someone saved a reply with one of the file's keys meanwhile; nothing was written.
        raise Conflict(_("The library changed while the import was running; check the file "
                         "again.")) from None
    return ImportResult(library, len(created), len(updated), plan.count("unchanged"))


def _lock_matched(plan: ImportPlan) -> None:
    expected = {r.reply.id: r.reply.version for r in plan.rows if r.reply is not None}
    ids = sorted(expected)
    for i in range(0, len(ids), CHUNK):
        current = dict(Reply.objects.select_for_update().filter(pk__in=ids[i:i + CHUNK])
                       .order_by("pk").values_list("pk", "version"))
        if any(current.get(rid) != expected[rid] for rid in ids[i:i + CHUNK]):
            raise Conflict(_("Some replies were changed since the file was checked; check "
                             "the file again."))


def _categories(actor: Member | None, library: Library,
                rows: list[PlannedRow]) -> dict[tuple[str, ...], Category | None]:
    """Every category path the rows name, missing ones created in the order the file first
    names them (so an export's category order comes back)."""
    tops: dict[str, Category] = {}
    children: dict[tuple[int, str], Category] = {}
    for cat in Category.objects.filter(library=library):
        if cat.parent_id is None:
            tops[cat.name] = cat
        else:
            children[(cat.parent_id, cat.name)] = cat
    found: dict[tuple[str, ...], Category | None] = {(): None}
    for row in rows:
        path = tuple(row.category or ())
        if path in found:
            continue
        top = tops.get(path[0])
        if top is None:
            top = tops[path[0]] = do_create_category(actor, library, path[0])
        if len(path) == 1:
            found[path] = top
            continue
        child = children.get((top.id, path[1]))
        if child is None:
            child = children[(top.id, path[1])] = do_create_category(actor, library, path[1],
                                                                     top)
        found[path] = child
    return found


class _Positions:
    """Next free position per category of the library (new and moved replies go last)."""

    def __init__(self, library: Library) -> None:
        self.next: dict[int | None, int] = {
            row["category_id"]: row["m"] + 1 for row in
            Reply.objects.filter(library=library).values("category_id")
            .annotate(m=Max("position")).order_by()}

    def take(self, category: Category | None) -> int:
        key = category.id if category is not None else None
        pos = self.next.get(key, 0)
        self.next[key] = pos + 1
        return pos


def _create(plan: ImportPlan, actor: Member | None, rows: list[PlannedRow],
            categories: dict[tuple[str, ...], Category | None],
            step: Callable[[int], None]) -> list[Reply]:
    library = plan.library
    positions = _Positions(library)
    out: list[Reply] = []
    for i in range(0, len(rows), BATCH):
        batch = []
        for row in rows[i:i + BATCH]:
            category = categories[tuple(row.category or ())]
            reply = Reply(organization_id=library.organization_id, library=library,
                          category=category, position=positions.take(category),
                          created_by=actor, updated_by=actor,
                          **{"key": "", "shortcut": "", "tags": [], "questions": [],
                             **row.fields})
            reply.search_keys = search_keys_for(reply)
            batch.append(reply)
        out += Reply.objects.bulk_create(batch)
        _revisions(batch, actor)
        step(len(batch))
    return out


def _update(plan: ImportPlan, actor: Member | None, rows: list[PlannedRow],
            categories: dict[tuple[str, ...], Category | None],
            step: Callable[[int], None]) -> list[Reply]:
    positions = _Positions(plan.library)
    now = timezone.now()
    out: list[Reply] = []
    for i in range(0, len(rows), BATCH):
        batch = []
        for row in rows[i:i + BATCH]:
            reply = row.reply
            assert reply is not None
            for name, value in row.fields.items():
                setattr(reply, name, value)
            if row.category is not None:
                category = categories[tuple(row.category)]
                if (category.id if category else None) != reply.category_id:
                    reply.category = category
                    reply.position = positions.take(category)
            reply.version += 1
            reply.updated_by = actor
            reply.updated_at = now  # bulk_update does not touch auto_now fields
            reply.deleted_at = None
            reply.search_keys = search_keys_for(reply)
            batch.append(reply)
        _write_updates(batch)
        _revisions(batch, actor)
        out += batch
        step(len(batch))
    return out


def _sql_values(obj: Model, fields: list[Field[Any, Any]]) -> list[Any]:
    return [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]


def _write_updates(replies: list[Reply]) -> None:
    """One prepared UPDATE ... WHERE id = %s run for every reply (executemany). Django's
    bulk_update builds a CASE expression per field and row in Python, about 10 ms a row at
    these 13 fields: 10,000 updates took 90 s that way, under a second this way."""
    fields = [f for f in Reply._meta.concrete_fields if f.name in UPDATE_FIELDS]
    pk = Reply._meta.pk
    assert pk is not None
    assert len(fields) == len(UPDATE_FIELDS)
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(Reply._meta.db_table)} SET {sets} WHERE {quote(pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*_sql_values(r, fields), r.pk] for r in replies])


def _revisions(replies: list[Reply], actor: Member | None) -> None:
    """The "import" revision of each reply, inserted by multi-row INSERTs: no ids are needed
    back, and bulk_create's per-object work doubled the import time."""
    label = actor.user.username if actor else "cli"
    now = timezone.now()
    revisions = [Revision(reply_id=r.pk, version=r.version, content=r.content(),
                          action="import", author=actor, author_label=label, created_at=now)
                 for r in replies]
    fields = [f for f in Revision._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    head = (f"INSERT INTO {quote(Revision._meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) VALUES ")
    one = f"({', '.join(['%s'] * len(fields))})"
    per = max(1, 900 // len(fields))  # under SQLite's classic 999-parameter limit
    with connection.cursor() as cursor:
        for i in range(0, len(revisions), per):
            chunk = revisions[i:i + per]
            cursor.execute(head + ", ".join([one] * len(chunk)),
                           [v for r in chunk for v in _sql_values(r, fields)])


def _emit(library: Library, created: list[Reply], updated: list[Reply],
          restored: set[int]) -> None:
    audience = library_audience(library)
    org_id = library.organization_id
    if len(created) + len(updated) > EVENT_LIMIT:
        send_event_on_commit(org_id, ReplyReloadEvent(library_id=library.id), audience)
        return
    ops = {r.id: "add" for r in created} | {
        r.id: "add" if r.id in restored else "update" for r in updated}
    fresh = (Reply.objects.filter(pk__in=list(ops))
             .select_related("category__parent", "library__department", "library__owner__user")
             .prefetch_related("images").order_by("pk"))
    for reply in fresh:
        send_event_on_commit(org_id, ReplyEvent(op=ops[reply.id], id=reply.id,  # type: ignore[arg-type]
                                                reply=reply.to_api_dict()), audience)
