"""The import wizard: upload a spreadsheet and choose the library, read the validation report
(row, column, reason; how many replies would be created, updated or left unchanged), then
apply. Export links for every library sit on the same page.

The checked upload waits in the data directory (which every app node shares already, for
reply images) under a random name recorded in the user's session, so "apply" writes exactly
the file that was checked without asking the user to pick it again. Apply re-reads and
re-checks it, and refuses when the plan differs from the one the user saw (plan token).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kefu.core.errors import Conflict, KefuError
from kefu.core.models import Member
from kefu.core.views.common import FORM_ERROR_STATUS, member_page
from kefu.replies.forms import ImportForm
from kefu.replies.io.apply import apply_plan
from kefu.replies.io.plan import ImportPlan, plan_import
from kefu.replies.views.common import LibraryNode, export_links, library_tree, scope_of

SESSION_KEY = "kefu_import"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
KEEP_SECONDS = 24 * 3600
ROWS_SHOWN = 200


def _upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    """Forget uploads nobody applied within a day."""
    horizon = time.time() - KEEP_SECONDS
    for old in folder.glob("*.upload"):
        try:
            if old.stat().st_mtime < horizon:
                old.unlink()
        except OSError:
            pass


def _stash(request: HttpRequest, data: bytes, name: str, scope: str) -> str:
    folder = _upload_dir()
    _sweep(folder)
    token = secrets.token_hex(16)
    (folder / f"{token}.upload").write_bytes(data)
    previous = request.session.get(SESSION_KEY)
    if previous:
        _discard(previous)
    request.session[SESSION_KEY] = {"id": token, "name": name, "scope": scope}
    return token


def _discard(stash: dict[str, Any]) -> None:
    (_upload_dir() / f"{stash.get('id', 'none')}.upload").unlink(missing_ok=True)


def _stashed(request: HttpRequest, upload_id: str) -> tuple[dict[str, Any], bytes] | None:
    stash = request.session.get(SESSION_KEY)
    if not stash or stash.get("id") != upload_id or not upload_id.isalnum():
        return None
    try:
        return stash, (_upload_dir() / f"{upload_id}.upload").read_bytes()
    except OSError:
        return None


def _context(member: Member, form: ImportForm, tree: list[LibraryNode],
             plan: ImportPlan | None = None, upload_id: str = "") -> dict[str, Any]:
    exports = [{"label": node.label, "links": export_links(scope_of(node))} for node in tree]
    context: dict[str, Any] = {"form": form, "exports": exports,
                               "export_all": export_links(None), "plan": plan,
                               "upload_id": upload_id}
    if plan is not None:
        context.update(summary=plan.summary(), problems=plan.problems,
                       rows=plan.rows[:ROWS_SHOWN], more_rows=max(0, len(plan.rows) - ROWS_SHOWN),
                       unknown_columns=plan.parsed.unknown_columns,
                       token=plan.token, library_label=next(
                           (n.label for n in tree if n.id == plan.library.id),
                           plan.library.label))
    return context


@member_page()
def import_wizard(request: HttpRequest, member: Member) -> HttpResponse:
    tree = library_tree(member)
    choices = [(scope_of(n), n.label) for n in tree if n.manage]
    if request.method != "POST":
        form = ImportForm(libraries=choices)
        return render(request, "replies/import.html", _context(member, form, tree))
    if request.POST.get("step") == "apply":
        return _apply(request, member, tree, choices)
    form = ImportForm(request.POST, request.FILES, libraries=choices)
    if not form.is_valid():
        return render(request, "replies/import.html", _context(member, form, tree),
                      status=FORM_ERROR_STATUS)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", _("The file is larger than %(mb)d MB; split it into smaller "
                                 "files.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
        return render(request, "replies/import.html", _context(member, form, tree),
                      status=FORM_ERROR_STATUS)
    data, name, scope = upload.read(), upload.name or "", form.cleaned_data["library"]
    plan = plan_import(member.organization, data, name, scope, member)
    upload_id = _stash(request, data, name, scope) if plan.ok else ""
    return render(request, "replies/import.html",
                  _context(member, form, tree, plan, upload_id),
                  status=200 if plan.ok else FORM_ERROR_STATUS)


def _apply(request: HttpRequest, member: Member, tree: list[LibraryNode],
           choices: list[tuple[str, str]]) -> HttpResponse:
    upload_id = request.POST.get("upload", "")
    found = _stashed(request, upload_id)
    form = ImportForm(libraries=choices)
    if found is None:
        messages.error(request, _("The checked file is no longer here; upload it again."))
        return redirect("replies:import")
    stash, data = found
    plan = plan_import(member.organization, data, stash["name"], stash["scope"], member)
    form = ImportForm(initial={"library": stash["scope"]}, libraries=choices)
    if not plan.ok or plan.token != request.POST.get("token"):
        messages.error(request, _("The library changed since the file was checked. Here is "
                                  "the new report; check it and apply again."))
        return render(request, "replies/import.html",
                      _context(member, form, tree, plan, upload_id if plan.ok else ""),
                      status=409)
    try:
        result = apply_plan(plan, member)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect("replies:import")
    except KefuError as exc:
        messages.error(request, str(exc.message))
        return redirect("replies:import")
    _discard(stash)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("Imported %(file)s: %(created)d created, %(updated)d updated, "
                                "%(unchanged)d unchanged.")
                     % {"file": stash["name"], "created": result.created,
                        "updated": result.updated, "unchanged": result.unchanged})
    return redirect(reverse("replies:library") + "?" + urlencode({"lib": result.library.id}))
