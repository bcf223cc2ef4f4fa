"""In-memory objects per organization (the search index, the suggestion model): built lazily
from the database, kept current by the event bus, evicted when idle.

Subclasses say how to build one (``build``), when a built one must be rebuilt (``stale``)
and how an event changes it (``apply``); this class owns the locking, the one-build-at-a-
time rule, eviction, and listening to the current bus (tests swap buses: on a new bus the
cache starts empty, since what it holds may have missed events).

A build reads the database while changes go on: every event that arrives during a build
is kept and applied to the new entry before it is installed, in order, so an edit made
mid-build is never lost (``apply`` must therefore accept an event the database read
already saw: an upsert or a removal is harmless twice, a learned example is added once).
A stale entry is still correct, only slower: it keeps serving while a background thread
builds its successor (at 100k replies a build takes seconds, which no request should
wait for); only an organization with no entry yet waits for its first build.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Generic, Protocol, TypeVar

from django.db import connections

from kefu.core.events import get_bus
from kefu.core.events.hub import Envelope, Hub


class Cached(Protocol):
    last_used: float


T = TypeVar("T", bound=Cached)

log = logging.getLogger("kefu.orgcache")
RETRY_SECONDS = 60.0  # after a background build failed, the stale entry serves this long


class OrgCache(Generic[T]):
    idle_seconds = 30 * 60
    max_entries = 100

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[int, T] = OrderedDict()
        self.building: dict[int, threading.Lock] = {}
        # Events that arrived during a build of the organization, for the new entry.
        self.pending: dict[int, list[dict[str, object]]] = {}
        self.refreshing: set[int] = set()  # a background build is running
        self.failed_at: dict[int, float] = {}
        self.hub: Hub | None = None

    # --- for subclasses ------------------------------------------------------------

    def build(self, org_id: int) -> T:
        raise NotImplementedError

    def stale(self, entry: T) -> bool:
        return False

    def apply(self, org_id: int, entry: T, event: dict[str, object]) -> None:
        raise NotImplementedError

    def forget(self, org_id: int) -> None:
        """Drop whatever the subclass keeps beside the entry."""

    # --- lifecycle -----------------------------------------------------------------

    def _ensure_listening(self) -> None:
        bus = get_bus()
        if self.hub is not bus.hub:
            self.clear()
            self.hub = bus.hub
            bus.hub.listen(self.on_event)
            bus.start()  # with Redis, the reader brings other processes' changes

    def get(self, org_id: int) -> T:
        self._ensure_listening()
        with self.lock:
            entry = self.entries.get(org_id)
            if entry is not None:
                self.entries.move_to_end(org_id)
                entry.last_used = time.monotonic()
                if not self.stale(entry):
                    return entry
                if self._refresh_due(org_id):
                    self.refreshing.add(org_id)
                    threading.Thread(target=self._refresh, args=(org_id,),
                                     name=f"rebuild-{org_id}", daemon=True).start()
                return entry  # stale but correct, while its successor is built
            lock = self.building.setdefault(org_id, threading.Lock())
        with lock:  # one build per organization at a time; others wait for it
            with self.lock:
                entry = self.entries.get(org_id)
            if entry is None:
                entry = self._build_and_install(org_id)
        return entry

    def _refresh_due(self, org_id: int) -> bool:
        failed = self.failed_at.get(org_id)
        return org_id not in self.refreshing and (
            failed is None or time.monotonic() - failed > RETRY_SECONDS)

    def _refresh(self, org_id: int) -> None:
        with self.lock:
            lock = self.building.setdefault(org_id, threading.Lock())
        failed: float | None = None
        try:
            with lock:
                self._build_and_install(org_id)
        except Exception:
            log.exception("background rebuild for org %s failed", org_id)
            failed = time.monotonic()
        finally:
            with self.lock:
                if failed is None:
                    self.failed_at.pop(org_id, None)
                else:
                    self.failed_at[org_id] = failed
                self.refreshing.discard(org_id)
            self.thread_done()

    def thread_done(self) -> None:
        """What a background build's thread does last: its database connection is its
        own (Django's are per thread) and would stay open."""
        connections.close_all()

    def _build_and_install(self, org_id: int) -> T:
        """Build, then apply the events that arrived meanwhile, and install the entry."""
        with self.lock:
            self.pending.setdefault(org_id, [])
        try:
            entry = self.build(org_id)
            while True:
                with self.lock:
                    events = self.pending.get(org_id) or []
                    if not events:  # nothing left to apply: installed at once
                        self.pending.pop(org_id, None)
                        entry.last_used = time.monotonic()
                        self.entries[org_id] = entry
                        self.entries.move_to_end(org_id)
                        self._evict()
                        return entry
                    self.pending[org_id] = []
                if any(event.get("op") == "reload" for event in events):
                    # Everything changed meanwhile (an import): what was read is old, and
                    # the events up to here are in the database now.
                    entry = self.build(org_id)
                    continue
                for event in events:
                    self.apply(org_id, entry, event)
        except BaseException:
            with self.lock:
                self.pending.pop(org_id, None)
            raise

    def _evict(self) -> None:
        now = time.monotonic()
        for org_id in list(self.entries):
            if now - self.entries[org_id].last_used > self.idle_seconds \
                    or len(self.entries) > self.max_entries:
                del self.entries[org_id]
                self.forget(org_id)

    def drop(self, org_id: int) -> None:
        with self.lock:
            self.entries.pop(org_id, None)

    def clear(self) -> None:
        with self.lock:
            for org_id in list(self.entries):
                self.forget(org_id)
            self.entries.clear()

    def on_event(self, env: Envelope) -> None:
        with self.lock:
            entry = self.entries.get(env.org_id)
            waiting = self.pending.get(env.org_id)
            if waiting is not None:  # a build is reading the database: for its entry too
                waiting.append(env.event)
        if entry is None:
            return  # not built here: it reads the database when first needed
        self.apply(env.org_id, entry, env.event)
