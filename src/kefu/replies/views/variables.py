"""The variables page: organization variables like {活动.满减}, where each is used, and (for
supervisors, admins and owners) create, edit with version check, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kefu.core.access import require_manager
from kefu.core.errors import Conflict, KefuError
from kefu.core.models import Member
from kefu.core.views.common import form_page, member_page
from kefu.replies import actions
from kefu.replies.access import access_variable_by_id, visible_replies
from kefu.replies.forms import VariableForm
from kefu.replies.models import Variable
from kefu.replies.variables import CONVERSATION_VARIABLES, SERVER_VARIABLES
from kefu.replies.views.common import field_error


def usage_counts(member: Member, names: list[str]) -> dict[str, int]:
    """How many replies the member can see contain {name}, for every name in one query."""
    if not names:
        return {}
    aggregates = {f"n{i}": Count("id", filter=Q(body__contains="{" + name + "}"))
                  for i, name in enumerate(names)}
    row = visible_replies(member).order_by().aggregate(**aggregates)
    return {name: row[f"n{i}"] for i, name in enumerate(names)}


def _usage_link(name: str) -> str:
    return reverse("replies:library") + "?" + urlencode({"lib": "all", "q": "{" + name + "}"})


def _context(member: Member, form: VariableForm | None) -> dict[str, Any]:
    variables = list(Variable.objects.filter(organization_id=member.organization_id)
                     .select_related("updated_by__user"))
    builtins = [*CONVERSATION_VARIABLES, *SERVER_VARIABLES]
    counts = usage_counts(member, [v.name for v in variables] + builtins)
    rows = [{"variable": v, "used": counts[v.name], "link": _usage_link(v.name)}
            for v in variables]
    builtin_rows = [{"name": n, "used": counts[n], "link": _usage_link(n),
                     "server": n in SERVER_VARIABLES} for n in builtins]
    return {"rows": rows, "builtins": builtin_rows, "form": form,
            "manage": member.is_manager}


@member_page()
def variable_list(request: HttpRequest, member: Member) -> HttpResponse:
    form = None
    if member.is_manager:
        form = VariableForm(request.POST or None)
    if request.method == "POST":
        require_manager(member)
        assert form is not None
        if form.is_valid():
            data = form.cleaned_data
            try:
                var = actions.do_save_variable(member, member.organization_id, data["name"],
                                               data["value"], data["description"])
            except KefuError as exc:
                field_error(form, exc)
            else:
                messages.success(request, _("Variable {%(name)s} was created.")
                                 % {"name": var.name})
                return redirect("replies:variables")
        return form_page(request, "replies/variables.html", _context(member, form))
    return render(request, "replies/variables.html", _context(member, form))


@member_page()
def variable_edit(request: HttpRequest, member: Member, variable_id: int) -> HttpResponse:
    var = access_variable_by_id(member, variable_id)
    require_manager(member)
    conflict = None
    if request.method == "POST":
        form = VariableForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.do_save_variable(member, member.organization_id, data["name"],
                                         data["value"], data["description"], variable=var,
                                         version=data["version"] or 0)
            except Conflict as exc:
                var.refresh_from_db()
                conflict = {"message": exc.message, "current": var}
                data_copy = request.POST.copy()
                data_copy["version"] = str(var.version)
                form = VariableForm(data_copy)
                form.is_valid()
            except KefuError as exc:
                field_error(form, exc)
            else:
                messages.success(request, _("Variable {%(name)s} was saved.")
                                 % {"name": data["name"].strip("{}")})
                return redirect("replies:variables")
        status = 409 if conflict else 400
        return render(request, "replies/variable_edit.html",
                      {"variable": var, "form": form, "conflict": conflict}, status=status)
    form = VariableForm(initial={"name": var.name, "value": var.value,
                                 "description": var.description, "version": var.version})
    return render(request, "replies/variable_edit.html", {"variable": var, "form": form})


@member_page()
def variable_delete(request: HttpRequest, member: Member, variable_id: int) -> HttpResponse:
    var = access_variable_by_id(member, variable_id)
    require_manager(member)
    if request.method == "POST":
        name = var.name
        actions.do_delete_variable(member, var)
        messages.success(request, _("Variable {%(name)s} was deleted.") % {"name": name})
        return redirect("replies:variables")
    used = usage_counts(member, [var.name])[var.name]
    return render(request, "replies/variable_delete.html",
                  {"variable": var, "used": used, "link": _usage_link(var.name)})
