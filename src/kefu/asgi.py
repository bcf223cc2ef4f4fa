"""ASGI entry point (``kefu serve`` runs it under uvicorn).

Everything kefu serves is synchronous Django except two things that belong on the event
loop: the SSE stream (it must not hold a thread while it waits) and static files (served
by ServeStatic's async middleware). Django's own ASGI handler runs a sync request as a
chain of hand-offs: a fresh thread for every request (asgiref's ``ThreadSensitiveContext``),
a hop back to the loop between the middleware chain and the view, and a new database
connection in each new thread. That was ~4 ms of a ~5 ms search request
(docs/benchmarks/search.md).

So ordinary requests go to Django's WSGI handler on a fixed pool of threads (a2wsgi): one
hand-off per request, long-lived threads, database connections reused between requests
(``CONN_MAX_AGE`` in settings). Only ``LOOP_PATHS`` take Django's ASGI handler. Both
handlers share the settings, URLconf and middleware, except that the pool handler leaves
out the async-only middleware, which can only ever see ``LOOP_PATHS`` requests anyway.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django
from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler

django.setup(set_prefix=False)

# Middleware that exists only as async code; it handles static files, which never reach
# the pool.
ASYNC_ONLY_MIDDLEWARE = ("servestatic.middleware.ServeStaticMiddleware",)
LOOP_PATHS = ("/api/v1/events", settings.STATIC_URL)


class PoolHandler(WSGIHandler):
    """Django's WSGI handler with the sync middleware chain only."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        # load_middleware reads the setting directly; this runs once, at import.
        settings.MIDDLEWARE = [m for m in full if m not in ASYNC_ONLY_MIDDLEWARE]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


_loop = ASGIHandler()
_pool = WSGIMiddleware(PoolHandler(), workers=settings.KEFU_SERVER_THREADS)  # type: ignore[arg-type]


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not scope["path"].startswith(LOOP_PATHS):
        await _pool(scope, receive, send)  # type: ignore[arg-type]
    else:
        await _loop(scope, receive, send)
