"""Helpers for event tests of every app.

- :class:`EventRecorder` collects what one member would be sent, straight from this process's
  hub (use with ``django_capture_on_commit_callbacks(execute=True)``; no threads, no server).
- :class:`SseStream` reads the real ``GET /api/v1/events`` view in-process (Django's
  AsyncClient), for tests of resume, filtering and commit behaviour end to end.
- :func:`apply_events` applies ``{"type", "op", "id", <noun>}`` events to a stale list, the
  way a screen does, so a test can compare the result with a fresh fetch (STYLE.md, 4).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient

from kefu.core.events import Viewer, get_bus
from kefu.core.models import Member

T = TypeVar("T")
# A safety net so a broken stream fails the test instead of hanging it; never a measurement.
STUCK_SECONDS = 15


def viewer_of(member: Member) -> Viewer:
    return Viewer(member.organization_id, member.id, member.role,
                  frozenset(member.department_ids()))


class EventRecorder:
    """Subscribes one member to this process's hub and hands back what reached it."""

    def __init__(self, member: Member) -> None:
        self.loop = asyncio.new_event_loop()
        self.sub = get_bus().hub.subscribe(viewer_of(member), self.loop)

    def events(self) -> list[dict[str, Any]]:
        """Everything received since the last call, oldest first."""
        self.loop.run_until_complete(asyncio.sleep(0))  # run the pending cross-thread puts
        out = []
        while not self.sub.queue.empty():
            env = self.sub.queue.get_nowait()
            assert env is not None, "the subscription overflowed"
            out.append(env.event)
        return out

    def close(self) -> None:
        get_bus().hub.unsubscribe(self.sub)
        self.loop.close()


def apply_events(items: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]],
                 type_: str, noun: str) -> list[dict[str, Any]]:
    """A stale list of API objects, brought up to date by the events of one type."""
    state = {item["id"]: item for item in items}
    for event in events:
        if event["type"] != type_:
            continue
        if event["op"] == "remove":
            state.pop(event["id"], None)
        else:
            state[event["id"]] = event[noun]
    return sorted(state.values(), key=lambda item: item["id"])


def by_id(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item["id"])


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run an async scenario, then close the database connections its threads opened."""
    async def wrapped() -> T:
        try:
            return await scenario()
        finally:
            await sync_to_async(connections.close_all)()
    return asyncio.run(wrapped())


class SseStream:
    """``async with SseStream(token) as s``: one client of GET /api/v1/events."""

    def __init__(self, token: str | None, last_event_id: str | None = None,
                 path: str = "/api/v1/events", session_cookie: str | None = None) -> None:
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.session_cookie = session_cookie
        if last_event_id is not None:
            self.headers["Last-Event-ID"] = last_event_id
        self.path = path
        self.response: Any = None
        self._buffer = ""

    async def __aenter__(self) -> SseStream:
        client = AsyncClient()
        if self.session_cookie:
            client.cookies["sessionid"] = self.session_cookie
        self.response = await client.get(self.path, headers=self.headers)
        if self.response.streaming:
            self._chunks = aiter(self.response.streaming_content)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.response is not None and self.response.streaming:
            await self._chunks.aclose()  # type: ignore[attr-defined]

    async def next_frame(self) -> dict[str, Any]:
        """The next frame: {"id", "data"} for events, {"comment"} for heartbeats."""
        assert self.response.streaming, (self.response.status_code, self.response.content)
        while "\n\n" not in self._buffer:
            chunk = await asyncio.wait_for(anext(self._chunks), STUCK_SECONDS)
            self._buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        raw, self._buffer = self._buffer.split("\n\n", 1)
        frame: dict[str, Any] = {}
        for line in raw.split("\n"):
            if line.startswith("id: "):
                frame["id"] = line[4:]
            elif line.startswith("data: "):
                frame["data"] = json.loads(line[6:])
            elif line.startswith(":"):
                frame["comment"] = line[1:].strip()
            elif line.startswith("retry: "):
                frame["retry"] = int(line[7:])
        return frame

    async def next_event(self) -> dict[str, Any]:
        """The next frame that carries data (skipping heartbeats and the retry hint)."""
        while True:
            frame = await self.next_frame()
            if "data" in frame:
                return frame
