"""Language selection: Chinese by default, whatever the browser's Accept-Language says.

Agents' browsers are often set to English while the team works in Chinese, so the
configured default wins; a person switches with ``?lang=en`` (remembered in a cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

COOKIE = "kefu_lang"
SUPPORTED = {code for code, _name in settings.LANGUAGES}


def pick_language(request: HttpRequest) -> tuple[str, bool]:
    """The language for this request, and whether it was asked for explicitly (?lang=)."""
    asked = request.GET.get("lang", "").lower()
    if asked in SUPPORTED:
        return asked, True
    cookie = request.COOKIES.get(COOKIE, "").lower()
    if cookie in SUPPORTED:
        return cookie, False
    return settings.LANGUAGE_CODE, False


class LanguageMiddleware:
    """Sync-only, like the rest of the chain (see core/middleware.py)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang, explicit = pick_language(request)
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        if explicit:
            response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="Lax")
        response.headers.setdefault("Content-Language", lang)
        return response
