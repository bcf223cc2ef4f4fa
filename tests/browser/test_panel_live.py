"""Live sync: what a supervisor changes shows on every open panel within a second, without
a reload and without losing the agent's query or selection; a panel whose server restarted
reconnects and catches up."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WIDE, OpenPanel, Shop, search, titles, unique, wait_ready

pytestmark = pytest.mark.browser

WITHIN_A_SECOND = 1000  # ms


def selected_title(page: Any) -> str:
    return str(page.inner_text("[data-list] li.item[aria-selected=true] .title")).strip()


def test_a_supervisors_edit_reaches_the_agents_panel_within_a_second(
        open_panel: OpenPanel, shop: Shop):
    # Given an agent who searched and selected the second of two results
    word = unique()
    shop.add_reply(f"{word} 甲", "不变的话术")
    target = shop.add_reply(f"{word} 乙", "旧的说法")
    agent = open_panel()
    search(agent, word)
    agent.keyboard.press("ArrowDown")
    chosen = selected_title(agent)

    # When a supervisor, in another browser, saves a new text in the library editor
    supervisor = open_panel(user="zhuguan", viewport=WIDE,
                            path=f"/library/replies/{target['id']}/edit")
    supervisor.fill("textarea[name=body]", "新的说法：{买家昵称}您好")
    supervisor.click("form[data-editor] button[type=submit]")
    supervisor.wait_for_url("**/library/**")
    saved = time.monotonic()

    # Then the agent's panel shows it within a second, query and selection untouched
    row = agent.locator(f"[data-list] li.item[data-id='{target['id']}'] .body")
    expect(row).to_have_text("新的说法：{买家昵称}您好", timeout=WITHIN_A_SECOND)
    print(f"\nedit → agent's screen: {(time.monotonic() - saved) * 1000:.0f} ms")
    assert agent.input_value("[data-q]") == word
    assert selected_title(agent) == chosen


def test_added_and_deleted_replies_come_and_go_on_open_panels(open_panel: OpenPanel, shop: Shop):
    word = unique()
    shop.add_reply(f"{word} 原有", "原有的话术")
    agent = open_panel()
    search(agent, word)
    assert len(titles(agent)) == 1

    added = shop.add_reply(f"{word} 新增", "新增的话术")
    items = agent.locator("[data-list] li.item")
    expect(items).to_have_count(2, timeout=WITHIN_A_SECOND)

    resp = shop.api("zhuguan").delete(f"/api/v1/replies/{added['id']}")
    assert resp.status_code == 200, resp.text
    expect(items).to_have_count(1, timeout=WITHIN_A_SECOND)
    assert titles(agent) == [f"{word} 原有"]


def test_a_renamed_category_and_its_new_reply_show_in_the_browse_tree(
        open_panel: OpenPanel, shop: Shop):
    api = shop.api("zhuguan")
    company = next(lib for lib in api.get("/api/v1/libraries").json()
                   if lib["scope"] == "company")
    name = unique("分类")
    category = api.post("/api/v1/categories", json={"library_id": company["id"],
                                                    "name": name}).json()
    agent = open_panel()
    agent.keyboard.press("Alt+B")
    node = agent.locator(f".tree button[data-node='cat:{category['id']}']")
    expect(node).to_contain_text(name)

    renamed = unique("改名")
    resp = api.patch(f"/api/v1/categories/{category['id']}", json={"name": renamed})
    assert resp.status_code == 200, resp.text
    expect(node).to_contain_text(renamed, timeout=WITHIN_A_SECOND)

    node.click()
    shop.add_reply(f"{renamed} 话术", "分类里的话术", library_id=company["id"],
                   category_id=category["id"])
    expect(agent.locator("[data-list] li.item .title")).to_have_text(
        [f"{renamed} 话术"], timeout=WITHIN_A_SECOND)
    expect(node.locator(".count")).to_have_text("1")


def test_after_a_server_restart_the_panel_reconnects_and_catches_up(
        open_panel: OpenPanel, shop: Shop):
    # Given an agent's panel on its own server (the shared one must keep running)
    server = shop.site.server()
    try:
        word = unique()
        reply = shop.add_reply(f"{word} 重连", "重启前的说法")
        agent = open_panel(server=server)
        search(agent, word)
        body = agent.locator(f"[data-list] li.item[data-id='{reply['id']}'] .body")
        expect(body).to_have_text("重启前的说法")

        # When the server stops, the reply is edited elsewhere meanwhile, and it comes back
        server.stop()
        expect(agent.locator("[data-conn]")).not_to_have_attribute("data-conn", "live")
        api = shop.api("zhuguan")
        api.patch(f"/api/v1/replies/{reply['id']}",
                  json={"version": reply["version"], "body": "停机时改的说法"}).raise_for_status()
        server.start()
        started = time.monotonic()

        # Then the panel reconnects by itself, is told it missed events, and refetches
        expect(agent.locator("[data-conn]")).to_have_attribute("data-conn", "live",
                                                                timeout=15_000)
        expect(body).to_have_text("停机时改的说法", timeout=5_000)
        print(f"\nserver up → panel caught up: {time.monotonic() - started:.1f} s")
        assert agent.input_value("[data-q]") == word

        # and later edits arrive live again, within a second
        current = api.get(f"/api/v1/replies/{reply['id']}").json()
        on_server = shop.api("zhuguan", server=server)
        resp = on_server.patch(f"/api/v1/replies/{reply['id']}",
                               json={"version": current["version"], "body": "重启后的说法"})
        on_server.close()
        assert resp.status_code == 200, resp.text
        expect(body).to_have_text("重启后的说法", timeout=WITHIN_A_SECOND)
        wait_ready(agent)
    finally:
        server.stop()


@pytest.mark.redis
def test_an_edit_through_one_server_reaches_a_panel_on_another_through_redis(
        open_panel: OpenPanel, shop: Shop, redis_url: str):
    # Given two server processes sharing events through Redis, the panel on the first
    first = shop.site.server(KEFU_REDIS_URL=redis_url)
    second = shop.site.server(KEFU_REDIS_URL=redis_url)
    try:
        word = unique()
        reply = shop.add_reply(f"{word} 多进程", "一号进程的说法")
        agent = open_panel(server=first)
        search(agent, word)
        body = agent.locator(f"[data-list] li.item[data-id='{reply['id']}'] .body")
        expect(body).to_have_text("一号进程的说法")

        # When a supervisor saves through the second
        with shop.api("zhuguan", server=second) as api:
            resp = api.patch(f"/api/v1/replies/{reply['id']}",
                             json={"version": reply["version"], "body": "二号进程的说法"})
        assert resp.status_code == 200, resp.text

        # Then the panel on the first shows it within a second
        expect(body).to_have_text("二号进程的说法", timeout=WITHIN_A_SECOND)
    finally:
        first.stop()
        second.stop()
