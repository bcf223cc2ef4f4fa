"""The panel page: who may open it, what the script is given, where it is linked from."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from kefu.core.models import Member


def page_of(member: Member, lang: str | None = None) -> Any:
    client = Client()
    client.force_login(member.user)
    if lang:
        client.cookies["kefu_lang"] = lang
    return client.get("/panel/")


def script_data(resp: Any, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>',
                      resp.content.decode(), re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_the_panel_asks_a_visitor_to_log_in(db: Any):
    resp = Client().get("/panel/")

    assert resp.status_code == 302
    assert resp["Location"] == "/login/?next=/panel/"


def test_an_agent_gets_the_panel_in_chinese_with_its_configuration(agent: Member):
    resp = page_of(agent)

    assert resp.status_code == 200
    page = resp.content.decode()
    assert "<title>话术面板 · 客服台</title>" in page
    assert 'type="module" src="/static/kefu/panel.js"' in page
    config = script_data(resp, "panel-config")
    assert config["member"] == {"id": agent.id, "org": agent.organization_id,
                                "name": agent.name}
    assert config["conversationVariables"] == ["买家昵称", "订单号", "快递单号", "发货时间"]
    assert config["serverValues"]["店铺名"] == agent.organization.name
    assert config["urls"]["replyEdit"] == "/library/replies/{id}/edit"
    strings = script_data(resp, "panel-strings")
    assert strings["copied"] == "已复制"
    assert strings["entityKinds"]["order_numbers"] == "订单号"


def test_the_panels_strings_follow_the_members_language(agent: Member):
    resp = page_of(agent, lang="en")

    assert script_data(resp, "panel-strings")["copied"] == "Copied"
    assert "Agent panel" in resp.content.decode()


def test_only_managers_get_the_link_to_the_library_pages(agent: Member, supervisor: Member):
    assert 'href="/library/"' not in page_of(agent).content.decode()
    supervisor_page = page_of(supervisor).content.decode()
    assert 'href="/library/"' in supervisor_page
    assert "管理话术库" in supervisor_page


def test_the_panel_comes_first_in_the_navigation_and_on_the_home_page(agent: Member):
    client = Client()
    client.force_login(agent.user)

    home = client.get("/").content.decode()

    links = re.findall(r'<nav class="mainnav".*?</nav>', home, re.S)[0]
    assert re.findall(r'href="([^"]+)"', links)[:2] == ["/", "/panel/"]
    assert "<strong>话术面板</strong>" in home


def test_text_from_members_is_escaped_in_the_page(make_member: Any, org: Any):
    member = make_member(org, "agent", "xss-agent")
    member.display_name = "</script><script>alert(1)</script>"
    member.save(update_fields=["display_name"])

    page = page_of(member).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert script_data(page_of(member), "panel-config")["member"]["name"] == member.display_name
