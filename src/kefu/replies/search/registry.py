"""One search index per organization per process: built lazily from the database, kept
current by the event bus (also across processes, through Redis), evicted when idle."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from django.db.models import F

from kefu.core.models import Member
from kefu.core.orgcache import OrgCache
from kefu.replies.libraryset import LibraryInfo
from kefu.replies.models import Category, Library, MemberReplyStat, Reply
from kefu.replies.search.build import release_memory
from kefu.replies.search.engine import Viewer
from kefu.replies.search.index import OrgIndex

log = logging.getLogger("kefu.search")

IDLE_SECONDS = 30 * 60
MAX_INDEXES = 200


class Registry(OrgCache[OrgIndex]):
    idle_seconds = IDLE_SECONDS
    max_entries = MAX_INDEXES

    def __init__(self) -> None:
        super().__init__()
        self.categories: dict[int, dict[int, int]] = {}  # org -> category -> parent (or self)

    def build(self, org_id: int) -> OrgIndex:
        ix = build_index(org_id)
        self.categories[org_id] = category_parents(org_id)
        return ix

    def stale(self, entry: OrgIndex) -> bool:
        return entry.needs_rebuild()

    def forget(self, org_id: int) -> None:
        self.categories.pop(org_id, None)

    def apply(self, org_id: int, ix: OrgIndex, ev: dict[str, Any]) -> None:
        kind, op = ev.get("type"), ev.get("op")
        if kind == "replies":
            if op == "reload":
                self.drop(org_id)
            elif op == "remove":
                ix.remove(int(ev["id"]))
            elif ev.get("reply"):
                ix.upsert(row_from_event(ev["reply"], self.categories.get(org_id, {})))
        elif kind == "reply_categories" and ev.get("category"):
            cat = ev["category"]
            self.categories.setdefault(org_id, {})[cat["id"]] = cat["parent_id"] or cat["id"]
        elif kind == "reply_uses" and float(ev["at"]) >= ix.read_at:
            # (an earlier use is counted in the rows the index was built from: the uses
            # that arrive during a build are applied once more after it, see OrgCache)
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
    ix.read_at = time.time()
    ix.set_libraries(library_infos(org_id))
    ix.build(load_rows(org_id))
    release_memory()  # the rows are gone now: hand their pages back too
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
        ix.usage_epoch += 1


def index_for(member: Member) -> tuple[OrgIndex, Viewer]:
    ix = REGISTRY.get(member.organization_id)
    own_usage(ix, member.id)
    return ix, Viewer(member.id, ix.visible_library_ids(member))

