"""Reading reply files the way shops save them: Excel, CSV in UTF-8 (with or without BOM) or
GBK/GB18030, JSON lines; Chinese or English headers. Files are real files under tmp_path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from kefu.replies.io.formats import read_file, write_rows

HEADER_ZH = ["编号", "一级分类", "二级分类", "标题", "内容", "快捷码", "标签", "相似问法"]
HEADER_EN = ["key", "category1", "category2", "title", "body", "shortcut", "tags", "questions"]
ROW = ["K-001", "发货物流", "发货时间", "几天发货", "亲，付款后48小时内发货哦~", "/fh",
       "发货，物流、时效", "什么时候发货\n几天能发"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are asserted in the source language; the Chinese catalogue translates them.
    with translation.override("en"):
        yield


def csv_text(rows: list[list[str]]) -> str:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def parse(path: Path):  # type: ignore[no-untyped-def]
    return read_file(path.read_bytes(), path.name)


def assert_the_row(parsed) -> None:  # type: ignore[no-untyped-def]
    assert parsed.problems == []
    assert len(parsed.rows) == 1
    row = parsed.rows[0]
    assert row.line == 2
    assert row.values["key"] == "K-001"
    assert row.values["category1"] == "发货物流"
    assert row.values["title"] == "几天发货"
    assert row.values["questions"] == "什么时候发货\n几天能发"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(tmp_path: Path, encoding: str):
    # Given the same sheet saved by Excel as "CSV UTF-8" or as plain Chinese CSV (GBK)
    path = tmp_path / "话术.csv"
    path.write_bytes(csv_text([HEADER_ZH, ROW]).encode(encoding))

    # When it is read, then the columns and the multi-line cell come through intact
    parsed = parse(path)
    assert parsed.format == "csv"
    assert_the_row(parsed)
    assert parsed.rows[0].columns["title"] == "标题"  # no BOM glued to the first header


def test_gb18030_only_characters_are_read(tmp_path: Path):
    # 𠮷 (U+20BB7) is not in GBK; GB18030 encodes it in four bytes.
    path = tmp_path / "rare.csv"
    path.write_bytes(csv_text([["标题", "内容"], ["𠮷野家", "亲，𠮷野家联名款~"]])
                     .encode("gb18030"))
    parsed = parse(path)
    assert parsed.problems == []
    assert parsed.rows[0].values == {"title": "𠮷野家", "body": "亲，𠮷野家联名款~"}


def test_xlsx_is_read_with_numbers_as_text(tmp_path: Path):
    # Given a workbook where Excel stored the 编号 as a number
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER_ZH)
    sheet.append([1001, *ROW[1:]])
    sheet.append([None] * 8)  # formatted empty rows at the end are not replies
    path = tmp_path / "话术.xlsx"
    book.save(path)

    parsed = parse(path)

    assert parsed.problems == []
    assert [r.values["key"] for r in parsed.rows] == ["1001"]
    assert parsed.rows[0].values["tags"] == "发货，物流、时效"


def test_english_headers_and_unknown_columns(tmp_path: Path):
    path = tmp_path / "en.csv"
    path.write_text(csv_text([[*HEADER_EN, "备注"], [*ROW, "内部用"]]), encoding="utf-8")

    parsed = parse(path)

    assert_the_row(parsed)
    assert parsed.unknown_columns == ["备注"]


@pytest.mark.parametrize(("header", "missing"), [
    (["编号", "标题"], "内容/body"), (["key", "body", "tags"], "标题/title")])
def test_a_missing_required_column_is_a_file_level_problem(tmp_path: Path, header: list[str],
                                                           missing: str):
    path = tmp_path / "bad.csv"
    path.write_text(csv_text([header, ["x"] * len(header)]), encoding="utf-8")

    parsed = parse(path)

    assert parsed.fatal
    assert [(p.row, p.column) for p in parsed.problems] == [(None, "")]
    assert missing in parsed.problems[0].message
    assert parsed.rows == []


def test_jsonl_takes_the_category_as_a_path_or_a_list(tmp_path: Path):
    path = tmp_path / "library.jsonl"
    lines = [
        {"key": "a", "title": "包邮吗", "body": "亲，全场包邮哦", "category": "售前咨询/运费"},
        {"key": "b", "title": "退款多久到", "body": "亲，1-3个工作日到账",
         "category": ["退款", "到账时间"], "tags": ["退款"], "questions": ["钱什么时候退"]},
        {"key": "c", "title": "在吗", "body": "在的亲~"},
    ]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n",
                    encoding="utf-8")

    parsed = parse(path)

    assert parsed.problems == []
    assert [r.line for r in parsed.rows] == [1, 2, 3]
    assert parsed.rows[0].values["category"] == "售前咨询/运费"
    assert parsed.rows[1].values["category"] == ["退款", "到账时间"]
    assert "category" not in parsed.rows[2].values


def test_jsonl_names_lines_that_are_not_json_objects(tmp_path: Path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"title": "a", "body": "b"}\n{not json\n[1, 2]\n', encoding="utf-8")

    parsed = parse(path)

    assert [(p.row, p.message) for p in parsed.problems] == [
        (2, "This line is not valid JSON."), (3, "Each line must be a JSON object.")]


@pytest.mark.parametrize(("name", "fragment"), [("old.xls", ".xlsx"), ("notes.txt", ".jsonl")])
def test_unsupported_files_are_refused_with_advice(tmp_path: Path, name: str, fragment: str):
    parsed = read_file(b"whatever", name)
    assert parsed.fatal
    assert fragment in parsed.problems[0].message


def test_a_corrupt_workbook_is_a_file_level_problem():
    parsed = read_file(b"PK\x03\x04 not really a zip", "x.xlsx")
    assert parsed.fatal
    assert "Excel" in parsed.problems[0].message


def test_written_xlsx_keeps_text_that_looks_like_a_formula(tmp_path: Path):
    # A body starting with = must come back as the same text, not as a formula Excel runs.
    rows = [{"key": "f", "title": "=算一下", "body": "=SUM(1,2) 亲", "category": ["a"],
             "shortcut": "", "tags": [], "questions": []}]
    path = tmp_path / "out.xlsx"
    path.write_bytes(write_rows(rows, "xlsx"))

    sheet = load_workbook(path).worksheets[0]
    assert sheet["D2"].data_type == "s"
    assert sheet["E2"].value == "=SUM(1,2) 亲"
    assert parse(path).rows[0].values["body"] == "=SUM(1,2) 亲"


def test_written_csv_has_a_bom_so_excel_reads_utf8(tmp_path: Path):
    data = write_rows([{"title": "标题", "body": "内容"}], "csv", english=True)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER_EN)


def test_two_columns_for_the_same_field_are_a_file_level_problem(tmp_path: Path):
    path = tmp_path / "twice.csv"
    path.write_text(csv_text([["标题", "内容", "title"], ["a", "b", "c"]]), encoding="utf-8")
    parsed = parse(path)
    assert parsed.fatal
    assert [p.message for p in parsed.problems] == [
        "The columns 标题 and title hold the same field; keep one of them."]
