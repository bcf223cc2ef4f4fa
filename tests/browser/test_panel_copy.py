"""Copying from the panel: variables filled, unknown ones asked for, uses recorded; saving
a personal reply; favourites and recently used."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    OpenPanel,
    Shop,
    clipboard,
    eventually,
    search,
    set_clipboard,
    titles,
    unique,
)

pytestmark = pytest.mark.browser


def usage_count(shop: Shop, reply_id: int) -> int:
    resp = shop.api("zhuguan").get(f"/api/v1/replies/{reply_id}")
    assert resp.status_code == 200, resp.text
    return int(resp.json()["usage_count"])


def test_enter_copies_the_reply_with_the_conversation_values_and_records_the_use(
        open_panel: OpenPanel, shop: Shop):
    # Given a reply with two conversation variables, and an agent who typed both values
    word = unique()
    reply = shop.add_reply(f"查单 {word}", "亲爱的{买家昵称}，订单{订单号}已经发出啦。")
    page = open_panel()
    page.fill("#conv-1", "小王")
    page.fill("#conv-2", "2026112300042")
    set_clipboard(page, "")

    # When the agent finds it and presses Enter
    search(page, word)
    page.keyboard.press("Enter")

    # Then the clipboard holds the filled text, the panel says so, and the use is counted
    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已复制')")
    assert clipboard(page) == "亲爱的小王，订单2026112300042已经发出啦。"
    assert page.inner_text("[data-toast]") == f"已复制：查单 {word}"
    assert eventually(lambda: usage_count(shop, reply["id"]) == 1)
    # and the values are kept for this conversation, in the form
    page.reload()
    assert page.input_value("#conv-2") == "2026112300042"


def test_number_keys_copy_the_nth_result(open_panel: OpenPanel, shop: Shop):
    word = unique()
    first = shop.add_reply(f"{word} 甲", "第一条")
    second = shop.add_reply(f"{word} 乙", "第二条")
    page = open_panel()
    search(page, word)
    order = titles(page)
    wanted = second if order[1].endswith("乙") else first

    page.keyboard.press("2")

    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已复制')")
    assert clipboard(page) == wanted["body"]
    assert page.input_value("[data-q]") == word  # the digit did not go into the search box


def test_enter_right_after_typing_copies_a_result_of_what_was_typed(
        open_panel: OpenPanel, shop: Shop):
    # Given results of an earlier search on screen
    word = unique()
    shop.add_reply(f"快手 {word}", "刚输入的那条")
    page = open_panel()
    search(page, "fahuo")
    set_clipboard(page, "")

    # When the agent types a new query and presses Enter before its results arrive
    page.fill("[data-q]", word)
    page.keyboard.press("Enter")

    # Then the reply copied is the new query's, not the first of the old list
    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已复制')")
    assert clipboard(page) == "刚输入的那条"


def test_a_number_key_with_no_such_result_goes_into_the_search(open_panel: OpenPanel, shop: Shop):
    word = unique()
    shop.add_reply(f"{word} 唯一", "只有一条")
    page = open_panel()
    search(page, word)

    page.keyboard.press("7")

    expect(page.locator("[data-q]")).to_have_value(f"{word}7")


def test_a_missing_variable_is_asked_for_instead_of_pasting_a_placeholder(
        open_panel: OpenPanel, shop: Shop):
    # Given a reply that needs the order number and one variable nobody defined
    word = unique()
    shop.add_reply(f"补发 {word}", "订单{订单号}的补发单号是{补发单号}，请查收。")
    page = open_panel()
    set_clipboard(page, "untouched")
    search(page, word)

    # When the agent presses Enter without having typed the order number
    page.keyboard.press("Enter")

    # Then a prompt asks for both, and nothing reached the clipboard
    page.wait_for_selector("[data-prompt]:not([hidden])")
    assert page.inner_text("[data-prompt] h2") == "复制前请填写"
    labels = page.locator("[data-prompt-fields] label").all_inner_texts()
    assert labels == ["订单号", "补发单号"]
    assert "不是已定义的变量" in page.inner_text("[data-prompt-fields]")
    assert clipboard(page) == "untouched"
    assert page.evaluate("document.activeElement.name") == "订单号"

    # An empty value is refused
    page.keyboard.press("Enter")
    assert page.is_visible("[data-prompt-error]")
    assert clipboard(page) == "untouched"

    # When both are filled in and Enter pressed, the filled text is copied
    page.keyboard.type("9988")
    page.keyboard.press("Tab")
    page.keyboard.type("SF123")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-prompt]", state="hidden")
    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已复制')")
    assert clipboard(page) == "订单9988的补发单号是SF123，请查收。"
    # and the order number is now this conversation's
    assert page.input_value("#conv-2") == "9988"


def test_escape_closes_the_prompt_without_copying(open_panel: OpenPanel, shop: Shop):
    word = unique()
    shop.add_reply(f"催付 {word}", "{买家昵称}您好，订单还没付款哦。")
    page = open_panel()
    set_clipboard(page, "untouched")
    search(page, word)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-prompt]:not([hidden])")

    page.keyboard.press("Escape")

    assert page.is_hidden("[data-prompt]")
    assert clipboard(page) == "untouched"
    assert page.evaluate("document.activeElement.id") == "panel-q"


def test_new_conversation_clears_the_values(open_panel: OpenPanel):
    page = open_panel()
    page.fill("#conv-1", "小王")
    page.fill("#conv-2", "123")

    page.keyboard.press("Alt+X")

    assert page.input_value("#conv-1") == ""
    assert page.input_value("#conv-2") == ""
    assert page.inner_text("[data-toast]") == "新会话：已清空变量值。"


def test_save_a_personal_reply_in_two_keystrokes(open_panel: OpenPanel, shop: Shop):
    # Given an agent who searched for something the library does not have
    word = unique()
    page = open_panel(user="kefu2")
    search(page, word)
    assert page.inner_text("[data-empty]").startswith("没有与")

    # When they press Alt+N and Enter
    page.keyboard.press("Alt+N")
    assert page.input_value("#save-title-input") == word
    page.keyboard.press("Enter")

    # Then it is saved in their personal library, and found at once
    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已保存')")
    found = shop.api("kefu2").get("/api/v1/replies", params={"q": word, "scope": "personal"})
    assert [r["title"] for r in found.json()["items"]] == [word]
    page.wait_for_function("n => document.querySelectorAll('[data-list] li.item').length === n",
                           arg=1)
    assert titles(page) == [word]
    # and nobody else sees it
    others = shop.api("kefu1").get("/api/v1/replies", params={"q": word})
    assert others.json()["count"] == 0


def test_pinned_and_copied_replies_are_listed_when_the_search_is_empty(
        open_panel: OpenPanel, shop: Shop):
    word = unique()
    pinned = shop.add_reply(f"收藏 {word}", "收藏的话术")
    used = shop.add_reply(f"常用 {word}", "用过的话术")
    page = open_panel()

    search(page, f"收藏 {word}")
    page.keyboard.press("Alt+P")
    search(page, f"常用 {word}")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已复制')")
    page.keyboard.press("Escape")

    page.wait_for_function("document.querySelector('[data-list]').dataset.query === ''")
    sections = page.locator("[data-list] li.section").all_inner_texts()
    assert sections == ["收藏", "最近使用"]
    assert titles(page) == [pinned["title"], used["title"]]
    # kept across reloads (per member, in this browser)
    page.reload()
    page.wait_for_selector("[data-panel][data-loaded]")
    page.wait_for_function("document.querySelectorAll('[data-list] li.item').length === 2")
    assert titles(page) == [pinned["title"], used["title"]]


def png(width: int = 24, height: int = 16) -> bytes:
    """A small orange PNG, made without an imaging library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\xd4\x38\x0d" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_an_image_reply_offers_its_image_to_copy_drag_or_download(
        open_panel: OpenPanel, shop: Shop):
    # Given a reply with an image
    word = unique()
    reply = shop.add_reply(f"尺码表 {word}", "亲，尺码表见图：")
    upload = shop.api("zhuguan").post(f"/api/v1/replies/{reply['id']}/images",
                                      files={"file": ("尺码表.png", png(), "image/png")})
    if upload.status_code in (404, 405):
        pytest.skip("no image upload API on this server")
    assert upload.status_code == 201, upload.text
    page = open_panel()
    search(page, word)
    assert "🖼 1" in page.inner_text("[data-list] li.item >> nth=0 >> .head")

    # When the agent copies it
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-toast]').textContent.startsWith('已复制')")

    # Then the text is on the clipboard and the image is offered: loaded, draggable, with a
    # download link
    assert clipboard(page) == "亲，尺码表见图："
    image = page.locator("[data-images] img")
    image.wait_for()
    page.wait_for_function("document.querySelector('[data-images] img').naturalWidth === 24")
    assert image.get_attribute("draggable") == "true"
    assert page.get_attribute("[data-images] a[download]", "download") == "尺码表.png"
    # and Alt+I puts the image itself on the clipboard, as PNG
    page.keyboard.press("Alt+I")
    page.wait_for_function("document.querySelector('[data-toast]').textContent === '图片已复制'")
    types = page.evaluate("async () => (await navigator.clipboard.read())[0].types")
    assert "image/png" in types
