"""The reply editor: one form for new and existing replies, a live preview (the page's
script asks POST /api/v1/render), a palette of variables, and conflicts shown side by side.

Images are added and removed on their own (they are not part of a revision): the edit
page has an upload form and remove links that work without JavaScript; library.js sends
them through the API instead, so text typed but not saved yet stays in the form.

An edit carries the version it started from. When someone else saved in between, the
action refuses (Conflict); the page then shows their reply next to the user's and keeps
the user's text in the form, now based on the current version, so saving again is a
decision made after seeing both, never a silent overwrite.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, Forbidden, KefuError
from kefu.core.models import Member
from kefu.core.views.common import FORM_ERROR_STATUS, member_page
from kefu.replies import actions
from kefu.replies.access import access_reply_by_id, require_manage
from kefu.replies.forms import ReplyForm
from kefu.replies.images import ACCEPT
from kefu.replies.models import Category, Library, Reply, ReplyImage, Variable
from kefu.replies.validation import clean_reply_fields
from kefu.replies.variables import CONVERSATION_VARIABLES, SERVER_VARIABLES
from kefu.replies.views.common import (
    LibraryNode,
    field_error,
    library_tree,
    place_choices,
    place_of,
)
from kefu.replies.views.diff import field_diffs

# Shown in the preview until the user types their own; obviously examples.
SAMPLE_VALUES = {"买家昵称": "小美", "订单号": "3928475610293847", "快递单号": "SF1234567890",
                 "发货时间": "48小时内"}


def _resolve_place(tree: list[LibraryNode], raw: str) -> tuple[Library, Category | None]:
    """The library and category a ``lib:<id>`` / ``cat:<id>`` choice names. The choices
    only hold what the member manages, so the form has already refused anything else."""
    kind, _sep, pk = raw.partition(":")
    for node in tree:
        if kind == "lib" and str(node.id) == pk:
            return node.library, None
        for cat in node.all_categories():
            if kind == "cat" and str(cat.id) == pk:
                return node.library, cat.category
    raise Http404


def _initial_place(request: HttpRequest, tree: list[LibraryNode]) -> str:
    """Where a new reply goes: the library/category the user came from, if they manage it."""
    lib, cat = request.GET.get("library", ""), request.GET.get("category", "")
    if lib:
        node = next((n for n in tree if str(n.id) == lib), None)
        if node is None:
            raise Http404
        if not node.manage:
            raise Forbidden(_("Only a supervisor, admin or owner can change a shared library."))
        if cat and any(str(c.id) == cat for c in node.all_categories()):
            return f"cat:{cat}"
        return f"lib:{node.id}"
    first = next((n for n in tree if n.manage), None)
    return f"lib:{first.id}" if first else ""


def _palette(member: Member) -> dict[str, Any]:
    return {
        "conversation": CONVERSATION_VARIABLES,
        "server": SERVER_VARIABLES,
        "org": list(Variable.objects.filter(organization_id=member.organization_id)
                    .values_list("name", "value")),
        "samples": [(name, SAMPLE_VALUES.get(name, "")) for name in CONVERSATION_VARIABLES],
    }


def _initial(reply: Reply) -> dict[str, Any]:
    return {"title": reply.title, "body": reply.body, "place": place_of(reply),
            "shortcut": reply.shortcut, "tags": "、".join(reply.tags),
            "questions": "\n".join(reply.questions), "key": reply.key,
            "is_active": reply.is_active, "version": reply.version}


IMAGE_LIMITS = {"accept": ACCEPT, "max_mb": ReplyImage.MAX_BYTES // (1024 * 1024),
                "max_bytes": ReplyImage.MAX_BYTES, "max_count": ReplyImage.MAX_PER_REPLY}


def _page(request: HttpRequest, member: Member, form: ReplyForm, reply: Reply | None,
          status: int = 200, **extra: Any) -> HttpResponse:
    context = {"form": form, "reply": reply, "palette": _palette(member),
               "images": [i.to_api_dict() for i in reply.images.all()] if reply else [],
               "image_limits": IMAGE_LIMITS, **extra}
    return render(request, "replies/editor.html", context, status=status)


def _save(request: HttpRequest, member: Member, form: ReplyForm, tree: list[LibraryNode],
          reply: Reply | None) -> HttpResponse:
    library, category = _resolve_place(tree, form.cleaned_data["place"])
    fields = form.reply_fields()
    active = form.cleaned_data["is_active"]
    if reply is None:
        saved = actions.do_create_reply(member, library, fields, category, is_active=active)
        messages.success(request, _("“%(title)s” was created.") % {"title": saved.title})
    else:
        changes = {**fields, "library": library, "category": category, "is_active": active}
        saved = actions.do_edit_reply(member, reply, form.cleaned_data["version"], changes)
        if saved.version == reply.version:
            messages.info(request, _("Nothing changed."))
        else:
            messages.success(request, _("“%(title)s” was saved (version %(v)d).")
                             % {"title": saved.title, "v": saved.version})
    target = reverse("replies:library") + "?" + urlencode(
        {"lib": saved.library_id, **({"cat": saved.category_id} if saved.category_id else {})})
    return redirect(f"{target}#reply-{saved.id}")


def _as_text(fields: dict[str, Any]) -> dict[str, str]:
    """Reply fields as the strings the conflict view compares (lists one per line or 、)."""
    return {"title": fields.get("title", ""), "body": fields.get("body", ""),
            "shortcut": fields.get("shortcut", ""),
            "tags": "、".join(fields.get("tags", [])),
            "questions": "\n".join(fields.get("questions", []))}


def _conflict(request: HttpRequest, member: Member, tree: list[LibraryNode], reply: Reply,
              form: ReplyForm, exc: Conflict) -> HttpResponse:
    current = access_reply_by_id(member, reply.id)
    latest = current.revisions.select_related("author__user").first()
    # Cleaned the way the action would clean them, so only real differences show.
    mine, _problems = clean_reply_fields(form.reply_fields())
    data = request.POST.copy()
    data["version"] = str(current.version)  # saving again now means "mine, having seen theirs"
    rebased = ReplyForm(data, places=place_choices(tree), editing=True)
    rebased.is_valid()
    theirs, yours = _as_text(current.content()), _as_text(mine)
    author = ""
    if latest is not None:
        author = latest.author.name if latest.author else latest.author_label
    return _page(request, member, rebased, current, status=409,
                 conflict={"message": exc.message, "current": current, "theirs": theirs,
                           "mine": yours, "author": author,
                           "saved_at": latest.created_at if latest else current.updated_at,
                           "diffs": field_diffs(theirs, yours)})


def _handle(request: HttpRequest, member: Member, reply: Reply | None) -> HttpResponse:
    tree = library_tree(member)
    places = place_choices(tree)
    if not places:
        raise Forbidden(_("You cannot add replies to any library."))
    if request.method != "POST":
        initial = _initial(reply) if reply else {"place": _initial_place(request, tree),
                                                 "is_active": True}
        form = ReplyForm(initial=initial, places=places, editing=reply is not None)
        return _page(request, member, form, reply)
    form = ReplyForm(request.POST, places=places, editing=reply is not None)
    if form.is_valid():
        try:
            return _save(request, member, form, tree, reply)
        except Conflict as exc:
            assert reply is not None
            return _conflict(request, member, tree, reply, form, exc)
        except Forbidden:
            raise
        except KefuError as exc:
            field_error(form, exc, {"category_id": "place", "library_id": "place"})
    return _page(request, member, form, reply, status=FORM_ERROR_STATUS)


@member_page()
def reply_new(request: HttpRequest, member: Member) -> HttpResponse:
    return _handle(request, member, None)


@member_page()
def reply_edit(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = access_reply_by_id(member, reply_id)
    require_manage(member, reply.library)
    return _handle(request, member, reply)


# --- images (without JavaScript; library.js uses the API) ------------------------------

def _edit_url(reply: Reply) -> str:
    return reverse("replies:reply_edit", args=[reply.id]) + "#images"


def _managed_reply(member: Member, reply_id: int) -> Reply:
    reply = access_reply_by_id(member, reply_id)
    require_manage(member, reply.library)
    return reply


@member_page()
def reply_image_add(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = _managed_reply(member, reply_id)
    if request.method != "POST":
        return redirect(_edit_url(reply))
    upload = request.FILES.get("file")
    if upload is None:
        error = _("Choose an image to upload.")
    else:
        try:
            image = actions.do_add_image(member, reply, upload)
        except Forbidden:
            raise
        except KefuError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("Image “%(name)s” was added.") % {"name": image.name})
            return redirect(_edit_url(reply))
    # The editor again, with the reason next to the upload form.
    reply = _managed_reply(member, reply_id)
    form = ReplyForm(initial=_initial(reply), places=place_choices(library_tree(member)),
                     editing=True)
    return _page(request, member, form, reply, status=FORM_ERROR_STATUS, image_error=error)


@member_page()
def reply_image_remove(request: HttpRequest, member: Member, reply_id: int,
                       image_id: int) -> HttpResponse:
    reply = _managed_reply(member, reply_id)
    image = next((i for i in reply.images.all() if i.id == image_id), None)
    if image is None:
        raise Http404
    if request.method == "POST":
        actions.do_remove_image(member, image)
        messages.success(request, _("Image “%(name)s” was removed.") % {"name": image.name})
        return redirect(_edit_url(reply))
    return render(request, "replies/image_remove.html", {"reply": reply, "image": image})
