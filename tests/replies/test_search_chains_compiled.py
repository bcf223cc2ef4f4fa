"""The compiled pinyin matcher (search/_chains.pyx) against reading every title character
by character: for each chain of a query, the same occurrences anywhere and at the start,
polyphones both ways, replies added after the build, and the narrowing to the most used."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from kefu.replies.search import query as Q
from kefu.replies.search.build import POS_BITS
from kefu.replies.search.index import OrgIndex
from kefu.replies.search.pinyin import Matcher
from kefu.replies.search.rank import Popular
from tests.replies.test_search_engine import NOW, build_rows

# Polyphones (还 hai/huan, 长 chang/zhang, 重 zhong/chong, 行 xing/hang, 发 fa) among
# plain characters, and a latin letter and digit that read as themselves.
CHARS = "还长重行发货退款换快递特提推广码xl3"


def _titles(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(CHARS) for _ in range(rng.randrange(1, 9))) for _ in range(n)]


@pytest.fixture(scope="module")
def index() -> OrgIndex:
    rng = random.Random(20261207)
    ix = build_rows([{"id": i, "title": t, "body": "", "usage_count": rng.randrange(0, 50)}
                     for i, t in enumerate(_titles(rng, 600), start=1)])
    for i, t in enumerate(_titles(rng, 40), start=601):  # after the build: in ``delta``
        ix.upsert({"id": i, "title": t, "body": "", "library_id": 1, "updated_at": NOW})
    return ix


def _expected(ix: OrgIndex, chain: Q.Chain, start_only: bool) -> set[tuple[int, int]]:
    """(document, position) wherever each unit's tokens meet the character's there."""
    found = set()
    for doc in range(ix.n):
        title = ix.title(doc)
        last = len(title) - len(chain)  # the last place the chain may start
        for pos in range(min(last, 0) + 1 if start_only else last + 1):
            if all(set(ix.vocab.tokens(title[pos + i])) & unit.tokens
                   and (unit.check is None or title[pos + i] == unit.check)
                   for i, unit in enumerate(chain)):
                found.add((doc, pos))
    return found


def _pairs(occ: np.ndarray) -> set[tuple[int, int]]:
    return {(o >> POS_BITS, o & ((1 << POS_BITS) - 1)) for o in occ.tolist()}


QUERIES = ["hai", "huan", "hk", "zhang", "chang", "zhongk", "chongf", "xing", "hang",
           "fh", "fahuo", "tuik", "tk", "kuaidi", "kd", "t", "x", "xl", "3", "tg", "还kuan",
           "z款", "hhhh", "zzzz"]


@pytest.mark.parametrize("q", QUERIES)
def test_every_chain_matches_where_reading_the_titles_does(index: OrgIndex, q: str):
    m = Matcher(index, Q.parse_atoms(q), Q.EXACT)
    assert m.chains
    for chain in m.chains:
        anywhere = _expected(index, chain, start_only=False)
        assert _pairs(m.anywhere(chain)) == anywhere
        assert _pairs(m.at_start(chain)) == _expected(index, chain, start_only=True)
        alone = Matcher(index, Q.parse_atoms(q), Q.EXACT)
        alone.chains = [chain]
        if anywhere:  # each pair occurs where the chain does
            assert alone.possible()
        elif len(chain) == 1 and chain[0].check is None:
            assert not alone.possible()
    assert not m.narrowed  # nothing asked to narrow


def test_a_letter_no_title_holds_is_not_possible(index: OrgIndex):
    assert Matcher(index, Q.parse_atoms("tuikuan"), Q.EXACT).possible()
    assert not Matcher(index, Q.parse_atoms("q"), Q.EXACT).possible()
    assert not Matcher(index, Q.parse_atoms("tuiq"), Q.EXACT).possible()


@pytest.mark.parametrize("big", [0, 10**9])
def test_narrowing_keeps_only_the_most_used_and_the_extra_documents(
        index: OrgIndex, big: int, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("kefu.replies.search.pinyin.BIG", big)
    monkeypatch.setattr("kefu.replies.search.pinyin.START_BIG", big)
    m = Matcher(index, Q.parse_atoms("t"), Q.EXACT)  # 退 特 提 推: hundreds of titles
    chain = m.chains[0]
    everything = _pairs(m.anywhere(chain))
    starting = _pairs(m.at_start(chain))
    extra = np.array(sorted({d for d, _p in everything if d >= 300})[::3], dtype=np.int32)
    popular = Popular(100, extra)

    def kept(found: set[tuple[int, int]]) -> set[tuple[int, int]]:
        return {(d, p) for d, p in found if d < 100 or d in set(extra.tolist())}

    assert _pairs(m.anywhere(chain, popular)) == (kept(everything) if big == 0 else everything)
    assert _pairs(m.at_start(chain, popular)) == (kept(starting) if big == 0 else starting)
    assert m.narrowed == (big == 0)


def _bodies() -> OrgIndex:
    """430 replies whose bodies are made of a few words, 您好 in all of them (a bitmap:
    held by over a sixteenth), the last 30 added after the build (in ``delta``)."""
    rng = random.Random(5)
    words = ["您好", "退款", "发货", "七天", "abc1", "xl码", "亲 在", "运费险"]

    def body() -> str:
        return "您好" + "".join(rng.choice(words) for _ in range(rng.randrange(1, 5)))

    ix = build_rows([{"id": i, "title": f"回复{i}", "body": body(), "usage_count": 0}
                     for i in range(1, 401)])
    assert ix.body_grams.dense
    for i in range(401, 431):
        ix.upsert({"id": i, "title": f"回复{i}", "body": body(), "library_id": 1,
                   "updated_at": NOW})
    return ix


TERMS = ["您好", "退款", "好退", "款发货", "您好七天", "abc1", "bc1", "xl码", "码亲 在",
         "运费险退款", "七天abc", "没有的词", "亲 在"]


def _holding_pairs(ix: OrgIndex, term: str) -> set[int]:
    pairs = {a + b for a, b in itertools.pairwise(term) if " " not in a + b}
    return {d for d in range(ix.n) if all(p in ix.body(d).lower() for p in pairs)}


def test_rarest_gram_finds_the_bodies_holding_every_pair_bitmaps_and_late_additions_too():
    from kefu.replies.search.engine import rarest_gram

    ix = _bodies()
    for term in TERMS[:-1]:
        got = set(rarest_gram(ix.body_grams, term).tolist())
        assert {d for d in range(ix.n) if term in ix.body(d).lower()} <= got
        if len(term) <= 4 and not term.isascii():  # no early stop, no trigrams
            assert got == _holding_pairs(ix, term), term


def test_holding_filters_documents_by_every_pair_of_a_text():
    from kefu.replies.search import _chains as C

    ix = _bodies()
    rng = random.Random(6)
    for term in TERMS:
        within = np.array(sorted(rng.sample(range(ix.n), 150)), dtype=np.int32)
        expected = _holding_pairs(ix, term)  # 亲 在: no pair, every document
        got = C.holding(ix.body_grams.lists(), term, within)
        assert got.tolist() == [d in expected for d in within.tolist()], term
