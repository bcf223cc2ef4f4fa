"""Category management from the library page: create, rename, delete (asking where the
replies go), and the no-JavaScript fallback of moving one place up or down."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import KefuError
from kefu.core.models import Member
from kefu.core.views.common import form_page, member_page
from kefu.replies import actions
from kefu.replies.access import access_category_by_id, access_library_by_id, require_manage
from kefu.replies.forms import CategoryDeleteForm, CategoryForm, CategoryRenameForm
from kefu.replies.models import Category, Reply
from kefu.replies.views.common import safe_next
from kefu.replies.views.library import _swap


def _library_url(library_id: int, category_id: int | None = None) -> str:
    query = {"lib": library_id, **({"cat": category_id} if category_id else {})}
    return reverse("replies:library") + "?" + urlencode(query)


@member_page()
@require_POST
def category_create(request: HttpRequest, member: Member) -> HttpResponse:
    try:
        library_id = int(request.POST.get("library", ""))
    except ValueError:
        raise KefuError(_("Choose a library.")) from None
    library = access_library_by_id(member, library_id)
    require_manage(member, library)
    parents = list(Category.objects.filter(library=library, parent__isnull=True)
                   .values_list("id", "name"))
    form = CategoryForm(request.POST, parents=parents)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(safe_next(request, _library_url(library.id)))
    parent = None
    if form.cleaned_data["parent"]:
        parent = access_category_by_id(member, form.cleaned_data["parent"])
    try:
        cat = actions.do_create_category(member, library, form.cleaned_data["name"], parent)
    except KefuError as exc:
        messages.error(request, str(exc.message))
        return redirect(safe_next(request, _library_url(library.id)))
    messages.success(request, _("Category %(name)s was created.") % {"name": cat.name})
    return redirect(_library_url(library.id, cat.id))


@member_page()
@require_POST
def category_rename(request: HttpRequest, member: Member, category_id: int) -> HttpResponse:
    cat = access_category_by_id(member, category_id)
    require_manage(member, cat.library)
    form = CategoryRenameForm(request.POST)
    if form.is_valid():
        old = cat.name
        try:
            actions.do_update_category(member, cat, name=form.cleaned_data["name"])
        except KefuError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Category %(old)s is now called %(new)s.")
                             % {"old": old, "new": cat.name})
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(_library_url(cat.library_id, cat.id))


def _move_targets(cat: Category) -> list[tuple[str, str]]:
    """Categories of the same library outside the one being deleted, in tree order."""
    others = list(Category.objects.filter(library_id=cat.library_id)
                  .exclude(pk=cat.pk).exclude(parent_id=cat.pk).order_by("position", "id"))
    out = []
    for top in (c for c in others if c.parent_id is None):
        out.append((str(top.id), top.name))
        out.extend((str(kid.id), f"{top.name} / {kid.name}")
                   for kid in others if kid.parent_id == top.id)
    return out


@member_page()
def category_delete(request: HttpRequest, member: Member, category_id: int) -> HttpResponse:
    cat = access_category_by_id(member, category_id)
    require_manage(member, cat.library)
    live = Reply.objects.filter(library_id=cat.library_id, deleted_at__isnull=True).filter(
        category__in=[cat.id, *cat.children.values_list("id", flat=True)]).count()
    targets = _move_targets(cat)
    form = CategoryDeleteForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["move_to"]
        move_to: Category | bool | None = False
        if raw == "0":
            move_to = None
        elif raw:
            move_to = access_category_by_id(member, int(raw))
        name = cat.name
        try:
            actions.do_delete_category(member, cat, move_to)
        except KefuError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Category %(name)s was deleted.") % {"name": name})
            return redirect(_library_url(cat.library_id))
    context = {"category": cat, "live": live, "form": form,
               "children": list(cat.children.all()),
               "back": _library_url(cat.library_id, cat.id)}
    if request.method == "POST":
        return form_page(request, "replies/category_delete.html", context)
    return render(request, "replies/category_delete.html", context)


@member_page()
@require_POST
def category_move(request: HttpRequest, member: Member, category_id: int) -> HttpResponse:
    """One place up or down among its siblings (fallback for the page's script)."""
    cat = access_category_by_id(member, category_id)
    require_manage(member, cat.library)
    ids = list(Category.objects.filter(library_id=cat.library_id, parent_id=cat.parent_id)
               .order_by("position", "id").values_list("id", flat=True))
    order = _swap(ids, cat.id, request.POST.get("direction", ""))
    if order is not None:
        actions.do_reorder_categories(member, cat.library, cat.parent, order)
    return redirect(safe_next(request, _library_url(cat.library_id, cat.id)))
