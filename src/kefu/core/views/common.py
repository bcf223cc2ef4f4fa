"""What every page shares: who is asking, how refusals look, the template context."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kefu.core.access import require_admin
from kefu.core.auth import member_from_session, memberships
from kefu.core.errors import Forbidden, KefuError, NotFound
from kefu.core.models import Member
from kefu.core.views.nav import pages_for

P = ParamSpec("P")
MemberView = Callable[Concatenate[HttpRequest, Member, P], HttpResponse]

# A submitted form with errors is re-rendered with this status (the page, not an error page).
FORM_ERROR_STATUS = 400


def member_page(*, admin: bool = False) -> Callable[[MemberView[P]], Callable[..., HttpResponse]]:
    """Give the view the current member; refuse (403 page) non-admins when ``admin``.

    Errors actions and lookups raise become pages: NotFound the same 404 whether the object
    is missing or belongs to another organization, Forbidden a 403 page saying why.
    """

    def decorate(view: MemberView[P]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            member = member_from_session(request)
            if member is None:
                return render(request, "core/no_membership.html", status=403)
            request._kefu_member = member  # type: ignore[attr-defined]
            try:
                if admin:
                    require_admin(member)
                return view(request, member, *args, **kwargs)
            except NotFound:
                raise Http404 from None
            except Forbidden as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)
            except KefuError as exc:
                return render(request, "core/error.html", {"message": exc.message},
                              status=exc.status)

        return wrapper

    return decorate


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a page holding a form; a POST that got here failed, so say so in the status."""
    status = FORM_ERROR_STATUS if request.method == "POST" else 200
    return render(request, template, context, status=status)


def action_error(form: forms.Form, exc: KefuError) -> None:
    """Show an action's refusal at the top of the form it came from."""
    form.add_error(None, str(exc.message))


def member_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the member, the organizations to switch to, the pages to link."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    member = getattr(request, "_kefu_member", None) or member_from_session(request)
    request._kefu_member = member  # type: ignore[attr-defined]
    if member is None:
        return {"member": None, "memberships": []}
    return {"member": member, "memberships": list(memberships(user)),
            "nav_pages": pages_for(member, request.path)}
