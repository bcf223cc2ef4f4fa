"""The search engine on libraries too big to create through the API in a test: an index
built straight from rows, as the registry builds it from the database."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kefu.replies.libraryset import LibraryInfo
from kefu.replies.search import engine
from kefu.replies.search.index import OrgIndex
from kefu.replies.search.text import pasted_passage

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def build(titles: list[tuple[str, int]]) -> OrgIndex:
    """An index of replies with these titles and use counts (ids from 1)."""
    return build_rows([
        {"id": i, "title": title, "body": "详见页面说明", "usage_count": uses,
         "last_used_at": NOW if uses else None, "updated_at": NOW - timedelta(minutes=i)}
        for i, (title, uses) in enumerate(titles, start=1)])


def build_rows(rows: list[dict[str, Any]]) -> OrgIndex:
    """An index of these rows, all in library 1, used and edited at NOW unless they say."""
    ix = OrgIndex(1)
    ix.set_libraries([LibraryInfo(1, "company", None, None)])
    ix.build([{"library_id": 1, "last_used_at": NOW, "updated_at": NOW, **r} for r in rows])
    return ix


def found(ix: OrgIndex, q: str, member: int = 7) -> list[str]:
    return [title for title, _kind in listed(ix, q, member)]


def listed(ix: OrgIndex, q: str, member: int = 7) -> list[tuple[str, str]]:
    """Titles and match kinds of the first ten results."""
    hits = engine.search(ix, engine.Viewer(member, frozenset({1})), q, limit=10)
    return [(ix.title(h.doc), h.match.kind) for h in hits]


def test_common_initials_find_the_most_used_and_the_members_own():
    # Given ten thousand titles with t…k… inside (退款, 特快, 提款…), one of them used by the
    # team far more than the rest, and one the searching member used themself
    titles = [(f"关于{w}{i}", 1) for i in range(3400) for w in ("退款", "特快", "提款")]
    titles += [("关于退款到账", 500), ("推广淘客", 0)]
    ix = build(titles)
    ix.own[7] = {len(titles): 3.0}  # 淘客推广: the member's own uses
    # Then "tk" lists the team's favourite first and the member's own among the ten
    got = found(ix, "tk")
    assert got[0] == "关于退款到账"
    assert "推广淘客" in got
    assert len(got) == 10


def test_common_initials_reach_rarely_used_replies_when_the_used_ones_do_not_match():
    # Given ten thousand titles read t…k…, none of them used, and a thousand much used
    # replies that do not read t…k…
    titles = [(f"关于退款{i}", 0) for i in range(10_000)]
    titles += [(f"发货时间{i}", 50) for i in range(1500)]
    ix = build(titles)
    # Then "tk" still fills the list with replies that match
    got = found(ix, "tk")
    assert len(got) == 10
    assert all(t.startswith("关于退款") for t in got)
    # And a chain of three units too ("tkh": 退款很快 reads t k h)
    ix2 = build([(f"关于退款很快{i}", 0) for i in range(9000)] + [(f"发货{i}", 50)
                                                            for i in range(2000)])
    assert len(found(ix2, "tkh")) == 10


def test_dense_posting_lists_as_bitmaps_answer_like_arrays():
    # Given postings where some keys hold most documents (kept as bitmaps) and others few
    import numpy as np

    from kefu.replies.search.postings import Bits, Postings

    rng = np.random.default_rng(7)
    n = 5000
    keys = np.concatenate([np.full(4000, 1 << 21 | 5), np.full(3000, 1 << 21 | 9),
                           np.full(40, 2 << 21 | 1), rng.integers(3 << 21, 3 << 21 | 50, 20000)])
    docs = np.concatenate([rng.choice(n, 4000, replace=False), rng.choice(n, 3000),
                           rng.choice(n, 40), rng.integers(0, n, 20000)]).astype(np.uint32)
    plain = Postings.build(keys.astype(np.uint64), docs)
    packed = Postings.build(keys.astype(np.uint64), docs, n_docs=n)
    assert packed.dense  # the two crowded keys became bitmaps
    assert packed.nbytes() < plain.nbytes()
    # And documents added after the build reach both
    for p in (plain, packed):
        p.add({1 << 21 | 5, 2 << 21 | 1}, n + 3)
    # Then every lookup gives the same documents
    for key in {int(k) for k in keys} | {12345}:
        assert np.array_equal(plain.get(key), packed.get(key)), key
        probe = np.arange(n + 5, dtype=np.int32)
        found = packed.lookup(key)
        inside = found.has(probe) if isinstance(found, Bits) else np.isin(probe, found)
        assert np.array_equal(inside, np.isin(probe, plain.get(key))), key
    for lo in (1, 2, 3):
        assert np.array_equal(plain.range_docs(lo << 21, (lo + 1) << 21),
                              packed.range_docs(lo << 21, (lo + 1) << 21)), lo


def test_usage_scores_decay_with_time_and_keep_their_order(monkeypatch):
    # Given replies used 900, 30 and 0 times
    ix = build([("退款说明甲", 900), ("退款说明乙", 30), ("退款说明丙", 0)])
    viewer = engine.Viewer(7, frozenset({1}))

    def scores() -> list[tuple[str, float]]:
        return [(ix.title(h.doc), h.score) for h in engine.search(ix, viewer, "退款")]

    now = scores()
    # When the next search comes a half-life (30 days) later, with no use meanwhile
    later = time.time() + 30 * 86400
    monkeypatch.setattr(engine.time, "time", lambda: later)
    then = scores()
    # Then the same order, each used reply's usage about halved (log(1 + uses))
    assert [t for t, _ in then] == [t for t, _ in now] == ["退款说明甲", "退款说明乙",
                                                           "退款说明丙"]
    for (_t, before), (_t2, after), uses in zip(now, then, (900, 30), strict=False):
        assert abs((after % 100) - math.log1p(math.expm1(before % 100) / 2)) < 0.01, uses
    assert then[2][1] == now[2][1]  # never used: nothing to decay


def test_a_rare_latin_word_is_found_among_thousands_that_hold_its_letter_pairs():
    # Given three thousand much used replies about XXL (every letter pair of "xxxl" is in
    # them) and one never used reply about XXXL
    rows: list[dict[str, Any]] = [
        {"id": i, "title": f"尺码说明{i}", "body": f"亲，这款有XXL码，{i}号仓发货",
         "library_id": 1, "usage_count": 5, "last_used_at": NOW, "updated_at": NOW}
        for i in range(1, 3001)]
    rows.append({"id": 3001, "title": "加大码", "body": "亲，XXXL码明天到货", "library_id": 1,
                 "usage_count": 0, "last_used_at": None, "updated_at": NOW})
    ix = OrgIndex(1)
    ix.set_libraries([LibraryInfo(1, "company", None, None)])
    ix.build(rows)
    # Then "xxxl" finds that one reply, and "xxl" the others as well
    assert found(ix, "xxxl") == ["加大码"]
    assert len(found(ix, "xxl")) == 10
    # And a reply written after the build is found the same way
    ix.upsert({"id": 3002, "title": "XXXXL加肥款", "body": "亲，有的", "library_id": 1,
               "updated_at": NOW})
    assert found(ix, "xxxxl") == ["XXXXL加肥款"]
    assert sorted(found(ix, "xxxl")) == ["XXXXL加肥款", "加大码"]


def test_initials_find_the_title_they_start_among_thousands_sharing_part_of_them():
    def first_match(ix: OrgIndex, q: str) -> tuple[str, str]:
        hit = engine.search(ix, engine.Viewer(7, frozenset({1})), q, limit=10)[0]
        return ix.title(hit.doc), hit.match.kind

    # Given two thousand much used titles starting t-h and holding h-h further in
    # (退货说明换货…), and one never used title starting t-h-h
    ix = build([(f"退货说明换货{i}", 9) for i in range(2000)] + [("退换货政策", 0)])
    # Then "thh" finds it as a title start: its first two units start 2,001 titles
    assert first_match(ix, "thh") == ("退换货政策", "pinyin_title_prefix")
    # Given instead thousands of t-h and h-h further in (关于退货换货…), and one title
    # starting t-h
    ix = build([(f"关于退货换货{i}", 9) for i in range(2000)] + [("退换货政策", 0)])
    # Then it is still the title start
    assert first_match(ix, "thh") == ("退换货政策", "pinyin_title_prefix")


def test_only_readings_in_use_match_so_initials_find_what_was_meant():
    # Given a much used reply whose title starts 已发 (read yi fa; pypinyin also lists an
    # archaic si for 已) and others whose characters have such readings (完 kuan, 是 ti:
    # 是快 would read t-k)
    ix = build([("已发货修改地址", 50), ("完成订单后评价", 50), ("是快递的问题吗", 50),
                ("顺丰补差价", 1), ("退款说明", 1), ("还款方式", 1), ("银行卡支付", 1)])
    # Then initials and pinyin find only the replies read that way
    assert found(ix, "sf") == ["顺丰补差价"]
    assert found(ix, "kuan") == ["退款说明", "还款方式"]
    assert found(ix, "tk") == ["退款说明"]
    # And real polyphones are still found by either reading
    assert found(ix, "huankuan") == ["还款方式"]
    assert found(ix, "yinhang") == ["银行卡支付"]


def test_the_common_miswriting_of_a_coupon_finds_coupons_and_back():
    ix = build([("优惠券使用说明", 5), ("店铺优惠劵领取", 1), ("发货时间", 9)])
    assert found(ix, "优惠劵") == ["优惠券使用说明", "店铺优惠劵领取"]
    assert found(ix, "优惠券") == ["优惠券使用说明", "店铺优惠劵领取"]
    assert found(ix, "yhq") == ["优惠券使用说明", "店铺优惠劵领取"]


def test_codes_sizes_and_temperatures_keep_their_marks_in_a_query():
    # Given replies with a hyphenated key, a size with a decimal point and a temperature
    rows: list[dict[str, Any]] = [
        {"id": 1, "title": "退款说明", "body": "原路退回", "key": "SQ-001", "library_id": 1,
         "updated_at": NOW},
        {"id": 2, "title": "重量1.5kg以内包邮", "body": "超重补运费", "library_id": 1,
         "updated_at": NOW},
        {"id": 3, "title": "洗涤说明", "body": "水温不超过30°C", "library_id": 1,
         "updated_at": NOW}]
    ix = OrgIndex(1)
    ix.set_libraries([LibraryInfo(1, "company", None, None)])
    ix.build(rows)

    def first(q: str) -> tuple[str, str]:
        hit = engine.search(ix, engine.Viewer(7, frozenset({1})), q, limit=10)[0]
        return ix.title(hit.doc), hit.match.kind

    # Then the marks inside a term stay, and those at its ends go with the punctuation
    assert first("SQ-001") == ("退款说明", "shortcut")
    assert first("sq-001。") == ("退款说明", "shortcut")
    assert first("1.5kg") == ("重量1.5kg以内包邮", "title")
    assert first("30°C") == ("洗涤说明", "body")
    assert first("退款.") == first("-退款") == ("退款说明", "title_prefix")


def test_numbers_in_digits_find_them_in_chinese_numerals_and_back():
    # Given replies writing their numbers one way or the other
    ix = build([("七天无理由退换说明", 5), ("双11发货时间", 3), ("两件包邮规则", 1),
                ("24小时内发货", 2), ("满三百减三十活动", 1), ("第一次购买须知", 1)])

    def first(q: str) -> tuple[str, str, list[tuple[int, int]]]:
        hit = engine.search(ix, engine.Viewer(7, frozenset({1})), q, limit=10)[0]
        return ix.title(hit.doc), hit.match.kind, hit.match.title

    # Then digits typed find numerals written, in the tier of the place they match, and
    # the highlight covers what is written
    assert first("7天无理由") == ("七天无理由退换说明", "numeral_title_prefix", [(0, 5)])
    assert first("2件") == ("两件包邮规则", "numeral_title_prefix", [(0, 2)])
    assert first("满300减30")[0] == "满三百减三十活动"
    # And numerals typed find digits written
    assert first("双十一") == ("双11发货时间", "numeral_title_prefix", [(0, 3)])
    assert first("二十四小时") == ("24小时内发货", "numeral_title_prefix", [(0, 4)])
    # And a writing found as typed needs no other: 第一次 is not 第1次
    assert first("第一次") == ("第一次购买须知", "title_prefix", [(0, 3)])
    # And several terms match each in either writing
    assert first("7天 退换")[0] == "七天无理由退换说明"
    assert first("退换 七天")[0] == "七天无理由退换说明"
    assert first("发货 双十一")[1] == "title+numeral_title_prefix"


def test_a_number_written_the_other_way_in_a_title_ranks_above_the_typed_one_in_bodies():
    # Given a dozen much used replies holding 7天无理由 only in their bodies, and one whose
    # title writes it 七天无理由
    rows = [{"id": i, "title": f"退换说明{i}", "body": "支持7天无理由退换", "usage_count": 50}
            for i in range(1, 13)]
    rows.append({"id": 13, "title": "七天无理由退换说明", "body": "详见页面", "usage_count": 1})
    got = listed(build_rows(rows), "7天无理由")
    # Then the title comes first, though the bodies alone fill a page
    assert got[0] == ("七天无理由退换说明", "numeral_title_prefix")
    assert [kind for _title, kind in got[1:]] == ["body"] * 9


def test_a_passage_pasted_from_a_reply_finds_that_reply_first():
    # Given a rarely used reply holding a sentence, and much used replies holding its
    # words apart, one of them in its title
    rows = [{"id": 1, "title": "发货通知", "body": "亲，您的订单已发货，请耐心等待哦。",
             "usage_count": 1},
            {"id": 2, "title": "订单查询", "body": "请耐心等待，您的订单在路上",
             "usage_count": 90},
            {"id": 3, "title": "物流说明", "body": "您的订单已发货。快递会尽快送达，请耐心等待",
             "usage_count": 80}]
    ix = build_rows(rows)
    # When an agent pastes the sentence, punctuation and all (the marks at its ends cut)
    got = listed(ix, "，您的订单已发货，请耐心等待")
    # Then the reply holding it as it stands comes first, highlighted whole, and the
    # replies holding its words apart follow
    assert got[0] == ("发货通知", "passage_body")
    assert [t for t, _k in got[1:]] == ["物流说明"]
    hit = engine.search(ix, engine.Viewer(7, frozenset({1})), "您的订单已发货，请耐心等待")[0]
    (a, b), = hit.match.body
    assert ix.body(hit.doc)[a:b] == "您的订单已发货，请耐心等待"
    # And words typed with a space between are separate words, ranked by use
    assert found(ix, "订单 耐心等待") == ["订单查询", "物流说明", "发货通知"]


def test_a_long_passage_is_told_apart_by_its_end():
    # Given 2,100 much used replies starting a sentence alike, and one rarely used whose
    # sentence ends otherwise: more replies share its start than a search verifies
    rows = [{"id": i, "title": f"会员说明{i}", "body": f"欢迎加入会员群，不定期有福利，欢迎{i}",
             "usage_count": 50} for i in range(1, 2101)]
    rows.append({"id": 2101, "title": "清仓通知", "body": "欢迎加入会员群，不定期有福利，尾货清仓",
                 "usage_count": 1})
    # Then a passage pasted from it finds it first
    assert listed(build_rows(rows), "员群，不定期有福利，尾")[0] == ("清仓通知", "passage_body")


def test_the_typed_writing_of_a_number_ranks_with_the_other_by_use():
    # Given both writings of a number, the Chinese one much used
    ix = build([("7天无理由退换", 1), ("七天无理由退换（新版）", 40), ("运费说明", 60)])
    # Then both are listed, by use, for either writing typed
    assert found(ix, "7天无理由") == ["七天无理由退换（新版）", "7天无理由退换"]
    assert found(ix, "七天无理由") == ["七天无理由退换（新版）", "7天无理由退换"]


def test_three_or_four_terms_rank_by_the_mean_of_each_terms_best_match():
    # Given six hundred replies mixing a few words in titles and bodies, used at random
    import random

    rng = random.Random(4)
    words = ["退款", "发货", "地址", "快递", "尺码", "优惠券", "质量", "换货"]
    rows: list[dict[str, Any]] = []
    for i in range(1, 601):
        title = "".join(rng.sample(words, 2)) + f"说明{i}"
        body = "亲，" + "，".join(rng.sample(words, 3)) + "请看详情页"
        rows.append({"id": i, "title": title, "body": body, "library_id": 1,
                     "usage_count": rng.randrange(0, 50), "last_used_at": NOW,
                     "updated_at": NOW - timedelta(minutes=i)})
    ix = OrgIndex(1)
    ix.set_libraries([LibraryInfo(1, "company", None, None)])
    ix.build(rows)
    viewer = engine.Viewer(7, frozenset({1}))

    def best_tiers(term: str) -> dict[int, tuple[float, float]]:
        """Each reply holding the term: its best tier, and its usage part of the score."""
        hits = engine.search(ix, viewer, term, limit=len(rows))
        return {h.doc: (h.match.tier, h.score - h.match.tier * 100) for h in hits}

    for q in ["退款 发货 地址", "退款 发货 地址 快递", "tk 发货 dz", "尺码 质量 换货 优惠券"]:
        # When several terms are searched
        got = engine.search(ix, viewer, q, limit=10)
        # Then the list is the ten best by the mean of each term's best match, plus usage,
        # as computed reply by reply from each term alone
        each = [best_tiers(t) for t in q.split()]
        common = set(each[0]).intersection(*each[1:])
        expected = sorted((sum(e[d][0] for e in each) / len(each) * 100 + each[0][d][1]
                           for d in common), reverse=True)[:10]
        assert len(got) == min(10, len(common))
        assert [round(h.score, 6) for h in got] == [round(x, 6) for x in expected], q


@pytest.mark.parametrize("q", ["您 尺码的规格", "尺码的规格 您", "规格 尾货清仓",
                               "您 尺码的规格 尾货", "码的 格表 您", "尾 您 7天", "您 7天",
                               "7天 格表尺码"])
def test_words_found_only_in_bodies_list_exactly_the_replies_holding_them_all(q: str):
    # Given 1,200 replies whose titles hold none of the words: almost every body starts
    # with 您, many hold the bigrams of 尺码的规格 without the word, some hold the word,
    # a few 尾货清仓 or a number in either writing
    import random

    rng = random.Random(12)
    parts = ["尺码的规格表", "码的规格", "尺码的", "的规格", "格表尺码", "尾货清仓", "7天无理由",
             "七天无理由", "退货地址"]
    rows = []
    for i in range(1, 1201):
        body = ("您好，" if rng.random() < 0.97 else "亲，") + "，".join(rng.sample(parts, 3))
        rows.append({"id": i, "title": f"说明{i}", "body": body, "usage_count": i})
    ix = build_rows(rows)
    # When the words are searched together
    got = found(ix, q)
    # Then the list is the most used replies whose body holds every word (7天 either way)
    words = [["7天", "七天"] if w == "7天" else [w] for w in q.split()]
    holding = [r for r in rows if all(any(x in r["body"] for x in w) for w in words)]
    holding.sort(key=lambda r: -r["usage_count"])
    assert holding
    assert got == [r["title"] for r in holding[:10]]


@pytest.mark.parametrize(("q", "kind"), [
    ("羽绒服洗说明书注意", "edit_missing_char"),  # 涤 left out
    ("绒服洗涤说明书注意项", "edit_missing_char"),  # 事 left out near the end
    ("羽绒服洗涤涤说明书注意事项", "edit_extra_char"),  # 涤 typed twice
    ("加绒羽绒服洗涤说明注意事项", "edit_missing_char"),  # 书 left out
])
def test_a_long_term_with_a_character_left_out_or_added_finds_its_title(q: str, kind: str):
    # Given a rarely used reply with a long title, and 400 much used ones holding its
    # words apart or all but one of its characters
    rows = [{"id": 1, "title": "加绒羽绒服洗涤说明书注意事项", "body": "详见页面",
             "usage_count": 1}]
    rows += [{"id": 2 + i, "title": title, "body": "详见页面", "usage_count": 50}
             for i, title in enumerate(
        [f"羽绒服{i}号说明书" for i in range(200)] + [f"洗涤注意{i}" for i in range(200)])]
    # Then the long title is found through its one edit
    assert listed(build_rows(rows), q)[0] == ("加绒羽绒服洗涤说明书注意事项", kind)


def test_a_phrase_matching_nothing_finds_replies_by_its_longest_matching_part():
    # Given replies whose titles hold words an agent types inside longer phrases
    ix = build([("退款到账时间", 5), ("发货时间说明", 9), ("还没发货怎么办", 1), ("换颜色", 2),
                ("面料成分说明", 30), ("鞋码11号对照", 3)])

    def listed(q: str) -> list[tuple[str, str, list[str]]]:
        hits = engine.search(ix, engine.Viewer(7, frozenset({1})), q, limit=10)
        return [(t := ix.title(h.doc), h.match.kind, [t[a:b] for a, b in h.match.title])
                for h in hits]

    # Then the words that match are found wherever they stand in what was typed, the
    # longest first, and highlighted
    assert listed("我要退款") == [("退款到账时间", "part_title_prefix", ["退款"])]
    assert listed("为什么还没发货")[0] == ("还没发货怎么办", "part_title_prefix", ["还没发货"])
    assert listed("想换个颜色") == [("换颜色", "part_title", ["颜色"])]
    # And a part found at the start is labelled so, as the longest start of pinyin is
    assert listed("发货时间呢亲")[0] == ("发货时间说明", "partial_title_prefix", ["发货时间"])
    assert listed("fhsjgj")[0][:2] == ("发货时间说明", "partial_pinyin_title_prefix")
    # And such matches rank below every match of the whole query
    assert engine.search(ix, engine.Viewer(7, frozenset({1})), "我要退款")[0].score < 100
    # And digits alone are no reading of a phrase: 双11 does not list every code with 11
    assert listed("双11") == []


def test_a_phrase_is_found_by_what_it_is_about_before_how_it_asks():
    # Given a reply about 马甲 and much used replies whose example questions ask 怎么办呢
    rows = [{"id": 1, "title": "马甲尺码", "body": "详见尺码表", "usage_count": 1}]
    rows += [{"id": i, "title": f"售后说明{i}", "body": "联系客服", "usage_count": 50,
              "questions": ["坏了怎么办呢", "这个衣服有没有优惠"]} for i in range(2, 30)]
    rows.append({"id": 30, "title": "M码库存", "body": "详见库存", "usage_count": 2})
    ix = build_rows(rows)
    # Then the words between 怎么办, 有没有 and a closing 呢 or 的 are looked for first
    assert listed(ix, "马甲怎么办呢") == [("马甲尺码", "partial_title_prefix")]
    assert listed(ix, "这个衣服有没有M码的")[0] == ("M码库存", "part_title_prefix")
    # And a phrase of such words alone is still looked for as it is
    assert listed(ix, "你好怎么办呢")[0] == ("售后说明2", "part_tags_questions")


def test_the_longest_matching_start_is_found_however_much_follows_it():
    # Given replies whose titles start alike
    ix = build([("发货时间说明", 5), ("发货时间调整", 9), ("发货地址修改", 2),
                ("型号abcdefghijklmnopqrst", 1)])

    def first(q: str) -> tuple[str, list[str]]:
        hit = engine.search(ix, engine.Viewer(7, frozenset({1})), q, limit=10)[0]
        title = ix.title(hit.doc)
        return title, [title[a:b] for a, b in hit.match.title]

    # Then pinyin followed by letters that match nothing finds the reply its longest
    # start matches, and highlights all of it: the search for that start steps down from
    # the whole term, then halves back up (30 letters: 29 … 24, 22, 18, 20, 21)
    assert first("fahuoshijianshuoming" + "q" * 10) == ("发货时间说明", ["发货时间说明"])
    # (a code of 20 letters followed by 10 digits: 29 … 24, 22, then 18 matches, and
    # halving finds 20)
    assert first("abcdefghijklmnopqrst" + "9" * 10) == ("型号abcdefghijklmnopqrst",
                                                        ["abcdefghijklmnopqrst"])
    # And with a shorter tail, one character at a time
    assert first("fahuoshijiantiaozheng" + "qq") == ("发货时间调整", ["发货时间调整"])
    assert first("fahuodizhi" + "qx") == ("发货地址修改", ["发货地址"])
    # And a long run of letters matching nothing lists nothing
    assert found(ix, "x" * 60) == []


def test_own_usage_counts_the_same_for_a_few_replies_and_for_thousands():
    # Given a member who used a few replies of a library of a thousand
    import numpy as np

    ix = build([(f"退款说明{i}", i % 7) for i in range(1000)])
    ix.own[7] = {ix.reply_id[d]: float(d % 5 + 1) for d in (3, 250, 251, 998)}
    s = engine.Search(ix, engine.Viewer(7, frozenset({1})), limit=10)
    docs = np.arange(1000, dtype=np.int32)
    # Then usage over all of them (searched as an array) equals usage taken a few at a
    # time (looked up one by one), and the member's own replies count more
    whole = s.usage(docs)
    pieces = np.concatenate([s.usage(docs[i:i + 50]) for i in range(0, 1000, 50)])
    assert np.array_equal(whole, pieces)
    team = engine.Search(ix, engine.Viewer(8, frozenset({1})), limit=10).usage(docs)
    assert set(np.flatnonzero(whole > team).tolist()) == {3, 250, 251, 998}


@pytest.mark.parametrize(("q", "passage"), [
    ("，您的订单已发货，请耐心等待！", "您的订单已发货,请耐心等待"),  # folded, ends trimmed
    ("等待！您的订单", "等待!您的订单"),
    ("您。尺码的规", "您。尺码的规"),  # part of a sentence, cut anywhere
    ("退货，地址", None),  # a few words copied with their punctuation
    ("您的订单 请耐心等待", None),  # typed as separate words
    ("您的订单已发货", None),  # one term
])
def test_a_pasted_passage_is_several_words_joined_by_punctuation(q: str, passage: str | None):
    assert pasted_passage(q) == passage


def test_a_match_in_tags_or_questions_marks_the_words_in_the_body_where_it_has_them():
    # Given two replies tagged 七天无理由 (titles without it), one saying it in its body,
    # and one found through an example question
    ix = build_rows([
        {"id": 1, "title": "退货政策", "body": "本店支持七天无理由退换，请放心",
         "tags": ["七天无理由"], "usage_count": 5},
        {"id": 2, "title": "售后说明", "body": "签收后可申请售后", "tags": ["七天无理由"],
         "usage_count": 3},
        {"id": 3, "title": "尺码建议", "body": "亲，身高体重发我，帮您选尺码", "usage_count": 1,
         "questions": ["帮我选尺码"]}])
    viewer = engine.Viewer(7, frozenset({1}))
    hits = engine.search(ix, viewer, "七天无理由", limit=5)
    # Then both come as tag matches, and the body holding the words has them marked
    assert [(int(ix.reply_id[h.doc]), h.match.kind) for h in hits] == \
        [(1, "tags_questions"), (2, "tags_questions")]
    assert [(ix.body(hits[0].doc)[a:b]) for a, b in hits[0].match.body] == ["七天无理由"]
    assert hits[1].match.body == []
    assert hits[1].match.title == []
    # And with other words (AND), each term's marks are where the body has it
    both = engine.search(ix, viewer, "七天无理由 放心", limit=5)
    assert [int(ix.reply_id[h.doc]) for h in both] == [1]
    marked = sorted(ix.body(both[0].doc)[a:b] for a, b in both[0].match.body)
    assert marked == ["七天无理由", "放心"]
    # A question's words are marked only where the body says them as they stand
    asked = engine.search(ix, viewer, "帮我选尺码", limit=5)
    assert asked[0].match.kind == "tags_questions"
    assert asked[0].match.body == []


def test_matches_far_down_a_long_candidate_list_are_still_found():
    # Given many titles holding both bigrams of 退款单 but not the word (退款款单), the most
    # used of them first, then five that hold it, then more that do not
    titles = [(f"关于退款款单{i}", 100) for i in range(130)]
    titles += [(f"关于退款单{i}", 50) for i in range(5)]
    titles += [(f"关于退款款单{i}", 1) for i in range(130, 330)]
    ix = build(titles)
    # Then the five are found as title matches, though the best used candidates, verified
    # first and a chunk at a time, are not
    got = listed(ix, "退款单")
    assert sorted(got[:5]) == [(f"关于退款单{i}", "title") for i in range(5)]
