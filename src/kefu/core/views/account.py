"""The home page and "my account": what every member sees about themselves."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core import actions
from kefu.core.errors import KefuError
from kefu.core.forms import DisplayNameForm, LanguageForm
from kefu.core.i18n import COOKIE as LANGUAGE_COOKIE
from kefu.core.models import Member
from kefu.core.views.common import action_error, form_page, member_page


@member_page()
def home(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "core/home.html")


def _account_context(request: HttpRequest, member: Member, **forms: object) -> dict[str, object]:
    return {
        "name_form": forms.get("name_form") or DisplayNameForm(
            initial={"display_name": member.display_name}),
        "language_form": forms.get("language_form") or LanguageForm(
            initial={"language": translation.get_language()}),
    }


@member_page()
def account(request: HttpRequest, member: Member) -> HttpResponse:
    if request.method == "POST":
        form = DisplayNameForm(request.POST)
        if form.is_valid():
            try:
                actions.do_change_member(member, member,
                                         display_name=form.cleaned_data["display_name"])
            except KefuError as exc:
                action_error(form, exc)
            else:
                messages.success(request, _("Your display name was saved."))
                return redirect("account")
        return form_page(request, "core/account.html",
                         _account_context(request, member, name_form=form))
    return render(request, "core/account.html", _account_context(request, member))


@member_page()
@require_POST
def account_language(request: HttpRequest, member: Member) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return form_page(request, "core/account.html",
                         _account_context(request, member, language_form=form))
    lang = form.cleaned_data["language"]
    # The confirmation is shown on the next page, so say it in the language just chosen.
    with translation.override(lang):
        messages.success(request, _("Language saved."))
    response = redirect("account")
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="Lax")
    return response
