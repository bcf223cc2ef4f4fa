"""Documents numbered by usage at the build (search/rank.py): the ranking must follow uses
and edits made after the build exactly as if the index had been built again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from kefu.replies.libraryset import LibraryInfo
from kefu.replies.search import engine
from kefu.replies.search.index import OrgIndex
from tests.replies.test_search_engine import NOW, build, found


def _use(ix, reply_id: int, times: int, member: int = 99) -> None:
    for k in range(times):
        ix.record_use(reply_id, member, NOW.timestamp() + k)


def test_a_reply_used_after_the_build_passes_the_most_used_of_a_long_list():
    # Given six hundred replies about 退款, most used first by number, and one never used
    titles = [(f"退款说明{i}", 600 - i) for i in range(600)] + [("退款到账时间", 0),
                                                              ("退款原路返回", 0)]
    ix = build(titles)
    assert np.all(np.diff(ix.prior[: ix.n]) <= 0)  # numbered most used first
    assert found(ix, "退款")[0] == "退款说明0"
    # When the team uses the forgotten one more than any other since the build
    _use(ix, len(titles) - 1, 3000)
    # Then it leads the list at once, without a rebuild
    got = found(ix, "退款")
    assert got[0] == "退款到账时间"
    assert got[1:4] == ["退款说明0", "退款说明1", "退款说明2"]
    # And another one used still more after that search passes it too
    _use(ix, len(titles), 4000)
    assert found(ix, "退款")[:2] == ["退款原路返回", "退款到账时间"]


def test_a_reply_used_after_the_build_joins_the_popular_ones_for_common_initials():
    # Given ten thousand titles read t…k… (too many to match all for "tk"), and one
    # never used
    titles = [(f"关于退款{i}", 10 + i % 7) for i in range(10_000)]
    titles += [("关于特快专递", 0), ("关于提款到卡", 0)]
    ix = build(titles)
    assert "关于特快专递" not in found(ix, "tk")
    # When it becomes the team's most used reply
    _use(ix, len(titles) - 1, 5000)
    # Then "tk" puts it first
    assert found(ix, "tk")[0] == "关于特快专递"
    # And one used still more after that search comes before it
    _use(ix, len(titles), 6000)
    assert found(ix, "tk")[:2] == ["关于提款到卡", "关于特快专递"]


def test_an_edited_reply_keeps_its_place_though_numbered_after_the_build():
    # Given many 退款 replies, one much used
    titles = [(f"退款说明{i}", 5) for i in range(500)] + [("退款流程", 900)]
    ix = build(titles)
    assert found(ix, "退款")[0] == "退款流程"
    # When it is edited (the index gives the new version a new number, after the others)
    ix.upsert({"id": len(titles), "title": "退款流程（新）", "body": "详见页面说明",
               "library_id": 1, "updated_at": NOW})
    # Then it still leads, by initials too
    assert found(ix, "退款")[0] == "退款流程（新）"
    assert found(ix, "tk")[0] == "退款流程（新）"


def test_an_index_grown_far_past_its_build_asks_to_be_built_again():
    ix = build([(f"退款{i}", 1) for i in range(100)])
    assert not ix.needs_rebuild()
    for i in range(2001):
        ix.upsert({"id": 1000 + i, "title": f"新话术{i}", "body": "正文", "library_id": 1,
                   "updated_at": NOW})
    # Thousands of replies numbered in no usage order: the next search builds afresh
    assert ix.needs_rebuild()
    hits = engine.search(ix, engine.Viewer(7, frozenset({1})), "新话术2000", limit=3)
    assert ix.title(hits[0].doc) == "新话术2000"  # still right until then


def test_titles_starting_with_common_initials_follow_uses_since_the_build():
    # Given three thousand titles starting 退款 (read t k), and two never used
    titles = [(f"退款说明{i}", 1 + i % 2) for i in range(3000)]
    titles += [("退快递费用", 0), ("提款方式", 0)]
    ix = build(titles)
    assert "退快递费用" not in found(ix, "tk")
    # When the team comes to use one most, and the searching member used the other
    _use(ix, len(titles) - 1, 5000)
    ix.own[7] = {len(titles): 3.0}
    ix.usage_epoch += 1
    # Then "tk" lists both among the titles it starts, the team's favourite first
    got = found(ix, "tk")
    assert got[0] == "退快递费用"
    assert "提款方式" in got
    assert all(t.startswith(("退", "提")) for t in got)


def test_after_many_uses_the_ranking_holds_and_the_index_asks_to_be_built_again():
    # Given ten thousand titles read t…k…, numbered by their uses at the build
    titles = [(f"关于退款{i}", 10 + i % 7) for i in range(10_000)]
    ix = build(titles)
    assert not ix.needs_rebuild()
    # When two thousand of the least used are used a lot since (more than the popular
    # replies the build set apart), the last of them most
    for reply_id in range(8001, 10_001):
        _use(ix, reply_id, 30 + (reply_id == 10_000) * 500)
    # Then searches still rank by the uses of now, and the next one rebuilds the index
    assert found(ix, "tk")[0] == "关于退款9999"
    assert found(ix, "退款")[0] == "关于退款9999"
    assert ix.needs_rebuild()


def _long_list(bodies: dict[int, str] | None = None) -> tuple[OrgIndex, list[str]]:
    """Three thousand titles starting 退款, most used first by number (ids from 1); bodies
    "详见页面说明" unless given."""
    titles = [f"退款说明{i}" for i in range(3000)]
    rows: list[dict[str, Any]] = [
        {"id": i, "title": title, "body": (bodies or {}).get(i, "详见页面说明"),
         "library_id": 1, "usage_count": 3000 - i, "last_used_at": NOW,
         "updated_at": NOW - timedelta(minutes=i)}
        for i, title in enumerate(titles, start=1)]
    ix = OrgIndex(1)
    ix.set_libraries([LibraryInfo(1, "company", None, None)])
    ix.build(rows)
    return ix, titles


def test_and_over_a_long_list_follows_uses_since_the_build():
    # Given 3,000 titles starting 退款 whose bodies all say 页面: "退款 页面" looks at the
    # first entries of the long list first (numbered by usage)
    ix, titles = _long_list()
    assert found(ix, "退款 页面")[:3] == titles[:3]
    # When the team uses one far down the list more than any other since the build
    _use(ix, 2900, 6000)
    # And the searching member used another one far down themself
    ix.own[7] = {2500: 2.0}
    ix.usage_epoch += 1
    # Then both come first: the team's favourite, then the member's own (counted double)
    assert found(ix, "退款 页面")[:3] == [titles[2899], titles[2499], titles[0]]


def test_and_over_a_long_list_looks_past_its_first_entries_when_they_match_too_few():
    # Given 3,000 titles starting 退款, and 运费险 in two bodies among the most used and
    # in many far down the list
    bodies = dict.fromkeys((5, 10, *range(2501, 2600)), "运费险说明")
    ix, titles = _long_list(bodies)
    # Then "退款 运费险" lists the two, then the most used of those far down, in order
    got = found(ix, "退款 运费险")
    assert got == [titles[4], titles[9], *titles[2500:2508]]
    # And a term only far down is found too
    assert found(ix, "退款说明2555 运费险") == [titles[2555]]
