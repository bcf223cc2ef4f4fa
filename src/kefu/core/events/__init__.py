"""The live-event bus: actions announce changes after commit; SSE delivers them to screens.

Usage from an action::

    send_event_on_commit(org, ReplyEvent(op="update", id=reply.id, ...), audience)

The event is published only if the surrounding transaction commits, and only to members of
``org`` that ``audience`` includes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import transaction
from pydantic import BaseModel

from kefu.core.events.bus import Bus, LocalBus, RedisBus
from kefu.core.events.hub import Audience, Envelope, Hub, Viewer

__all__ = ["Audience", "Envelope", "Viewer", "get_bus", "reset_bus", "send_event_on_commit"]

log = logging.getLogger("kefu.events")
_bus: Bus | None = None
_bus_lock = threading.Lock()


def get_bus() -> Bus:
    global _bus
    with _bus_lock:
        if _bus is None:
            hub = Hub(settings.KEFU_EVENT_RETENTION_SECONDS)
            if settings.KEFU_REDIS_URL:
                _bus = RedisBus(hub, settings.KEFU_REDIS_URL, settings.KEFU_EVENT_RETENTION_SECONDS)
            else:
                _bus = LocalBus(hub)
        return _bus


def reset_bus() -> None:
    """Forget the bus (tests switch between backends)."""
    global _bus
    with _bus_lock:
        if _bus is not None:
            _bus.close()
        _bus = None


def send_event_on_commit(org: Any, event: BaseModel | dict[str, Any], audience: Audience) -> None:
    payload = event.model_dump(mode="json") if isinstance(event, BaseModel) else dict(event)
    if "type" not in payload or "op" not in payload:
        raise ValueError("an event needs 'type' and 'op'")
    org_id = org if isinstance(org, int) else org.id

    def publish() -> None:
        try:
            get_bus().publish(org_id, audience, payload)
        except Exception:  # the write is committed; a bus outage must not turn it into a 500
            log.exception("could not publish %s event", payload["type"])

    transaction.on_commit(publish)
