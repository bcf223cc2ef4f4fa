"""The members page: every member sees colleagues; owners and admins manage them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core import actions
from kefu.core.access import access_member_by_id
from kefu.core.errors import KefuError
from kefu.core.forms import MemberAddForm, MemberChangeForm
from kefu.core.models import Member, Role
from kefu.core.views.common import action_error, form_page, member_page


def _list_context(member: Member) -> dict[str, object]:
    people = (Member.objects.filter(organization_id=member.organization_id)
              .select_related("user").prefetch_related("departments")
              .order_by("-is_active", "user__username"))
    return {"people": people, "active_count": sum(1 for p in people if p.is_active)}


@member_page()
def member_list(request: HttpRequest, member: Member) -> HttpResponse:
    context = _list_context(member)
    if member.is_admin:
        context["form"] = MemberAddForm(org=member.organization)
    return render(request, "core/members.html", context)


@member_page(admin=True)
@require_POST
def member_add(request: HttpRequest, member: Member) -> HttpResponse:
    form = MemberAddForm(request.POST, org=member.organization)
    if form.is_valid():
        data = form.cleaned_data
        username = data["username"].strip()
        if not data["password"] and not get_user_model().objects.filter(
                username=username).exists():
            # Without a password a new account could never log in.
            form.add_error("password", _("Give the new user an initial password."))
        else:
            try:
                added = actions.do_add_member(
                    member.organization, username, data["role"], member,
                    password=data["password"] or None, departments=form.department_ids(),
                    display_name=data["display_name"])
            except KefuError as exc:
                action_error(form, exc)
            else:
                messages.success(request, _("%(name)s was added.") % {"name": added.name})
                return redirect("members")
    return form_page(request, "core/members.html", {**_list_context(member), "form": form})


@member_page(admin=True)
def member_edit(request: HttpRequest, member: Member, member_id: int) -> HttpResponse:
    target = access_member_by_id(member, member_id)
    if request.method == "POST":
        form = MemberChangeForm(request.POST, org=member.organization)
        if form.is_valid():
            try:
                changed = actions.do_change_member(
                    target, member, role=form.cleaned_data["role"],
                    departments=form.department_ids(),
                    display_name=form.cleaned_data["display_name"])
            except KefuError as exc:
                action_error(form, exc)
            else:
                messages.success(request, _("%(name)s was updated.") % {"name": changed.name})
                return redirect("members")
    else:
        form = MemberChangeForm(org=member.organization, initial={
            "display_name": target.display_name, "role": target.role,
            "departments": target.department_ids()})
    return form_page(request, "core/member_edit.html", {"target": target, "form": form})


@member_page(admin=True)
@require_POST
def member_set_active(request: HttpRequest, member: Member, member_id: int) -> HttpResponse:
    target = access_member_by_id(member, member_id)
    active = request.POST.get("active") == "1"
    if target.pk == member.pk and not active:
        # Locking oneself out is never what an admin means to do from this button.
        messages.error(request, _("You cannot deactivate yourself."))
        return redirect("member_edit", member_id=target.pk)
    if target.role == Role.OWNER and member.role != Role.OWNER:
        # actions.do_change_member lets an admin deactivate an owner; the page does not.
        messages.error(request, _("Only an owner can deactivate or reactivate an owner."))
        return redirect("member_edit", member_id=target.pk)
    try:
        changed = actions.do_change_member(target, member, is_active=active)
    except KefuError as exc:
        messages.error(request, str(exc.message))
        return redirect("member_edit", member_id=target.pk)
    if active:
        messages.success(request, _("%(name)s was reactivated.") % {"name": changed.name})
    else:
        messages.success(request, _("%(name)s was deactivated and can no longer log in here.")
                         % {"name": changed.name})
    return redirect("members")
