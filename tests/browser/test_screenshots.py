"""The screenshots in docs/img, taken from the demo shop in Chinese with Noto CJK fonts.

Run on purpose, not in every test run:
    KEFU_TEST_SCREENSHOTS=docs/img .venv/bin/pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import WIDE, OpenPanel, Shop, search
from tests.live import run_cli

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("KEFU_TEST_SCREENSHOTS"),
                       reason="set KEFU_TEST_SCREENSHOTS=docs/img to retake the screenshots"),
]

BUYER_MESSAGE = "亲，订单号260312-123456789012345 怎么还没发货啊，都三天了！再不发我就投诉了"


@pytest.fixture
def out() -> Path:
    folder = Path(os.environ.get("KEFU_TEST_SCREENSHOTS", "docs/img"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settle(page: Any) -> None:
    page.wait_for_timeout(300)  # the copy toast and focus rings finish their transitions


def fill_conversation(page: Any) -> None:
    page.fill("#conv-1", "小王")
    page.fill("#conv-2", "3817264950012")


def test_panel_narrow(open_panel: OpenPanel, out: Path):
    page = open_panel(viewport={"width": 400, "height": 760})
    fill_conversation(page)
    search(page, "tk")
    page.keyboard.press("ArrowDown")
    settle(page)
    page.screenshot(path=str(out / "panel.png"))


def test_panel_wide(open_panel: OpenPanel, out: Path):
    page = open_panel(user="zhuguan", viewport=WIDE)
    fill_conversation(page)
    search(page, "退kuan")
    page.keyboard.press("ArrowDown")
    settle(page)
    page.screenshot(path=str(out / "panel-wide.png"))


def test_panel_suggestions(open_panel: OpenPanel, shop: Shop, out: Path):
    resp = shop.api("kefu1").post("/api/v1/suggest", json={"message": "发货", "limit": 1})
    if resp.status_code == 404:
        pytest.skip("no POST /api/v1/suggest on this server")
    page = open_panel(viewport={"width": 400, "height": 860})
    page.keyboard.press("Alt+M")
    page.fill("[data-message]", BUYER_MESSAGE)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-list] li.item")
    page.wait_for_timeout(2800)  # let the "order number filled" toast go
    page.screenshot(path=str(out / "panel-suggest.png"))


def test_panel_prompt(open_panel: OpenPanel, out: Path):
    page = open_panel(viewport={"width": 400, "height": 640})
    page.fill("#conv-1", "小王")
    search(page, "/tk7")  # 退款进度查询: needs the order number
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-prompt]:not([hidden])")
    settle(page)
    page.screenshot(path=str(out / "panel-prompt.png"))


def test_members_page(open_panel: OpenPanel, out: Path):
    page = open_panel(user="admin", viewport={"width": 1200, "height": 600}, path="/members/")
    page.click("details.card > summary")  # the "add a member" form, open
    page.screenshot(path=str(out / "members.png"), full_page=True)


def test_tokens_page(open_panel: OpenPanel, shop: Shop, out: Path):
    run_cli(shop.site.env, "token", "create", "demo", "admin", "--name", "订单系统对接")
    page = open_panel(user="admin", viewport={"width": 1200, "height": 560}, path="/tokens/")
    page.screenshot(path=str(out / "tokens.png"), full_page=True)


def test_login_page(browser: Any, shop: Shop, out: Path):
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN",
                                  base_url=shop.url)
    page = context.new_page()
    page.goto("/login/")
    page.screenshot(path=str(out / "login.png"))
    context.close()

