"""The API tokens page (owners and admins): create for any member, see usage, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kefu.core import actions
from kefu.core.access import access_token_by_id
from kefu.core.errors import KefuError
from kefu.core.forms import TokenForm
from kefu.core.models import ApiToken, Member
from kefu.core.views.common import action_error, form_page, member_page


def _list_context(member: Member) -> dict[str, object]:
    tokens = (ApiToken.objects.filter(member__organization_id=member.organization_id)
              .select_related("member__user").order_by("revoked_at", "-created_at"))
    return {"tokens": tokens}


@member_page(admin=True)
def token_list(request: HttpRequest, member: Member) -> HttpResponse:
    form = TokenForm(org=member.organization, actor=member)
    return render(request, "core/tokens.html", {**_list_context(member), "form": form})


@member_page(admin=True)
@require_POST
@never_cache
def token_create(request: HttpRequest, member: Member) -> HttpResponse:
    form = TokenForm(request.POST, org=member.organization, actor=member)
    if form.is_valid():
        try:
            token, raw = actions.do_create_token(form.cleaned_data["member"],
                                                 form.cleaned_data["name"], member)
        except KefuError as exc:
            action_error(form, exc)
        else:
            # Deliberately no redirect: the secret exists only in this response. Carrying it
            # through the session would store it unhashed on the server; never_cache keeps it
            # out of the browser's cache too.
            return render(request, "core/token_created.html", {"token": token, "raw": raw},
                          status=201)
    return form_page(request, "core/tokens.html", {**_list_context(member), "form": form})


@member_page(admin=True)
def token_revoke(request: HttpRequest, member: Member, token_id: int) -> HttpResponse:
    token = access_token_by_id(member, token_id)
    if request.method == "POST":
        actions.do_revoke_token(token, member)
        messages.success(request, _("Token %(name)s was revoked; programs using it are now "
                                    "refused.") % {"name": token.name})
        return redirect("tokens")
    return render(request, "core/token_revoke.html", {"token": token})
