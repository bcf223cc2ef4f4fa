"""``GET /api/v1/events``: the live-event stream as Server-Sent Events.

The request is authenticated once, in a worker thread, whose database connection is closed
before streaming starts: a waiting SSE connection holds no database connection, so a few
hundred open panels do not exhaust PostgreSQL's connection limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from kefu.core.auth import authenticate_request
from kefu.core.events import get_bus
from kefu.core.events.bus import Bus
from kefu.core.events.hub import Envelope, EventId, Viewer, format_id, parse_id


def _viewer_for(request: HttpRequest) -> Viewer | None:
    try:
        member = authenticate_request(request)
        if member is None:
            return None
        return Viewer(member.organization_id, member.id, member.role,
                      frozenset(member.department_ids()))
    finally:
        for conn in connections.all(initialized_only=True):
            if not conn.in_atomic_block:
                conn.close()


def frame(eid: str | None, data: dict[str, object]) -> str:
    head = f"id: {eid}\n" if eid else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


async def events_view(request: HttpRequest) -> HttpResponseBase:
    if request.method != "GET":
        return JsonResponse({"detail": _("Method not allowed.")}, status=405)
    viewer = await sync_to_async(_viewer_for)(request)
    if viewer is None:
        return JsonResponse({"detail": _("Authentication required.")}, status=401)
    bus = get_bus()
    await sync_to_async(bus.start, thread_sensitive=False)()
    raw_last = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    resp = StreamingHttpResponse(
        _stream(bus, viewer, parse_id(raw_last)), content_type="text/event-stream; charset=utf-8"
    )
    resp["Cache-Control"] = "no-cache"
    resp["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return resp


async def _stream(b: Bus, viewer: Viewer, after: EventId | None) -> AsyncIterator[str]:
    heartbeat = settings.KEFU_EVENT_HEARTBEAT_SECONDS
    # Subscribe before reading the backlog, so nothing falls between the two; ids dedupe.
    sub = b.hub.subscribe(viewer, asyncio.get_running_loop())
    try:
        yield "retry: 1000\n\n"
        last: EventId
        if after is None:
            last = await sync_to_async(b.latest_id, thread_sensitive=False)()
            yield frame(format_id(last), {"type": "hello", "op": "connected"})
        else:
            backlog = await sync_to_async(b.replay, thread_sensitive=False)(after)
            last = after
            if backlog is None:
                # Too old to resume: the client must refetch what it shows.
                last = await sync_to_async(b.latest_id, thread_sensitive=False)()
                yield frame(format_id(last), {"type": "resync", "op": "refetch"})
            else:
                for old in backlog:
                    if viewer.may_see(old):
                        yield frame(old.id_str, old.event)
                    last = max(last, old.id)
        while True:
            try:
                env: Envelope | None = await asyncio.wait_for(sub.queue.get(), heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if env is None:  # overflowed: tell the client to refetch, then stop
                yield frame(format_id(last), {"type": "resync", "op": "refetch"})
                return
            if env.id <= last:
                continue
            last = env.id
            yield frame(env.id_str, env.event)
    finally:
        b.hub.unsubscribe(sub)

