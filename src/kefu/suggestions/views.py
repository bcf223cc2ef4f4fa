"""The learned-examples page (supervisors): what suggestions learned, searchable, 50 a
page, each deletable when an agent's pick was a mistake."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.access import require_manager
from kefu.core.models import Member
from kefu.core.views.common import member_page
from kefu.suggestions.actions import do_delete_example
from kefu.suggestions.api import access_example_by_id, examples_of

PER_PAGE = 50
QUERY_MAX = 100


@member_page()
def example_list(request: HttpRequest, member: Member) -> HttpResponse:
    require_manager(member)
    q = request.GET.get("q", "").strip()[:QUERY_MAX]
    examples = examples_of(member)
    if q:
        examples = examples.filter(message__icontains=q)
    page = Paginator(examples, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "suggestions/examples.html", {"page": page, "q": q})


@require_POST
@member_page()
def example_delete(request: HttpRequest, member: Member, example_id: int) -> HttpResponse:
    example = access_example_by_id(member, example_id)
    do_delete_example(member, example)
    messages.success(request, _("The example was deleted: suggestions no longer learn "
                                "from it."))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/suggestions/") else "suggestions:examples")
