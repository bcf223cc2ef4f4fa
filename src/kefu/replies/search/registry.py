"""One search index per organization per process: built lazily from the database, kept
current by the event bus (also across processes, through Redis), evicted when idle."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from django.db.models import F

from kefu.core.events import get_bus
from kefu.core.events.hub import Envelope, Hub
from kefu.core.models import Member
from kefu.replies.models import Category, Library, MemberReplyStat, Reply, Scope
from kefu.replies.search.engine import Viewer
from kefu.replies.search.index import LibraryInfo, OrgIndex

log = logging.getLogger("kefu.search")

IDLE_SECONDS = 30 * 60
MAX_INDEXES = 200


class Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.indexes: OrderedDict[int, OrgIndex] = OrderedDict()
        self.building: dict[int, threading.Lock] = {}
        self.categories: dict[int, dict[int, int]] = {}  # org -> category -> parent (or self)
        self.hub: Hub | None = None

    # --- lifecycle -----------------------------------------------------------------

    def _ensure_listening(self) -> None:
        bus = get_bus()
        if self.hub is not bus.hub:
            with self.lock:
                self.indexes.clear()  # a new bus (tests): indexes may have missed events
            self.hub = bus.hub
            bus.hub.listen(self.on_event)
            bus.start()  # with Redis, the reader brings other processes' edits

    def get(self, org_id: int) -> OrgIndex:
        self._ensure_listening()
        with self.lock:
            ix = self.indexes.get(org_id)
            if ix is not None:
                self.indexes.move_to_end(org_id)
                ix.last_used = time.monotonic()
                if not ix.needs_rebuild():
                    return ix
            lock = self.building.setdefault(org_id, threading.Lock())
        with lock:  # one build per organization at a time; others wait for it
            with self.lock:
                ix = self.indexes.get(org_id)
            if ix is None or ix.needs_rebuild():
                ix = build_index(org_id)
                self.categories[org_id] = category_parents(org_id)
                with self.lock:
                    self.indexes[org_id] = ix
                    self._evict()
        return ix

    def _evict(self) -> None:
        now = time.monotonic()
        for org_id in list(self.indexes):
            ix = self.indexes[org_id]
            if now - ix.last_used > IDLE_SECONDS or len(self.indexes) > MAX_INDEXES:
                del self.indexes[org_id]
                self.categories.pop(org_id, None)

    def drop(self, org_id: int) -> None:
        with self.lock:
            self.indexes.pop(org_id, None)

    def clear(self) -> None:
        with self.lock:
            self.indexes.clear()
            self.categories.clear()

    # --- events --------------------------------------------------------------------

    def on_event(self, env: Envelope) -> None:
        with self.lock:
            ix = self.indexes.get(env.org_id)
        if ix is None:
            return  # not built here: it will read the database when first needed
        ev = env.event
        kind, op = ev.get("type"), ev.get("op")
        if kind == "replies":
            if op == "reload":
                self.drop(env.org_id)
            elif op == "remove":
                ix.remove(int(ev["id"]))
            elif ev.get("reply"):
                ix.upsert(row_from_event(ev["reply"], self.categories.get(env.org_id, {})))
        elif kind == "reply_categories" and ev.get("category"):
            cat = ev["category"]
            self.categories.setdefault(env.org_id, {})[cat["id"]] = cat["parent_id"] or cat["id"]
        elif kind == "reply_uses":
            ix.record_use(int(ev["id"]), int(ev["member_id"]), float(ev["at"]))


REGISTRY = Registry()


def category_parents(org_id: int) -> dict[int, int]:
    return {cid: parent or cid for cid, parent in Category.objects.filter(
        library__organization_id=org_id).values_list("id", "parent_id")}


def row_from_event(reply: dict[str, Any], parents: dict[int, int]) -> dict[str, Any]:
    lib = reply["library"]
    cat = reply.get("category_id")
    def when(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    return {**reply, "library_id": lib["id"], "library": lib,
            "updated_at": when(reply.get("updated_at")),
            "last_used_at": when(reply.get("last_used_at")),
            "top_category_id": parents.get(cat, cat) if cat else None,
            "category_path": reply.get("category") or []}


def library_infos(org_id: int) -> list[LibraryInfo]:
    return [LibraryInfo(*row) for row in Library.objects.filter(organization_id=org_id)
            .values_list("id", "scope", "department_id", "owner_id")]


def load_rows(org_id: int) -> list[dict[str, Any]]:
    qs = (Reply.objects.filter(organization_id=org_id, deleted_at__isnull=True, is_active=True)
          .order_by("id")
          .values("id", "key", "title", "body", "shortcut", "tags", "questions", "library_id",
                  "category_id", "updated_at", "usage_count", "last_used_at", "search_keys",
                  cat_name=F("category__name"), parent_name=F("category__parent__name"),
                  parent_id=F("category__parent_id")))
    rows: list[dict[str, Any]] = []
    for found in qs.iterator(chunk_size=5000):
        r: dict[str, Any] = dict(found)
        if r["parent_name"]:
            r["category_path"] = [r["parent_name"], r["cat_name"]]
        elif r["cat_name"]:
            r["category_path"] = [r["cat_name"]]
        r["top_category_id"] = r["parent_id"] or r["category_id"]
        rows.append(r)
    return rows


def build_index(org_id: int) -> OrgIndex:
    started = time.perf_counter()
    ix = OrgIndex(org_id)
    ix.set_libraries(library_infos(org_id))
    ix.build(load_rows(org_id))
    log.info("search index for org %s: %d replies in %.2fs", org_id, ix.n,
             time.perf_counter() - started)
    return ix


def own_usage(ix: OrgIndex, member_id: int) -> None:
    """Load a member's own usage into the index on their first search."""
    if member_id in ix.own:
        return
    rows = MemberReplyStat.objects.filter(member_id=member_id).values_list("reply_id", "count")
    with ix.lock:
        ix.own.setdefault(member_id, {}).update({r: float(c) for r, c in rows})


def viewer_for(member: Member, ix: OrgIndex) -> Viewer:
    """Visible libraries from the member's role and departments (no query), as
    replies.access decides them."""
    depts = set(member.department_ids())
    visible = set()
    for lib in ix.libraries:
        if lib.scope == Scope.COMPANY or (
                lib.scope == Scope.PERSONAL and lib.owner_id == member.id) or (
                lib.scope == Scope.DEPARTMENT and (member.is_manager or
                                                   lib.department_id in depts)):
            visible.add(lib.id)
    return Viewer(member.id, frozenset(visible))


def index_for(member: Member) -> tuple[OrgIndex, Viewer]:
    ix = REGISTRY.get(member.organization_id)
    own_usage(ix, member.id)
    return ix, viewer_for(member, ix)

