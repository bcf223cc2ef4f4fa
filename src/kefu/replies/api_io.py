"""Import and export endpoints of the reply library.

Import is stateless: the first call (``dry_run``, the default) checks the uploaded file and
answers the report and a ``plan_token``; the second call uploads the same file with
``apply=true`` (and, to insist on the previewed plan, that token). The file is checked again
before anything is written, so nothing has to be kept between the two calls.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from kefu.core.errors import Conflict, KefuError
from kefu.core.models import Member
from kefu.replies.io.apply import apply_plan
from kefu.replies.io.export import export_rows
from kefu.replies.io.formats import CONTENT_TYPES, write_rows
from kefu.replies.io.plan import plan_import
from kefu.replies.io.scopes import libraries_for_export, parse_scope

router = Router(tags=["replies: import and export"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def me(request: HttpRequest) -> Member:
    return request.auth  # type: ignore[attr-defined]


class ProblemOut(Schema):
    row: int | None = Field(description="Row as the user sees it (header = row 1); null for "
                                         "the whole file")
    column: str = Field(description="The column as the file names it")
    message: str


class PlanRowOut(Schema):
    row: int
    action: Literal["create", "update", "unchanged", "invalid"]
    key: str
    title: str
    reply_id: int | None


class SummaryOut(Schema):
    rows: int
    create: int
    update: int
    unchanged: int
    invalid: int
    problems: int


class ImportLibraryOut(Schema):
    id: int
    scope: str
    department_id: int | None
    owner_id: int | None
    label: str


class ImportOut(Schema):
    ok: bool = Field(description="True when the file has no problems")
    applied: bool = Field(description="True when the replies were written")
    detail: str | None = None
    format: str
    file: str
    library: ImportLibraryOut
    summary: SummaryOut
    problems: list[ProblemOut]
    unknown_columns: list[str] = Field(description="Headers the importer ignores")
    rows: list[PlanRowOut]
    plan_token: str = Field(description="Send it back with apply=true to insist that the "
                                        "same plan is applied (409 otherwise)")


class ExportQuery(Schema):
    format: Literal["xlsx", "csv", "jsonl"] = "xlsx"
    scope: str | None = Field(None, description="company, department:NAME or personal; "
                                                "omitted: everything you may see")
    english_headers: bool = False


@router.post(
    "/replies/import", response={200: ImportOut, 400: ImportOut},
    summary="Check (dry_run, the default) or apply a reply spreadsheet (.xlsx, .csv, .jsonl)",
    description="Columns: 编号/key, 一级分类/category1, 二级分类/category2, 标题/title, "
                "内容/body, 快捷码/shortcut, 标签/tags, 相似问法/questions. Rows whose key "
                "matches a reply of the target library update it; the others create. All or "
                "nothing: with any problem, nothing is written (400 with the report).")
def import_replies(request: HttpRequest, file: File[UploadedFile],
                   scope: Form[str] = "company", dry_run: Form[bool] = True,
                   apply: Form[bool] = False, plan_token: Form[str] = "") -> Status[Any]:
    m = me(request)
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise KefuError(_("The file is larger than %(mb)d MB; split it into smaller files.")
                        % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}, field="file")
    plan = plan_import(m.organization, file.read(), file.name or "", scope, m)
    report = {**plan.report(), "applied": False}
    if not (apply or not dry_run):
        return Status(200, report)
    if not plan.ok:
        return Status(400, {**report,
                            "detail": _("The file has problems; nothing was imported.")})
    if plan_token and plan_token != plan.token:
        raise Conflict(_("The file or the library changed since the check; check the file "
                         "again."), plan_token=plan.token)
    apply_plan(plan, m)
    return Status(200, {**report, "applied": True})


@router.get(
    "/replies/export", response={200: None},
    summary="Download replies as .xlsx, .csv (UTF-8 with BOM) or .jsonl",
    description="The columns the import reads; Chinese headers unless english_headers.",
    openapi_extra={"responses": {200: {"description": "The file", "content": {
        ctype.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
        for ctype in CONTENT_TYPES.values()}}}})
def export_replies(request: HttpRequest, q: Query[ExportQuery]) -> HttpResponse:
    m = me(request)
    ref = parse_scope(q.scope) if q.scope else None
    rows = export_rows(libraries_for_export(m.organization, ref, m))
    name = f"{m.organization.slug}-replies-{timezone.localdate().isoformat()}.{q.format}"
    response = HttpResponse(write_rows(rows, q.format, q.english_headers),
                            content_type=CONTENT_TYPES[q.format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
