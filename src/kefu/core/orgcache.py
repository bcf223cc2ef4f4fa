"""In-memory objects per organization (the search index, the suggestion model): built lazily
from the database, kept current by the event bus, evicted when idle.

Subclasses say how to build one (``build``), when a built one must be rebuilt (``stale``)
and how an event changes it (``apply``); this class owns the locking, the one-build-at-a-
time rule, eviction, and listening to the current bus (tests swap buses: on a new bus the
cache starts empty, since what it holds may have missed events).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Generic, Protocol, TypeVar

from kefu.core.events import get_bus
from kefu.core.events.hub import Envelope, Hub


class Cached(Protocol):
    last_used: float


T = TypeVar("T", bound=Cached)


class OrgCache(Generic[T]):
    idle_seconds = 30 * 60
    max_entries = 100

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[int, T] = OrderedDict()
        self.building: dict[int, threading.Lock] = {}
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
            lock = self.building.setdefault(org_id, threading.Lock())
        with lock:  # one build per organization at a time; others wait for it
            with self.lock:
                entry = self.entries.get(org_id)
            if entry is None or self.stale(entry):
                entry = self.build(org_id)
                with self.lock:
                    self.entries[org_id] = entry
                    self._evict()
        return entry

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
        if entry is None:
            return  # not built here: it reads the database when first needed
        self.apply(env.org_id, entry, env.event)
