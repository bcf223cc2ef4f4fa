"""The per-process event hub: a short history for resuming, and the local subscribers.

Each server process has one hub. A bus backend (in-process or Redis) feeds it envelopes in
id order; SSE connections subscribe to it. Envelopes are delivered to a subscriber only when
its organization matches and the event's audience includes it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("kefu.events")
EventId = tuple[int, int]  # (milliseconds, sequence), the shape of Redis stream ids


def parse_id(raw: str | None) -> EventId | None:
    if not raw:
        return None
    ms, _, seq = raw.strip().partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return None


def format_id(eid: EventId) -> str:
    return f"{eid[0]}-{eid[1]}"


@dataclass(frozen=True)
class Audience:
    """Who may receive an event. Everyone in the organization, or any of the listed groups."""

    everyone: bool = False
    member_ids: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    department_ids: tuple[int, ...] = ()

    @classmethod
    def all(cls) -> Audience:
        return cls(everyone=True)

    def to_json(self) -> dict[str, Any]:
        if self.everyone:
            return {"all": True}
        return {"members": list(self.member_ids), "roles": list(self.roles),
                "departments": list(self.department_ids)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        if data.get("all"):
            return cls.all()
        return cls(member_ids=tuple(data.get("members", ())), roles=tuple(data.get("roles", ())),
                   department_ids=tuple(data.get("departments", ())))


@dataclass(frozen=True)
class Viewer:
    """What an SSE subscriber is allowed to see, captured when it connects."""

    org_id: int
    member_id: int
    role: str
    department_ids: frozenset[int]

    def may_see(self, env: Envelope) -> bool:
        if env.org_id != self.org_id:
            return False
        a = env.audience
        return (a.everyone or self.member_id in a.member_ids or self.role in a.roles
                or not self.department_ids.isdisjoint(a.department_ids))


@dataclass(frozen=True)
class Envelope:
    id: EventId
    org_id: int
    audience: Audience
    event: dict[str, Any]
    created: float = field(default_factory=time.time)

    @property
    def id_str(self) -> str:
        return format_id(self.id)

    def to_wire(self) -> dict[str, Any]:
        return {"org": self.org_id, "audience": self.audience.to_json(), "event": self.event}

    @classmethod
    def from_wire(cls, eid: EventId, data: dict[str, Any]) -> Envelope:
        return cls(eid, int(data["org"]), Audience.from_json(data["audience"]), data["event"])


class Subscription:
    """One SSE connection's queue. Filled from any thread, read on its event loop."""

    MAX_PENDING = 2000

    def __init__(self, viewer: Viewer, loop: asyncio.AbstractEventLoop) -> None:
        self.viewer = viewer
        self.loop = loop
        self.queue: asyncio.Queue[Envelope | None] = asyncio.Queue()
        self.overflowed = False

    def push(self, env: Envelope) -> None:
        if self.viewer.may_see(env) and not self.overflowed:
            self.loop.call_soon_threadsafe(self._put, env)

    def _put(self, env: Envelope) -> None:
        if self.queue.qsize() >= self.MAX_PENDING:
            # A client that cannot keep up is told to resync rather than grow without bound.
            self.overflowed = True
            self.queue.put_nowait(None)
        else:
            self.queue.put_nowait(env)


class Hub:
    def __init__(self, retention_seconds: float, max_events: int = 50_000) -> None:
        self.retention = retention_seconds
        self._lock = threading.Lock()
        self._history: deque[Envelope] = deque(maxlen=max_events)
        self._subs: set[Subscription] = set()
        self._listeners: list[Callable[[Envelope], None]] = []
        self._heard: set[EventId] = set()
        # Every event with an id above this watermark is in the history.
        self.covered_after: EventId = (int(time.time() * 1000), 0)
        self.last_id: EventId = self.covered_after

    def dispatch(self, env: Envelope) -> None:
        with self._lock:
            if env.id <= self.last_id:
                return  # a duplicate from a reader that resumed
            if len(self._history) == self._history.maxlen:
                self.covered_after = self._history[0].id
            self._history.append(env)
            self.last_id = max(self.last_id, env.id)
            horizon = time.time() - self.retention
            while self._history and self._history[0].created < horizon:
                self.covered_after = self._history.popleft().id
            subs = list(self._subs)
            heard = env.id in self._heard
            self._heard.discard(env.id)
        if not heard:
            self._notify(env)
        for sub in subs:
            sub.push(env)

    def listen(self, callback: Callable[[Envelope], None]) -> None:
        """Call ``callback`` (in the dispatching thread) for every event of this process's
        bus, whatever its audience: in-memory caches such as the search index use this."""
        with self._lock:
            if callback not in self._listeners:
                self._listeners.append(callback)

    def notify_early(self, env: Envelope) -> None:
        """Give listeners an event this process just published, before the Redis reader
        brings it back, so the writer's own next request already sees the change."""
        with self._lock:
            self._heard.add(env.id)
            if len(self._heard) > 10_000:  # ids the reader never brought back
                self._heard.clear()
        self._notify(env)

    def _notify(self, env: Envelope) -> None:
        for callback in list(self._listeners):
            try:
                callback(env)
            except Exception:
                log.exception("event listener failed")

    def reset(self, start: EventId) -> None:
        """Start counting from ``start`` (the Redis stream's last id when its reader starts)."""
        with self._lock:
            self.covered_after = self.last_id = start
            self._history.clear()

    def next_local_id(self) -> EventId:
        """A new id for the in-process bus: milliseconds, then a sequence, never going back."""
        ms = int(time.time() * 1000)
        with self._lock:
            last_ms, last_seq = self.last_id
            return (ms, 0) if ms > last_ms else (last_ms, last_seq + 1)

    def subscribe(self, viewer: Viewer, loop: asyncio.AbstractEventLoop) -> Subscription:
        sub = Subscription(viewer, loop)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def since(self, after: EventId) -> list[Envelope] | None:
        """Events after ``after``, or None when some of them are no longer kept."""
        with self._lock:
            if after < self.covered_after:
                return None
            return [e for e in self._history if e.id > after]

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)
