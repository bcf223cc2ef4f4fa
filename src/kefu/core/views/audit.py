"""The audit log page (owners and admins): newest first, 50 a page, filter by action prefix."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kefu.core.forms import AuditFilterForm
from kefu.core.models import AuditLog, Member
from kefu.core.views.common import member_page

PER_PAGE = 50
# Offered as suggestions in the filter box; any prefix works.
COMMON_PREFIXES = ["member.", "department.", "token.", "organization."]


@member_page(admin=True)
def audit_list(request: HttpRequest, member: Member) -> HttpResponse:
    entries = AuditLog.objects.filter(organization_id=member.organization_id).order_by("-id")
    form = AuditFilterForm(request.GET)
    prefix = form.cleaned_data["action"].strip() if form.is_valid() else ""
    if prefix:
        entries = entries.filter(action__startswith=prefix)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    rows = [(entry, json.dumps(entry.data, ensure_ascii=False, sort_keys=True, default=str))
            for entry in page]
    return render(request, "core/audit.html", {
        "form": form, "page": page, "rows": rows, "prefix": prefix,
        "common_prefixes": COMMON_PREFIXES,
    })
