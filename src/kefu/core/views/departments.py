"""The departments page: everyone sees the teams; owners and admins create, rename, delete."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core import actions
from kefu.core.access import access_department_by_id
from kefu.core.errors import KefuError
from kefu.core.forms import DepartmentForm
from kefu.core.models import Department, Member
from kefu.core.views.common import action_error, form_page, member_page


def _list_context(member: Member) -> dict[str, object]:
    departments = (Department.objects.filter(organization_id=member.organization_id)
                   .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
                   .order_by("name"))
    return {"departments": departments}


@member_page()
def department_list(request: HttpRequest, member: Member) -> HttpResponse:
    context = _list_context(member)
    if member.is_admin:
        context["form"] = DepartmentForm()
    return render(request, "core/departments.html", context)


@member_page(admin=True)
@require_POST
def department_create(request: HttpRequest, member: Member) -> HttpResponse:
    form = DepartmentForm(request.POST)
    if form.is_valid():
        try:
            dept = actions.do_create_department(member.organization, form.cleaned_data["name"],
                                                member)
        except KefuError as exc:
            action_error(form, exc)
        else:
            messages.success(request, _("Department %(name)s was created.") % {"name": dept.name})
            return redirect("departments")
    return form_page(request, "core/departments.html", {**_list_context(member), "form": form})


@member_page(admin=True)
def department_edit(request: HttpRequest, member: Member, department_id: int) -> HttpResponse:
    dept = access_department_by_id(member, department_id)
    if request.method == "POST":
        form = DepartmentForm(request.POST)
        if form.is_valid():
            try:
                old = dept.name
                dept = actions.do_rename_department(dept, form.cleaned_data["name"], member)
            except KefuError as exc:
                action_error(form, exc)
            else:
                messages.success(request, _("Department %(old)s is now called %(new)s.")
                                 % {"old": old, "new": dept.name})
                return redirect("departments")
    else:
        form = DepartmentForm(initial={"name": dept.name})
    return form_page(request, "core/department_edit.html", {"department": dept, "form": form})


@member_page(admin=True)
def department_delete(request: HttpRequest, member: Member, department_id: int) -> HttpResponse:
    dept = access_department_by_id(member, department_id)
    if request.method == "POST":
        name = dept.name
        actions.do_delete_department(dept, member)
        messages.success(request, _("Department %(name)s was deleted.") % {"name": name})
        return redirect("departments")
    member_count = dept.members.count()
    return render(request, "core/department_delete.html",
                  {"department": dept, "member_count": member_count})
