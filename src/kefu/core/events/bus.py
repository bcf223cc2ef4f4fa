"""Bus backends that feed every process's hub: in-process (default) and Redis (multi-process).

The Redis backend uses a Redis *stream* rather than plain PUBLISH: it fans out like pub/sub
(each process reads every entry) but also keeps the retention window, so a client that
reconnects to any process — even one that just restarted — can resume from Last-Event-ID.
See docs/adr/0002-event-bus.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

from kefu.core.events.hub import Audience, Envelope, EventId, Hub, format_id, parse_id

log = logging.getLogger("kefu.events")


class Bus(Protocol):
    hub: Hub

    def publish(self, org_id: int, audience: Audience, event: dict[str, Any]) -> None: ...
    def start(self) -> None: ...
    def replay(self, after: EventId) -> list[Envelope] | None: ...
    def latest_id(self) -> EventId: ...
    def close(self) -> None: ...


class LocalBus:
    """Delivers within this process only; `kefu serve` refuses several workers with it."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._lock = threading.Lock()

    def publish(self, org_id: int, audience: Audience, event: dict[str, Any]) -> None:
        with self._lock:  # id assignment and dispatch together keep ids in delivery order
            self.hub.dispatch(Envelope(self.hub.next_local_id(), org_id, audience, event))

    def start(self) -> None:
        return None

    def replay(self, after: EventId) -> list[Envelope] | None:
        return self.hub.since(after)

    def latest_id(self) -> EventId:
        return self.hub.last_id

    def close(self) -> None:
        return None


class RedisBus:
    STREAM = "kefu:events"

    def __init__(self, hub: Hub, url: str, retention_seconds: float) -> None:
        import redis  # imported here: only deployments with Redis need a connection

        self.hub = hub
        self.retention_ms = int(retention_seconds * 1000)
        # redis-py's annotations are unions of sync/async/bytes/str; we use bytes, sync.
        self.client: Any = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._started = threading.Event()

    def publish(self, org_id: int, audience: Audience, event: dict[str, Any]) -> None:
        body = json.dumps(Envelope((0, 0), org_id, audience, event).to_wire(), ensure_ascii=False)
        floor = int(time.time() * 1000) - self.retention_ms
        raw_id = self.client.xadd(self.STREAM, {"d": body}, minid=str(floor), approximate=True)
        eid = parse_id(raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id))
        if eid is not None:
            self.hub.notify_early(Envelope(eid, org_id, audience, event))

    def start(self) -> None:
        """Start this process's reader (once); it copies every stream entry into the hub."""
        with self._start_lock:
            if self._reader is None:
                self._reader = threading.Thread(target=self._run, name="kefu-redis-bus",
                                                daemon=True)
                self._reader.start()
        self._started.wait(timeout=10)

    def _stream_last_id(self) -> str:
        entries = self.client.xrevrange(self.STREAM, count=1)
        return entries[0][0].decode() if entries else "0-0"

    def _run(self) -> None:
        last: str | None = None
        while not self._stop.is_set():
            try:
                if last is None:
                    last = self._stream_last_id()
                    self.hub.reset(parse_id(last) or (0, 0))
                    self._started.set()
                reply = self.client.xread({self.STREAM: last}, block=1000, count=500)
                for _stream, entries in reply or ():
                    for raw_id, fields in entries:
                        last = raw_id.decode()
                        self._dispatch(last, fields)
            except Exception:  # keep the reader alive; resume from the last id we saw
                log.exception("Redis event bus reader failed; retrying in 1 s")
                self._stop.wait(1)

    def _dispatch(self, raw_id: str, fields: dict[bytes, bytes]) -> None:
        eid = parse_id(raw_id)
        try:
            data = json.loads(fields[b"d"])
            env = Envelope.from_wire(eid or (0, 0), data)
        except (KeyError, ValueError, TypeError):
            log.warning("skipping malformed event %s", raw_id)
            return
        self.hub.dispatch(env)

    def replay(self, after: EventId) -> list[Envelope] | None:
        try:
            info = self.client.xinfo_stream(self.STREAM)
        except Exception:
            # No stream: nothing was ever sent, or Redis lost it (a restart without
            # persistence). A client that saw events cannot know what it missed.
            return [] if after == (0, 0) else None
        if self._trimmed_past(info, after):
            return None
        out = []
        for raw_id, fields in self.client.xrange(self.STREAM, min="(" + format_id(after)):
            data = json.loads(fields[b"d"])
            out.append(Envelope.from_wire(parse_id(raw_id.decode()) or (0, 0), data))
        return out

    @staticmethod
    def _trimmed_past(info: dict[str, Any], after: EventId) -> bool:
        """Whether entries after ``after`` may have been trimmed away (so it must resync).

        Trimming (XADD MINID) removes entries from the front and does not move
        max-deleted-entry-id (only XDEL does), so we compare with what is left: everything
        removed is older than the first entry still kept, or than the last id when empty.
        """
        def as_id(raw: Any) -> EventId | None:
            return parse_id(raw.decode() if isinstance(raw, bytes) else raw) if raw else None

        length = int(info.get("length", 0))
        added = info.get("entries-added")  # Redis 7+; older servers: assume some were removed
        if added is not None and int(added) <= length:
            return False
        first = info.get("first-entry")
        oldest_kept = as_id(first[0]) if first else None
        if oldest_kept is None:  # everything was trimmed
            last = as_id(info.get("last-generated-id")) or (0, 0)
            return after < last
        return after < oldest_kept

    def latest_id(self) -> EventId:
        return parse_id(self._stream_last_id()) or (0, 0)

    def close(self) -> None:
        self._stop.set()
        self.client.close()
