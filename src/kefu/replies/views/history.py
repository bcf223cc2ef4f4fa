"""Revision history of one reply: every version newest first, a diff of any version against
the current one, and restore (which stores the old content as a new version)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import Conflict
from kefu.core.models import Member
from kefu.core.views.common import member_page
from kefu.replies import actions
from kefu.replies.access import access_reply_by_id, can_manage
from kefu.replies.forms import RestoreForm
from kefu.replies.models import Category, Reply, Revision
from kefu.replies.views.common import library_label
from kefu.replies.views.diff import field_diffs

REVISIONS_PER_PAGE = 50

ACTION_LABELS = {
    "create": _("created"), "edit": _("edited"), "import": _("imported"),
    "restore": _("restored"), "move": _("moved"),
}


def _as_text(content: dict[str, Any], categories: dict[int, str]) -> dict[str, str]:
    """A revision's (or the current reply's) content as the strings the diff compares."""
    cat_id = content.get("category_id")
    if cat_id is None:
        category = _("(uncategorized)")
    else:
        category = categories.get(cat_id, _("(deleted category)"))
    return {
        "title": content.get("title", ""), "body": content.get("body", ""),
        "category": category, "shortcut": content.get("shortcut", ""),
        "tags": "、".join(content.get("tags", [])),
        "questions": "\n".join(content.get("questions", [])),
        "key": content.get("key", ""),
        "is_active": str(_("Yes") if content.get("is_active", True) else _("No")),
    }


def _category_names(reply: Reply) -> dict[int, str]:
    return {c.id: f"{c.parent.name} / {c.name}" if c.parent else c.name
            for c in Category.objects.filter(library_id=reply.library_id)
            .select_related("parent")}


@member_page()
def reply_history(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = access_reply_by_id(member, reply_id, include_deleted=True)
    page = Paginator(reply.revisions.select_related("author__user").order_by("-version"),
                     REVISIONS_PER_PAGE).get_page(request.GET.get("page"))
    raw = request.GET.get("compare", "")
    compare: Revision | None
    if raw:
        try:
            compare = reply.revisions.filter(version=int(raw)).first()
        except ValueError:
            compare = None
        if compare is None:
            raise Http404
    else:  # by default, what the last change did
        compare = reply.revisions.exclude(version=reply.version).order_by("-version").first()
    names = _category_names(reply)
    current = _as_text(reply.content(), names)
    diffs = field_diffs(_as_text(compare.content, names), current) if compare else None
    context = {
        "reply": reply, "page": page, "compare": compare, "diffs": diffs,
        "current": current, "library_label": library_label(reply.library),
        "manage": can_manage(member, reply.library) and reply.deleted_at is None,
        "action_labels": ACTION_LABELS,
    }
    return render(request, "replies/history.html", context)


@member_page()
@require_POST
def reply_restore(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = access_reply_by_id(member, reply_id)
    history = reverse("replies:reply_history", args=[reply.id])
    form = RestoreForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
        return redirect(history)
    revision = reply.revisions.filter(version=form.cleaned_data["revision"]).first()
    if revision is None:
        raise Http404
    try:
        restored = actions.do_restore_revision(member, reply, revision,
                                               form.cleaned_data["version"])
    except Conflict:
        messages.error(request, _("Someone else changed this reply while you were looking; "
                                  "nothing was restored. Check the current version and try "
                                  "again."))
        return redirect(history)
    if restored.version == reply.version:
        messages.info(request, _("Version %(v)d has the same content as the current one; "
                                 "nothing changed.") % {"v": revision.version})
    else:
        messages.success(request, _("Version %(old)d was restored as version %(new)d.")
                         % {"old": revision.version, "new": restored.version})
    return redirect(history)
