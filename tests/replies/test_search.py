"""Instant search: every input kind finds its reply, ranking by match then usage, visibility
inside the search, highlights, and freshness after edits (same process and across)."""

from __future__ import annotations

import importlib
import time
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kefu.core.models import Role
from kefu.replies.access import get_library
from kefu.replies.actions import do_create_reply, do_edit_reply, do_record_use
from kefu.replies.models import Reply
from kefu.replies.search.registry import REGISTRY

LIBRARY = [
    # title, body, shortcut, tags
    ("退款流程说明", "亲，退款会在 1-3 个工作日内原路退回。", "/tk1", ["退款"]),
    ("退货退款地址", "请把商品寄回：{售后.退货地址}", "/th2", ["退货"]),
    ("退换货政策", "签收后七天内支持无理由退换货。", "", ["退换"]),
    ("安抚生气的买家", "非常抱歉给您带来不好的体验，我们马上为您处理。", "/af", ["投诉"]),
    ("还款方式", "支持花呗分期还款。", "", []),
    ("衣长说明", "这件衣服衣长 65cm，适合 160-170cm。", "", ["尺码"]),
    ("发货时间", "付款后 48 小时内发货。", "/fh", ["发货"]),
    ("XL码尺码推荐", "身高 175cm 体重 70kg 建议 XL 码。", "", ["尺码"]),
    ("头发护理赠品", "下单送护发精油一瓶。", "", ["赠品"]),
    ("银行卡付款", "支持银行卡和信用卡付款。", "", []),
    ("重新发货", "我们会为您重新发货，单号稍后同步。", "", ["补发"]),
]


def titles(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [r["title"] for r in resp.json()["results"]]


@pytest.fixture
def library(supervisor: Any) -> dict[str, Reply]:
    REGISTRY.clear()
    lib = get_library(supervisor, "company")
    return {t: do_create_reply(supervisor, lib, {"title": t, "body": b, "shortcut": s,
                                                 "tags": tags})
            for t, b, s, tags in LIBRARY}


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "target"), [
    ("退款", "退款流程说明"),              # 汉字
    ("款流", "退款流程说明"),              # 汉字 inside the title
    ("tuikuan", "退款流程说明"),           # full pinyin
    ("tuik", "退款流程说明"),              # last syllable unfinished
    ("tk", "退款流程说明"),                # initials
    ("thh", "退换货政策"),                 # initials, three characters
    ("退kuan", "退款流程说明"),            # mixed 汉字 + pinyin
    ("t款", "退款流程说明"),               # mixed initial + 汉字
    ("TUIKUAN", "退款流程说明"),           # case folded
    ("ｔｕｉｋｕａｎ", "退款流程说明"),      # full width folded
    ("xl", "XL码尺码推荐"),                # latin letters in a title
    ("按抚", "安抚生气的买家"),            # IME homophone typo
    ("退款流说明", "退款流程说明"),        # one character missing
    ("退款流x程", "退款流程说明"),         # one character extra
    ("發貨", "发货时间"),                  # traditional characters
    ("无理由退", "退换货政策"),            # body text
])
def test_each_input_kind_finds_its_reply_in_the_top_five(api, supervisor, library, query,
                                                         target):
    got = titles(api(supervisor).get("replies/search", data={"q": query}))
    assert target in got[:5], got


@pytest.mark.django_db
def test_exact_shortcut_is_ranked_first(api, supervisor, library):
    for code, target in (("/tk1", "退款流程说明"), ("/fh", "发货时间"), ("tk1", "退款流程说明")):
        got = titles(api(supervisor).get("replies/search", data={"q": code}))
        assert got[0] == target, (code, got)


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "target"), [
    ("huankuan", "还款方式"), ("haikuan", "还款方式"),        # 还 hai/huan
    ("yichang", "衣长说明"), ("yizhang", "衣长说明"),          # 长 chang/zhang
    ("chongxin", "重新发货"), ("zhongxin", "重新发货"),        # 重 chong/zhong
    ("yinhang", "银行卡付款"), ("yinxing", "银行卡付款"),      # 行 hang/xing
    ("toufa", "头发护理赠品"), ("fahuo", "发货时间"),           # 发 fa (fà/fā)
])
def test_polyphones_match_with_either_reading(api, supervisor, library, query, target):
    got = titles(api(supervisor).get("replies/search", data={"q": query}))
    assert target in got[:5], got


@pytest.mark.django_db
def test_several_terms_must_all_match(api, supervisor, library):
    got = titles(api(supervisor).get("replies/search", data={"q": "退货 地址"}))
    assert got == ["退货退款地址"]
    got = titles(api(supervisor).get("replies/search", data={"q": "tk 流程"}))
    assert got == ["退款流程说明"]


@pytest.mark.django_db
def test_punctuation_pasted_with_the_words_is_a_separator(api, supervisor, library):
    client = api(supervisor)
    plain = titles(client.get("replies/search", data={"q": "退款"}))
    # Buyers' words come with their punctuation, emoji and brackets
    for q in ("退款。", "“退款”", "【退款】", "退款！！", "退款😊", "退款~"):
        assert titles(client.get("replies/search", data={"q": q})) == plain, q
    # A comma or a slash-free mark between words reads as a space: both must match
    assert titles(client.get("replies/search", data={"q": "退货，地址"})) == ["退货退款地址"]
    # Codes keep their marks, and a question mark alone asks for nothing
    assert titles(client.get("replies/search", data={"q": "/tk1。"}))[0] == "退款流程说明"
    assert titles(client.get("replies/search", data={"q": "？"})) == []


@pytest.mark.django_db
def test_pinyin_highlight_points_at_the_matched_characters(api, supervisor, library):
    resp = api(supervisor).get("replies/search", data={"q": "chima"})
    first = resp.json()["results"][0]
    assert first["title"] == "XL码尺码推荐"
    (start, end), = first["highlights"]["title"]
    assert first["title"][start:end] == "尺码"
    body = api(supervisor).get("replies/search", data={"q": "原路退回"}).json()["results"][0]
    (bstart, bend), = body["highlights"]["body"]
    assert body["body"][bstart:bend] == "原路退回"


@pytest.mark.django_db
def test_title_prefix_ranks_above_title_substring_above_body(api, supervisor, library):
    lib = get_library(supervisor, "company")
    do_create_reply(supervisor, lib, {"title": "关于发货", "body": "看情况"})
    do_create_reply(supervisor, lib, {"title": "物流查询", "body": "发货后可查"})
    got = titles(api(supervisor).get("replies/search", data={"q": "发货"}))
    assert got.index("发货时间") < got.index("关于发货") < got.index("物流查询")


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_usage_moves_a_reply_up_at_once(api, supervisor, library):
    client = api(supervisor)
    before = titles(client.get("replies/search", data={"q": "退"}))
    last = before[2]  # the third of the three titles starting with 退
    assert last.startswith("退")
    assert before[0].startswith("退")
    for _ in range(3):
        resp = client.post(f"replies/{library[last].id}/uses", {"source": "search"})
        assert resp.status_code == 201
    after = titles(client.get("replies/search", data={"q": "退"}))
    assert after.index(last) < before.index(last)


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_own_usage_counts_more_than_the_teams(api, supervisor, agent, library):
    # The team uses A; the agent personally uses B: for the agent, B comes first.
    a, b = library["退款流程说明"], library["退货退款地址"]
    do_record_use(supervisor, a, "search")
    for _ in range(2):
        do_record_use(agent, b, "search")
    for _ in range(2):
        do_record_use(supervisor, a, "search")
    agent_view = titles(api(agent).get("replies/search", data={"q": "退"}))
    assert agent_view.index("退货退款地址") < agent_view.index("退款流程说明")


@pytest.mark.django_db
def test_a_member_never_sees_replies_outside_their_scopes(api, org, supervisor, agent,
                                                          make_member, library):
    # agent is in 售前; a 售后 reply and a colleague's personal reply match "退款" best.
    after_sales = org.departments.get(name="售后")
    dept_lib = get_library(supervisor, "department", department=after_sales)
    do_create_reply(supervisor, dept_lib, {"title": "退款", "body": "售后部门专用"})
    colleague = make_member(org, Role.AGENT, "kefu9", departments=("售前",))
    do_create_reply(colleague, get_library(colleague, "personal"),
                    {"title": "退款", "body": "我的私人话术"})
    got = api(agent).get("replies/search", data={"q": "退款", "limit": 50}).json()["results"]
    bodies = {r["body"] for r in got}
    assert "售后部门专用" not in bodies
    assert "我的私人话术" not in bodies
    assert "退款流程说明" in [r["title"] for r in got]
    # the supervisor (a manager) sees the department reply, not the colleague's personal one
    sup = api(supervisor).get("replies/search", data={"q": "退款", "limit": 50}).json()
    sup_bodies = {r["body"] for r in sup["results"]}
    assert "售后部门专用" in sup_bodies
    assert "我的私人话术" not in sup_bodies


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_an_edit_through_the_api_is_searchable_immediately(api, supervisor, library):
    client = api(supervisor)
    assert titles(client.get("replies/search", data={"q": "退款"}))  # index built
    reply = library["发货时间"]
    resp = client.patch(f"replies/{reply.id}", {"version": reply.version, "title": "极速退款说明"})
    assert resp.status_code == 200
    assert "极速退款说明" in titles(client.get("replies/search", data={"q": "jisu"}))
    assert "发货时间" not in titles(client.get("replies/search", data={"q": "发货时间"}))
    resp = client.delete(f"replies/{reply.id}")
    assert "极速退款说明" not in titles(client.get("replies/search", data={"q": "jisu"}))


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_pinyin_matches_what_was_typed_and_no_more(api, supervisor, library):
    client = api(supervisor)

    def why(q: str) -> dict[str, str]:
        resp = client.get("replies/search", data={"q": q})
        return {r["title"]: r["why"]["match"] for r in resp.json()["results"]}

    assert why("退款")  # the index exists: the replies below reach it as edits
    for title, tags in (("加长款腿宽说明", []), ("退课须知", []), ("赠品说明", ["腿宽"])):
        assert client.post("replies", {"title": title, "body": "详见页面",
                                       "tags": tags}).status_code == 201
    # tuikuan reads 退款 and 腿宽 alike; a match in the tags ranks below title matches
    got = why("tuikuan")
    assert got["退款流程说明"] == "pinyin_title_prefix"
    assert got["加长款腿宽说明"] == "pinyin_title"
    assert got["赠品说明"] == "pinyin_tags"
    assert list(got).index("赠品说明") > list(got).index("加长款腿宽说明")
    resp = client.get("replies/search", data={"q": "tuikuan"}).json()["results"]
    hit = next(r for r in resp if r["title"] == "加长款腿宽说明")
    (start, end), = hit["highlights"]["title"]
    assert hit["title"][start:end] == "腿宽"
    # An unfinished syllable is a start of that syllable, not any with its initial
    got = why("tuiku")
    assert "加长款腿宽说明" in got
    assert "退课须知" not in got
    # A 汉字 typed among letters is that character: a homophone is only a typo candidate
    assert why("退kuan")["退款流程说明"].startswith("pinyin")
    assert why("退kuan").get("加长款腿宽说明", "homophone").startswith("homophone")
    assert why("腿kuan")["加长款腿宽说明"] == "pinyin_title"
    assert why("腿kuan").get("退款流程说明", "homophone").startswith("homophone")


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_new_and_inactive_replies(api, supervisor, library):
    client = api(supervisor)
    assert titles(client.get("replies/search", data={"q": "退款"}))
    resp = client.post("replies", {"title": "开发票说明", "body": "可以开电子发票",
                                   "shortcut": "/fp"})
    assert resp.status_code == 201
    assert titles(client.get("replies/search", data={"q": "/fp"})) == ["开发票说明"]
    reply = Reply.objects.get(pk=resp.json()["id"])
    do_edit_reply(supervisor, reply, reply.version, {"is_active": False})
    assert titles(client.get("replies/search", data={"q": "/fp"})) == []


@pytest.mark.django_db
def test_search_explains_its_ranking_and_reports_engine_time(api, supervisor, library):
    body = api(supervisor).get("replies/search", data={"q": "tk"}).json()
    first = body["results"][0]
    assert first["why"]["match"] == "pinyin_title_prefix"
    assert {"tier", "team_usage", "own_usage"} <= set(first["why"])
    assert first["category"] == []
    assert first["library_id"] == library["退款流程说明"].library_id
    assert first["id"] == library["退款流程说明"].id
    assert isinstance(body["took_ms"], float)


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_category_filter_and_bad_parameters(api, supervisor, library):
    client = api(supervisor)
    assert client.get("replies/search", data={"q": ""}).status_code == 200
    assert client.get("replies/search", data={"q": "退", "limit": 0}).status_code == 422
    assert client.get("replies/search", data={"q": "退" * 101}).status_code == 422
    assert client.get("replies/search").status_code == 422
    cat = client.post("categories", {"library_id": library["退款流程说明"].library_id,
                                     "name": "售后"}).json()
    reply = library["退款流程说明"]
    client.patch(f"replies/{reply.id}", {"version": reply.version, "category_id": cat["id"]})
    got = titles(client.get("replies/search", data={"q": "退", "category": cat["id"]}))
    assert got == ["退款流程说明"]


@pytest.mark.django_db
def test_cli_search(capsys, supervisor, library, org):
    from kefu.cli import main

    assert main(["search", org.slug, "tk", "--as", supervisor.user.username]) == 0
    out = capsys.readouterr().out
    assert "[退款]流程说明" in out
    assert "/tk1" in out
    # A match in the body is bracketed there too
    assert main(["search", org.slug, "重新发货，单号"]) == 0
    assert "我们会为您[重新发货，单号]稍后同步。" in capsys.readouterr().out
    assert main(["search", "nope", "tk"]) == 1


def test_cli_shows_a_match_far_into_a_body():
    from kefu.replies.search.cli import _snippet

    body = "亲" * 100 + "退款说明" + "好" * 100
    assert _snippet(body, [[100, 104]]) == "…" + "亲" * 20 + "[退款说明]" + "好" * 56 + "…"
    assert _snippet("短文\n第二行", [[0, 2]]) == "[短文] 第二行"


@pytest.mark.redis
def test_an_edit_in_another_process_reaches_this_ones_index(live_site, redis_url):
    site = live_site(KEFU_REDIS_URL=redis_url)
    a, b = site.server(), site.server()
    with site.client(a) as ca, site.client(b) as cb:
        created = ca.post("/api/v1/replies", json={"title": "跨进程同步", "body": "测试"})
        assert created.status_code == 201, created.text
        assert _search(cb, "kjc") == ["跨进程同步"]  # b builds its index now
        reply = created.json()
        resp = ca.patch(f"/api/v1/replies/{reply['id']}",
                        json={"version": reply["version"], "title": "多进程同步"})
        assert resp.status_code == 200
        deadline = time.monotonic() + 5
        while _search(cb, "djc") != ["多进程同步"]:
            assert time.monotonic() < deadline, "process b never saw the edit"
            time.sleep(0.05)


def _search(client: httpx.Client, q: str) -> list[str]:
    resp = client.get("/api/v1/replies/search", params={"q": q})
    assert resp.status_code == 200, resp.text
    return [r["title"] for r in resp.json()["results"]]


@pytest.mark.django_db
def test_a_library_without_tags_or_pinyin_still_searches(api, supervisor):
    REGISTRY.clear()
    lib = get_library(supervisor, "company")
    do_create_reply(supervisor, lib, {"title": "123", "body": "abc"})  # no 汉字, no tags
    assert titles(api(supervisor).get("replies/search", data={"q": "12"})) == ["123"]
    assert titles(api(supervisor).get("replies/search", data={"q": "退款"})) == []


@pytest.mark.django_db
def test_a_missing_character_beats_a_dropped_one_and_and_ranks_by_both_terms(
        api, supervisor):
    REGISTRY.clear()
    lib = get_library(supervisor, "company")
    target = do_create_reply(supervisor, lib, {"title": "女款大衣地址填错", "body": "改地址"})
    for title in ("男款老爹鞋地址填错", "地址填错了"):
        busy = do_create_reply(supervisor, lib, {"title": title, "body": "改地址"})
        for _ in range(5):
            do_record_use(supervisor, busy, "search")
    REGISTRY.clear()  # rebuild with the usage counts
    got = titles(api(supervisor).get("replies/search", data={"q": "衣址填"}))
    assert got[0] == target.title, got
    do_create_reply(supervisor, lib, {"title": "面料扎不扎", "body": "这款面料不扎"})
    noisy = do_create_reply(supervisor, lib, {"title": "短裤尺码",
                                              "body": "面料扎吗？料问题找客服"})
    for _ in range(5):
        do_record_use(supervisor, noisy, "search")
    REGISTRY.clear()
    got = titles(api(supervisor).get("replies/search", data={"q": "面料扎 料"}))
    assert got[0] == "面料扎不扎", got


@pytest.mark.django_db(transaction=True)  # events are sent on commit
def test_one_character_found_only_in_bodies_wherever_it_stands(api, supervisor, library):
    # Bodies index a character alone only where it starts no pair (build.py): the middle,
    # the end and the spot before a space must all still be found, before and after edits
    lib = get_library(supervisor, "company")
    do_create_reply(supervisor, lib, {"title": "尾字", "body": "最后一个字是镯"})
    do_create_reply(supervisor, lib, {"title": "空格", "body": "镯 后面是空格"})
    api(supervisor).get("replies/search", data={"q": "镯"})  # the index exists from here on
    do_create_reply(supervisor, lib, {"title": "中间", "body": "玉镯子一只"})   # a delta
    do_create_reply(supervisor, lib, {"title": "末尾新", "body": "又一个镯"})   # a delta
    got = titles(api(supervisor).get("replies/search", data={"q": "镯"}))
    assert sorted(got) == sorted(["尾字", "空格", "中间", "末尾新"])


@pytest.mark.django_db
def test_several_terms_find_the_best_match_among_many_weaker_ones(api, supervisor, library):
    # Given one reply with both terms in its title, created first (the oldest), and two
    # hundred newer ones with one term in the title and the other in the body
    lib = get_library(supervisor, "company")
    do_create_reply(supervisor, lib, {"title": "运费险与发货", "body": "见详情"})
    for i in range(200):
        do_create_reply(supervisor, lib, {"title": f"发货说明{i}", "body": "运费由商家承担"})
    # Then the one matching both in the title comes first, and the list is still full
    got = titles(api(supervisor).get("replies/search", data={"q": "发货 运费"}))
    assert got[0] == "运费险与发货"
    assert len(got) == 10


@pytest.mark.django_db
def test_a_use_counted_in_the_rows_an_index_read_is_not_counted_again(supervisor, library):
    # Given an index just built from the database
    REGISTRY.clear()
    ix = REGISTRY.get(supervisor.organization_id)
    reply = library["还款方式"]
    doc = ix.doc_of.get(reply.id)
    before = float(ix.team[doc])

    def use_event(at: float) -> dict[str, Any]:
        return {"type": "reply_uses", "op": "add", "id": reply.id,
                "member_id": supervisor.id, "at": at}

    # When the event of a use made before the rows were read arrives (replayed after a
    # build that read the database while it was on its way)
    REGISTRY.apply(supervisor.organization_id, ix, use_event(ix.read_at - 1))
    # Then it is not counted twice; a use made after the read is counted
    assert float(ix.team[doc]) == before
    REGISTRY.apply(supervisor.organization_id, ix, use_event(ix.read_at + 1))
    assert float(ix.team[doc]) > before


@pytest.mark.django_db
def test_the_migration_rewrites_keys_stored_by_an_older_version(supervisor, library):
    from django.apps import apps
    from django.db import connection

    from kefu.replies.search.keys import KEYS_VERSION, search_keys_for

    migration = importlib.import_module("kefu.replies.migrations.0002_search_keys_v2")
    # Given replies whose stored keys are of version 1 (已 read yi or si)
    Reply.objects.update(search_keys={"v": 1, "t": "yi/si", "g": "_"})
    # When the migration runs (it needs only the editor's connection)
    migration.rewrite_keys(apps, SimpleNamespace(connection=connection))
    # Then every reply's keys are today's, computed from its own title and tags
    for reply in Reply.objects.all():
        assert reply.search_keys["v"] == KEYS_VERSION
        assert reply.search_keys == search_keys_for(reply)
