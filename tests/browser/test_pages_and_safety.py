"""The supervisor's pages in the browser (import wizard), reply text that looks like markup,
and accessibility basics of the panel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.browser.conftest import WIDE, OpenPanel, Shop, search, titles, unique

pytestmark = pytest.mark.browser


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "一级分类", "二级分类", "标题", "内容", "快捷码"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_the_import_wizard_imports_an_excel_file_and_open_panels_see_it(
        open_panel: OpenPanel, shop: Shop, tmp_path: Path):
    # Given an agent searching for replies that do not exist yet
    word = unique()
    agent = open_panel()
    search(agent, word)
    assert titles(agent) == []

    # When a supervisor uploads a spreadsheet, reads the report and applies it
    sheet = write_xlsx(tmp_path / "话术.xlsx", [
        [f"{word}-1", "导入测试", "发货", f"{word} 发货时间", "付款后48小时内发货哦", ""],
        [f"{word}-2", "导入测试", "发货", f"{word} 包邮说明", "全场包邮，偏远地区除外", ""],
        [f"{word}-3", "导入测试", "", f"{word} 退换说明", "支持七天无理由退换", ""],
    ])
    supervisor = open_panel(user="zhuguan", viewport=WIDE, path="/library/import/")
    supervisor.set_input_files("input[name=file]", str(sheet))
    supervisor.click("button:has-text('检查文件')")
    expect(supervisor.locator("form.apply button[type=submit]")).to_contain_text("3")
    supervisor.click("form.apply button[type=submit]")
    supervisor.wait_for_url("**/library/?lib=*")
    expect(supervisor.locator(".messages")).to_contain_text("话术.xlsx")

    # Then the replies are in the library, and the agent's open panel lists them
    found = shop.api("zhuguan").get("/api/v1/replies", params={"q": word}).json()
    assert sorted(r["key"] for r in found["items"]) == [f"{word}-1", f"{word}-2", f"{word}-3"]
    expect(agent.locator("[data-list] li.item")).to_have_count(3, timeout=2000)
    # and the new categories are in its browse tree
    agent.keyboard.press("Alt+B")
    expect(agent.locator(".tree")).to_contain_text("导入测试")


PAYLOAD_TITLE = "<img src=x onerror=\"window.__pwned='title'\">标题"
PAYLOAD_BODY = ("<script>window.__pwned='script'</script>"
                "<img src=x onerror=\"window.__pwned='body'\"> 亲，{买家昵称}")


def test_a_reply_that_contains_markup_shows_as_text_and_runs_nothing(
        open_panel: OpenPanel, shop: Shop):
    # Given a reply whose title and text are markup with scripts
    word = unique()
    reply = shop.add_reply(f"{word} {PAYLOAD_TITLE}", PAYLOAD_BODY)
    page = open_panel()
    page.fill("#conv-1", "<b>买家</b>")

    # When it is searched, selected, browsed and copied
    search(page, word)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('[data-toast]').textContent.startsWith('已复制')")
    page.keyboard.press("Escape")  # home: recently used, drawn from the live copy
    page.wait_for_function("document.querySelector('[data-list]').dataset.query === ''")

    # Then the markup is shown as text, no element came from it, nothing ran
    row = page.locator(f"[data-list] li.item[data-id='{reply['id']}']")
    assert row.locator(".title").inner_text() == f"{word} {PAYLOAD_TITLE}"
    assert PAYLOAD_BODY.split(" 亲")[0] in row.locator(".body").inner_text()
    assert row.locator("img, script").count() == 0
    assert "<b>买家</b>" in page.evaluate("navigator.clipboard.readText()")
    # and the library page escapes it too
    library = open_panel(user="zhuguan", viewport=WIDE, path=f"/library/?q={word}")
    expect(library.locator("table.replies")).to_contain_text("window.__pwned")
    for shown in (page, library):
        shown.wait_for_timeout(200)  # an onerror would have fired by now
        assert shown.evaluate("window.__pwned") is None


def accessible_name_missing(page: Any) -> list[str]:
    """Form controls and buttons of the page with no accessible name."""
    return list(page.evaluate("""() => {
        const named = (el) => (el.labels && el.labels.length) || el.getAttribute('aria-label')
            || el.getAttribute('aria-labelledby') || el.title
            || (el.tagName === 'BUTTON' && el.textContent.trim());
        return [...document.querySelectorAll('input:not([type=hidden]), textarea, select, button')]
            .filter((el) => el.offsetParent !== null || el.closest('[hidden]') === null)
            .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 80));
    }"""))


def test_every_control_of_the_panel_is_labelled_and_focus_is_visible(
        open_panel: OpenPanel, shop: Shop):
    page = open_panel(user="zhuguan", viewport=WIDE)
    search(page, "tk")
    page.keyboard.press("Alt+M")
    page.keyboard.press("Alt+N")

    assert accessible_name_missing(page) == []
    # the list is a listbox whose options the search box points at
    assert page.get_attribute("[data-list]", "role") == "listbox"
    assert page.get_attribute("[data-q]", "aria-controls") == "panel-list"

    # Keyboard focus is drawn: every control reached with Tab from the top shows an outline
    page.keyboard.press("Escape")
    page.mouse.click(2, 2)  # start Tab from the top of the page
    reached = []
    for _ in range(16):
        page.keyboard.press("Tab")
        tag, style, width = page.evaluate("""() => {
            const s = getComputedStyle(document.activeElement);
            return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth];
        }""")
        if tag == "BODY":
            break
        reached.append(tag)
        assert style != "none", tag
        assert width != "0px", tag
    assert {"A", "INPUT", "BUTTON"} <= set(reached)
