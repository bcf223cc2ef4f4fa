"""The JSON API root (``/api/v1/``): auth, error shapes, paging. Apps add their routers here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kefu.core.auth import API_AUTH
from kefu.core.errors import KefuError
from kefu.renderers import Utf8JSONRenderer

api = NinjaAPI(
    title="kefu API",
    version="1",
    description="客服台 kefu: reply library, search, suggestions, tickets. "
    "Authenticate with `Authorization: Bearer <token>` (create one with `kefu token create`).",
    auth=API_AUTH,
    urls_namespace="api",
    renderer=Utf8JSONRenderer(),
)

MAX_LIMIT = 500


class Page(Schema):
    """Query parameters of every list endpoint."""

    limit: int = 50
    offset: int = 0


def paged(qs: QuerySet[Any], limit: int, offset: int,
          serialize: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    if limit < 1 or limit > MAX_LIMIT:
        raise KefuError(_("limit must be between 1 and %(max)d.") % {"max": MAX_LIMIT})
    if offset < 0:
        raise KefuError(_("offset must not be negative."))
    return {"count": qs.count(), "items": [serialize(o) for o in qs[offset:offset + limit]]}


SOURCES = ("body", "query", "path", "form", "header", "cookie", "file")


def _field(loc: list[Any]) -> str:
    # ninja prefixes the source ("body", "query", "path") and then the name of the schema
    # parameter; what follows is the field the user sent. Drop only those two, by position,
    # so a field that happens to be called "body" keeps its name.
    parts = [str(p) for p in loc]
    if parts and parts[0] in SOURCES:
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    return ".".join(parts) or _("request")


def _explain(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    messages: dict[str, str] = {
        "missing": _("This field is required."),
        "json_invalid": _("The request body is not valid JSON."),
        "string_type": _("Must be text."),
        "int_parsing": _("Must be a whole number."),
        "int_type": _("Must be a whole number."),
        "float_parsing": _("Must be a number."),
        "bool_parsing": _("Must be true or false."),
        "list_type": _("Must be a list."),
        "dict_type": _("Must be an object."),
        "model_attributes_type": _("Must be an object."),
    }
    if kind in messages:
        return messages[kind]
    if kind == "string_too_long":
        return _("Too long: at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("Too many: at most %(n)s items.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Too short: at least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("literal_error", "enum"):
        return _("Must be one of: %(values)s.") % {"values": ctx.get("expected", "")}
    return _("Invalid value.")


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"field": _field(list(e.get("loc", []))), "message": _explain(e)}
              for e in exc.errors]
    detail = "；".join(f"{e['field']}: {e['message']}" for e in errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(KefuError)
def on_kefu_error(request: HttpRequest, exc: KefuError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc.message), **exc.extra},
                               status=exc.status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Authentication required: log in or send a valid API token.")},
        status=401)


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc.message)}, status=exc.status_code)


def register_routers() -> None:
    from kefu.core.api import router as core_router
    from kefu.replies.api import router as replies_router
    from kefu.replies.api_images import router as replies_images_router
    from kefu.replies.api_io import router as replies_io_router
    from kefu.replies.api_search import router as replies_search_router
    from kefu.suggestions.api import router as suggestions_router

    api.add_router("/", core_router)
    # Before the replies router: /replies/import and /replies/export would otherwise be
    # taken by /replies/{reply_id}.
    api.add_router("/", replies_io_router)
    api.add_router("/", replies_search_router)
    api.add_router("/", replies_images_router)
    api.add_router("/", replies_router)
    api.add_router("/", suggestions_router)


register_routers()
