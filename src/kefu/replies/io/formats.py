"""Reading and writing reply spreadsheets: .xlsx, .csv and .jsonl, Chinese or English headers.

Readers turn a file into :class:`SourceRow` s keyed by canonical field names and remember the
header each value came from, so a report can name the column as the user's file names it.
Rows are numbered as the user sees them: in a spreadsheet the header is row 1 and the first
reply row 2; in JSONL a row is its line number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

FORMATS = ("xlsx", "csv", "jsonl")
MAX_ROWS = 20_000

# Canonical fields in export column order; "category" (一级/二级 in one cell) is read only.
COLUMNS = ("key", "category1", "category2", "title", "body", "shortcut", "tags", "questions")
REQUIRED = ("title", "body")
CHINESE_HEADERS = {
    "key": "编号", "category1": "一级分类", "category2": "二级分类", "title": "标题",
    "body": "内容", "shortcut": "快捷码", "tags": "标签", "questions": "相似问法",
}
_ALIASES = {
    "key": ("编号", "key", "外部编号", "id"),
    "category1": ("一级分类", "category1", "一级"),
    "category2": ("二级分类", "category2", "二级"),
    "category": ("分类", "category"),
    "title": ("标题", "title"),
    "body": ("内容", "body", "回复内容", "话术"),
    "shortcut": ("快捷码", "shortcut", "快捷短语"),
    "tags": ("标签", "tags"),
    "questions": ("相似问法", "questions", "相似问题"),
}
HEADER_TO_FIELD = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
# Exported lists: tags joined by 、 and questions one per line, as shops type them.
TAG_JOINER = "、"
QUESTION_JOINER = "\n"

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}


@dataclass
class Problem:
    """One thing wrong with the file (``row`` None) or with one cell of it."""

    row: int | None
    column: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class SourceRow:
    line: int  # as the user sees it: spreadsheet row (header = 1) or JSONL line
    values: dict[str, Any]  # canonical field -> raw value
    columns: dict[str, str]  # canonical field -> header (or JSON key) in the user's file

    def column(self, name: str) -> str:
        return self.columns.get(name, CHINESE_HEADERS.get(name, name))


@dataclass
class ParsedFile:
    format: str
    name: str = ""
    digest: str = ""
    rows: list[SourceRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    fatal: bool = False  # a file-level problem: rows were not (all) read

    def fail(self, message: str) -> ParsedFile:
        self.problems.append(Problem(None, "", message))
        self.fatal = True
        return self


def normalize_header(header: Any) -> str:
    text = re.sub(r"\s+", "", str(header or "")).lstrip("\ufeff").strip("*＊").lower()
    # "标题（必填）" and "title (required)" name the title column too.
    return re.sub(r"[（(][^()（）]*[)）]$", "", text)


@lru_cache(maxsize=256)
def field_of(header: str) -> str | None:
    """The canonical field a header (or JSON key) names, or None."""
    return HEADER_TO_FIELD.get(normalize_header(header))


def format_of(filename: str) -> str | None:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return {"xlsx": "xlsx", "csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl"}.get(ext)


def read_file(data: bytes, filename: str) -> ParsedFile:
    """Parse an uploaded or local file; problems are collected, never raised."""
    fmt = format_of(filename) or ""
    parsed = ParsedFile(fmt, filename, hashlib.sha256(data).hexdigest())
    if fmt == "xlsx":
        _read_xlsx(data, parsed)
    elif fmt == "csv":
        _read_csv(data, parsed)
    elif fmt == "jsonl":
        _read_jsonl(data, parsed)
    elif filename.lower().endswith(".xls"):
        parsed.fail(_("Old .xls workbooks cannot be read: save the file as .xlsx (Excel "
                      "workbook) or .csv and try again."))
    else:
        parsed.fail(_("Unsupported file type: use .xlsx, .csv or .jsonl."))
    if len(parsed.rows) > MAX_ROWS:
        parsed.rows = []
        parsed.fail(_("The file has more than %(n)d rows; split it into smaller files.")
                    % {"n": MAX_ROWS})
    return parsed


# --- tables (xlsx, csv) ----------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores the 编号 1001 as 1001.0
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _read_table(records: Iterable[list[Any]], parsed: ParsedFile) -> None:
    """Map the header row to fields, then read every non-blank row below it."""
    it = iter(records)
    header = next(it, None)
    if header is None or not any(_cell_text(c).strip() for c in header):
        parsed.fail(_("The file is empty: the first row must name the columns."))
        return
    fields: dict[int, str] = {}
    columns: dict[str, str] = {}
    for index, raw in enumerate(header):
        shown = _cell_text(raw).strip().lstrip("\ufeff")
        if not shown:
            continue
        name = field_of(shown)
        if name is None:
            parsed.unknown_columns.append(shown)
        elif name in columns:
            parsed.fail(_("The columns %(a)s and %(b)s hold the same field; keep one of "
                          "them.") % {"a": columns[name], "b": shown})
        else:
            fields[index] = name
            columns[name] = shown
    if "category" in columns and ("category1" in columns or "category2" in columns):
        parsed.fail(_("Use either one category column (一级/二级) or the two columns "
                      "一级分类 and 二级分类, not both."))
    if "category2" in columns and "category1" not in columns:
        parsed.fail(_("The file has a second-level category column but no first-level "
                      "category column (一级分类)."))
    for name in REQUIRED:
        if name not in columns:
            parsed.fail(_("The file has no %(column)s column; the first row must name the "
                          "columns, e.g. 标题 and 内容.")
                        % {"column": f"{CHINESE_HEADERS[name]}/{name}"})
    if parsed.fatal:
        return
    for line, record in enumerate(it, start=2):
        values = {name: _cell_text(record[i]) if i < len(record) else ""
                  for i, name in fields.items()}
        if not any(v.strip() for v in values.values()):
            continue  # blank rows (Excel keeps formatted empty rows) are not replies
        parsed.rows.append(SourceRow(line, values, columns))
        if len(parsed.rows) > MAX_ROWS:
            return


def _read_xlsx(data: bytes, parsed: ParsedFile) -> None:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        parsed.fail(_("The file could not be read as an Excel workbook (.xlsx)."))
        return
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            parsed.fail(_("The workbook has no sheet."))
            return
        _read_table((list(r) for r in sheet.iter_rows(values_only=True)), parsed)
    finally:
        book.close()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, which covers GBK as Chinese Excel saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_csv(data: bytes, parsed: ParsedFile) -> None:
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        parsed.fail(_("The file is neither UTF-8 nor GBK/GB18030 text; save it from Excel "
                      "as CSV UTF-8."))
        return
    try:
        _read_table(csv.reader(io.StringIO(text, newline="")), parsed)
    except csv.Error as exc:
        parsed.fail(_("The CSV file is malformed: %(error)s") % {"error": exc})


# --- JSON lines ------------------------------------------------------------------------

def _read_jsonl(data: bytes, parsed: ParsedFile) -> None:
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        parsed.fail(_("The file is not UTF-8 text."))
        return
    unknown: dict[str, None] = {}
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            parsed.problems.append(Problem(line, "", _("This line is not valid JSON.")))
            continue
        if not isinstance(obj, dict):
            parsed.problems.append(Problem(line, "", _("Each line must be a JSON object.")))
            continue
        values: dict[str, Any] = {}
        columns: dict[str, str] = {}
        for key, value in obj.items():
            name = field_of(str(key))
            if name is None:
                unknown[str(key)] = None
                continue
            values[name] = value
            columns[name] = str(key)
        for name in REQUIRED:
            if name not in values:  # reported by validation as "required"
                values[name] = ""
                columns[name] = name
        parsed.rows.append(SourceRow(line, values, columns))
        if len(parsed.rows) > MAX_ROWS:
            break
    parsed.unknown_columns = list(unknown)


# --- writers ---------------------------------------------------------------------------

def headers(english: bool) -> list[str]:
    return list(COLUMNS) if english else [CHINESE_HEADERS[c] for c in COLUMNS]


def _table_cells(row: dict[str, Any]) -> list[str]:
    path = list(row.get("category") or [])
    cells = {
        "key": row.get("key", ""), "category1": path[0] if path else "",
        "category2": path[1] if len(path) > 1 else "", "title": row["title"],
        "body": row["body"], "shortcut": row.get("shortcut", ""),
        "tags": TAG_JOINER.join(row.get("tags") or []),
        "questions": QUESTION_JOINER.join(row.get("questions") or []),
    }
    return [cells[c] for c in COLUMNS]


def iter_jsonl(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps({
            "key": row.get("key", ""), "title": row["title"], "body": row["body"],
            "category": list(row.get("category") or []), "shortcut": row.get("shortcut", ""),
            "tags": list(row.get("tags") or []), "questions": list(row.get("questions") or []),
        }, ensure_ascii=False) + "\n"


def write_rows(rows: Iterable[dict[str, Any]], fmt: str, english: bool = False) -> bytes:
    """Rows as dicts (key, title, body, category [list], shortcut, tags, questions)."""
    if fmt == "jsonl":
        return "".join(iter_jsonl(rows)).encode()
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headers(english))
        writer.writerows(_table_cells(r) for r in rows)
        return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Replies"))
        sheet.append(headers(english))
        for r in rows:
            cells = []
            for text in _table_cells(r):
                cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
                cell.data_type = "s"  # text stays text: a body starting with = is no formula
                cells.append(cell)
            sheet.append(cells)
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}")
