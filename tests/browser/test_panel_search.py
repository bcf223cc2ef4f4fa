"""The panel in a real browser: logging in, searching as you type, moving with the keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.demo import DEMO_PASSWORD
from tests.browser.conftest import NARROW, OpenPanel, Shop, search, titles, unique, wait_ready

pytestmark = pytest.mark.browser


def test_agent_logs_in_and_lands_in_the_search_box_in_chinese(browser: Any, shop: Shop):
    # Given a fresh browser
    context = browser.new_context(viewport=NARROW, locale="en-US", base_url=shop.url)
    try:
        page = context.new_page()
        # When the agent opens the panel, is sent to log in, and logs in
        page.goto("/panel/")
        assert "/login/" in page.url
        page.fill("input[name=username]", "kefu1")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/panel/")
        wait_ready(page)

        # Then the panel is in Chinese (an English browser notwithstanding), live, and the
        # search box has the focus
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.get_attribute("[data-q]", "placeholder") == "搜索：拼音、首字母、汉字、/快捷码"
        assert page.inner_text("[data-conn]") == "实时同步"
        assert page.evaluate("document.activeElement.id") == "panel-q"
    finally:
        context.close()


def test_search_by_pinyin_initials_highlights_the_matched_characters(open_panel: OpenPanel):
    page = open_panel()

    search(page, "tk")

    found = titles(page)
    assert len(found) >= 5
    assert all("退款" in t for t in found[:5]), found
    assert page.inner_text("[data-list] li.item >> nth=0 >> mark") == "退款"
    assert page.get_attribute("[data-list] li.item >> nth=0", "aria-selected") == "true"


def test_a_result_found_through_a_typo_says_why_it_is_listed(open_panel: OpenPanel):
    page = open_panel()

    # 按抚 is 安抚 typed with a homophone: what is listed does not hold what was typed
    search(page, "按抚")
    found = titles(page)
    assert found
    assert all("安抚" in t for t in found[:3]), found
    assert page.inner_text("[data-list] li.item >> nth=0 >> .why") == "同音字"
    # A query that matches as typed gets no such note
    search(page, "安抚")
    assert titles(page)[0] == found[0]
    assert page.locator("[data-list] li.item .why").count() == 0


def test_a_number_typed_in_digits_finds_it_written_in_chinese(open_panel: OpenPanel):
    page = open_panel()

    # The demo shop writes 双十一 in its titles; an agent types 双11
    search(page, "双11")
    found = titles(page)
    assert found[0].startswith("双十一"), found
    assert page.inner_text("[data-list] li.item >> nth=0 >> .why") == "数字写法不同（7 / 七）"
    assert page.inner_text("[data-list] li.item >> nth=0 >> mark") == "双十一"


def test_a_phrase_matching_nothing_lists_replies_holding_part_of_it(open_panel: OpenPanel):
    page = open_panel()

    # No reply holds 想换个颜色; some hold 换颜色 or 颜色
    search(page, "想换个颜色")
    found = titles(page)
    assert found
    assert "颜色" in found[0], found
    assert page.inner_text("[data-list] li.item >> nth=0 >> .why") == "只匹配了一部分"


def test_a_passage_pasted_from_a_reply_finds_it_first_highlighted_whole(
        open_panel: OpenPanel):
    page = open_panel()

    # An agent pastes a sentence of the demo shop's 大促价保规则, its comma included
    passage = "还在保价期内的，可以申请差价"
    page.focus("[data-q]")
    page.fill("[data-q]", passage)
    page.wait_for_function(
        "q => document.querySelector('[data-list]').dataset.query === q", arg=passage)
    assert titles(page)[0] == "大促价保规则"
    assert page.inner_text("[data-list] li.item >> nth=0 >> .body mark") == passage
    assert page.locator("[data-list] li.item >> nth=0 >> .why").count() == 0


def test_a_reply_found_by_its_tag_has_the_word_marked_in_its_body(open_panel: OpenPanel,
                                                                  shop: Shop):
    # Given a reply tagged with a word its title lacks but its body says
    word = unique("标签")
    shop.add_reply(f"售后说明{unique()}", f"亲，本店支持{word}，请放心购买", tags=[word])
    page = open_panel()

    # When an agent searches the tag, the reply is listed with the word marked in its body
    search(page, word)
    assert page.inner_text("[data-list] li.item >> nth=0 >> .body mark") == word
    assert page.locator("[data-list] li.item >> nth=0 >> .title mark").count() == 0


def test_search_by_mixed_characters_and_pinyin(open_panel: OpenPanel):
    page = open_panel()

    search(page, "退kuan")

    found = titles(page)
    assert found
    assert all("退款" in t for t in found[:5]), found


def test_each_keystroke_refines_the_results_without_emptying_the_list(open_panel: OpenPanel):
    page = open_panel()
    # Record every time the list is emptied while the agent types.
    page.evaluate("""() => {
        window.__emptied = 0;
        const list = document.querySelector('[data-list]');
        new MutationObserver(() => { if (!list.children.length) window.__emptied += 1; })
            .observe(list, {childList: true});
    }""")

    search(page, "fahuo")

    assert "发货" in "".join(titles(page)[:3])
    assert page.evaluate("window.__emptied") == 0


def test_arrow_keys_move_the_selection_and_escape_clears(open_panel: OpenPanel):
    page = open_panel()
    search(page, "tk")

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")

    selected = page.locator("[data-list] li.item[aria-selected=true]")
    assert selected.get_attribute("data-index") == "1"
    assert page.get_attribute("[data-q]", "aria-activedescendant") == "panel-opt-1"
    # Escape empties the search and goes back to favourites and recent replies
    page.keyboard.press("Escape")
    assert page.input_value("[data-q]") == ""
    page.wait_for_function("document.querySelector('[data-list]').dataset.query === ''")


def test_slash_and_alt_z_bring_the_focus_back_to_search(open_panel: OpenPanel):
    page = open_panel()
    page.focus("#conv-1")

    page.keyboard.press("Alt+Z")
    assert page.evaluate("document.activeElement.id") == "panel-q"

    page.click("h2[data-list-title]")  # nothing focusable: the body has the focus
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "panel-q"
    assert page.input_value("[data-q]") == ""


def test_browse_the_category_tree_with_the_keyboard(open_panel: OpenPanel):
    page = open_panel()

    page.keyboard.press("Alt+B")
    assert page.evaluate("document.activeElement.dataset.node").startswith("cat:")
    page.keyboard.press("ArrowDown")  # the first subcategory, 商品材质
    page.keyboard.press("Enter")

    assert page.inner_text("[data-list-title]") == "商品材质"
    assert page.evaluate("document.activeElement.id") == "panel-list"
    assert titles(page)[0] == "面料成分说明"
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("[data-list] li.item >> nth=1", "aria-selected") == "true"
    # The library's own tree: company replies, with its counts
    assert page.inner_text(".tree summary >> nth=0").startswith("公司话术")


@pytest.mark.parametrize("width", [360, 480])
def test_the_panel_fits_a_narrow_side_window_without_scrolling_sideways(
        open_panel: OpenPanel, width: int):
    page = open_panel(viewport={"width": width, "height": 700})

    search(page, "fahuo")
    page.keyboard.press("Alt+B")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.is_visible("[data-q]")
