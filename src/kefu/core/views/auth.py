"""Log in and out, password change, organization switch, health check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core import actions
from kefu.core.auth import SESSION_ORG_KEY, member_from_session, memberships
from kefu.core.models import Role


def client_ip(request: HttpRequest) -> str:
    # Behind a reverse proxy operators should set the real address; we do not trust
    # X-Forwarded-For blindly, or anyone could dodge throttling by forging it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses further attempts after too many failures for one user name from one address."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": gettext_lazy(
            "Too many failed logins. Wait 15 minutes and try again, or ask an admin."),
    }

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").strip()
        ip = client_ip(self.request) if self.request else "unknown"
        if username and actions.login_throttled(username, ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                actions.record_login_failure(username, ip)
            raise
        actions.clear_login_failures(username, ip)
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Agents live in the panel; everyone else starts on the home page.
        member = member_from_session(self.request)
        if member is not None and member.role == Role.AGENT:
            return reverse("panel:panel")
        return super().get_default_redirect_url()


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    success_url = "/"

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


@login_required
@require_POST
def switch_org(request: HttpRequest) -> HttpResponse:
    org_id = request.POST.get("organization", "")
    target = memberships(request.user).filter(organization_id=org_id if org_id.isdigit() else 0
                                              ).first()
    if target is None:
        messages.error(request, _("You are not a member of that organization."))
    else:
        request.session[SESSION_ORG_KEY] = target.organization_id
    # Only same-site targets: an attacker's link must not bounce people to another site.
    target_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target_url = "home"
    return redirect(target_url)


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})
