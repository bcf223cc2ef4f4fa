"""Which object each API route's path parameters name, for the generic tenant-isolation test.

``tests/core/test_tenancy.py`` walks every route of the ninja API. For each route with a path
parameter it needs an object of the organization under test to aim at; this registry says how
to make one. Every app's test package registers its routes in ``tests/<app>/tenancy.py``::

    from tests.tenancy_registry import register

    @register("/replies/{reply_id}", bodies={"PATCH": {"title": "新标题"}})
    def reply(org, owner):
        return {"reply_id": do_create_reply(org, owner, ...).id}

The factory gets the organization and its owner, creates the object through actions and
returns the path parameters. ``bodies`` gives a valid body per method, so a request is refused
for being someone else's object and not for a malformed body first. A route with a path
parameter and no entry fails the test, so no endpoint ships unchecked.

List routes (GET with ``limit``) are found on their own; ``register_list`` adds query
parameters a list needs.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

Factory = Callable[[Any, Any], dict[str, Any]]


@dataclass
class Entry:
    path: str  # relative to /api/v1, e.g. "/members/{member_id}"
    make: Factory
    bodies: dict[str, Any] = field(default_factory=dict)  # "PATCH" -> a valid body
    missing: dict[str, Any] = field(default_factory=dict)  # path params naming nothing


REGISTRY: dict[str, Entry] = {}
LIST_QUERIES: dict[str, dict[str, Any]] = {}


def register(*paths: str, bodies: dict[str, Any] | None = None,
             missing: dict[str, Any] | None = None) -> Callable[[Factory], Factory]:
    """Declare the factory for one or more path templates (relative to /api/v1)."""
    def wrap(make: Factory) -> Factory:
        for path in paths:
            if path in REGISTRY:
                raise ValueError(f"{path} is registered twice")
            REGISTRY[path] = Entry(path, make, {k.upper(): v for k, v in (bodies or {}).items()},
                                   dict(missing or {}))
        return make
    return wrap


def register_list(path: str, **query: Any) -> None:
    """Query parameters a list route needs to answer 200 (e.g. a required search term)."""
    LIST_QUERIES[path] = query


def load_all() -> None:
    """Import ``tenancy`` (and ``tenancy_*``, for an app that splits its entries) from every
    test package, so all apps' entries are registered."""
    root = Path(__file__).resolve().parent
    for info in pkgutil.iter_modules([str(root)]):
        if not info.ispkg:
            continue
        for module in sorted((root / info.name).glob("tenancy*.py")):
            import_module(f"tests.{info.name}.{module.stem}")


def missing_params(entry: Entry, params: dict[str, Any]) -> dict[str, Any]:
    """Path parameters of the same shape that name nothing in any organization."""
    out = {}
    for name, value in params.items():
        if name in entry.missing:
            out[name] = entry.missing[name]
        elif isinstance(value, int):
            out[name] = 987_654_321
        else:
            out[name] = "does-not-exist"
    return out
