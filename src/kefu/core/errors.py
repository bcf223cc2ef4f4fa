"""Errors actions raise; the API and the views turn each into a status and a translated message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class KefuError(Exception):
    """A request we refuse for a reason the user can fix. ``message`` is shown as is."""

    status = 400

    def __init__(self, message: Any = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message if message is not None else self.default_message()
        self.extra = extra

    def default_message(self) -> Any:
        return _("The request is invalid.")


class NotFound(KefuError):
    # One message for "missing" and "not yours", so probing ids reveals nothing.
    status = 404

    def default_message(self) -> Any:
        return _("Not found.")


class Forbidden(KefuError):
    status = 403

    def default_message(self) -> Any:
        return _("You do not have permission to do this.")


class Conflict(KefuError):
    status = 409

    def default_message(self) -> Any:
        return _("This was changed by someone else; reload and try again.")


class CsrfFailed(KefuError):
    status = 403

    def default_message(self) -> Any:
        return _("CSRF check failed: reload the page and try again.")
