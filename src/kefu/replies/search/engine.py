"""Query execution: candidates from postings, visibility inside the search, ranking by
match quality then usage, verification in rank order with early stop, typo fallbacks.

Score = 100 × tier + usage, where usage < 10 so a better kind of match always wins (tiers
differ by at least 0.1):

    tier 6  exact shortcut (/tk1) or key (编号)
    tier 5  title starts with the query (汉字 or pinyin/initials/mixed)
    tier 4  title contains it
    tier 3  tags, example questions, shortcut or key contain it
    tier 2  body contains it
    tier 2/1  typo passes, only when the above found fewer than 3: same or similar sound
            (按抚→安抚; 2 at the title start, 1 inside); 1.2 a character left out; 1.0 a
            character too many
    < 1     last resort: the longest part of the query that matches, its tier a tenth
            (fallback.py)
    same    the query's numbers written the other way (7天 → 七天, 双十一 → 双11), each
            tier searched right after the writing typed found fewer than the limit in
            the same tier (numerals.py)
    AND     several terms: the mean of their tiers
    5.5–5.2 several terms pasted as one passage (亲，您的订单已发货): the replies holding
            it as it stands, title start … body (passage_groups)

Within a tier, candidates are visited in order of usage (team usage decayed with a 30-day
half-life, plus the member's own usage counted double) and verified until enough match.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from kefu.replies.search import _chains as C
from kefu.replies.search import numerals
from kefu.replies.search import query as Q
from kefu.replies.search._sorted import allowed, by_usage
from kefu.replies.search.build import TRIGRAM_BASE, trigram_key
from kefu.replies.search.index import T0, TAU, OrgIndex, gram_key
from kefu.replies.search.match import Cands, GapVerify, Match, TextVerify, Verify, resolve
from kefu.replies.search.pinyin import Exact, pinyin_groups
from kefu.replies.search.postings import EMPTY, Bits, Docs, Postings, intersect, union
from kefu.replies.search.rank import Popular
from kefu.replies.search.text import has_han, pasted_passage, query_terms

MAX_VERIFY = 2000  # bound on verifications per query, whatever the library size
TYPO_MAX_VERIFY = 300
USAGE_CAP = 9.99  # usage part of a score: below 10, so a tier is worth more than any usage
SETTLED = 64  # rarest_gram: candidates few enough to verify rather than intersect further
SHARED_ENDS = 5  # _edit_passes: a longer term's splits share their sides' intersections
NUMERAL_AFTER = 0.01  # search_term: the other writing's tier runs after the typed one's
PASSAGE = 5.0  # passage_groups: a pasted passage's tiers are 5 + a tenth of the usual
# Typo passes run when exact matching found fewer than this many replies: someone who
# typed a word that exists gets what they typed, not its look-alikes.
TYPO_THRESHOLD = 3


@dataclass(slots=True)
class Hit:
    doc: int
    score: float
    match: Match
    own: float


@dataclass
class Viewer:
    """What the searching member may see: computed by the caller from the member."""

    member_id: int
    visible_library_ids: frozenset[int]


class Search:
    def __init__(self, index: OrgIndex, viewer: Viewer, limit: int,
                 category_id: int | None = None) -> None:
        self.ix = index
        self.viewer = viewer
        self.limit = limit
        self.category_id = category_id
        self.hits: dict[int, Hit] = {}
        self.max_verify = MAX_VERIFY  # typo passes lower it: they are a fallback
        self.team_usage = index.usage_now((time.time() - T0) / TAU)
        self.mask = index.visibility_mask(viewer.visible_library_ids)
        self.own, self.own_docs = index.own_docs(viewer.member_id)
        self._own_uses: np.ndarray | None = None  # of own_docs, when first needed
        self._popular: Popular | None = None

    # --- candidate handling --------------------------------------------------------

    def _allowed(self, cands: np.ndarray) -> np.ndarray:
        """Visibility and liveness are filtered here, before ranking: a reply the member
        may not see can never take a place in the list."""
        if cands.size == 0:
            return cands
        if self.category_id is None:
            return allowed(cands, self.mask)
        ix = self.ix
        ok = self.mask[cands]
        ok &= (ix.cat[cands] == self.category_id) | (ix.topcat[cands] == self.category_id)
        return cands[ok]

    def usage(self, docs: np.ndarray) -> np.ndarray:
        """Exact usage part of the score of documents: a tier's few, or every reply that may
        hold all of several terms (conjunction._search_by_bounds), thousands at times."""
        score = self.team_usage[docs]  # a copy
        if (own := self._own_part(docs)) is not None:
            score += own
        return np.minimum(score, USAGE_CAP, out=score)

    def by_usage(self, docs: np.ndarray) -> tuple[list[int], list[float]]:
        """``docs`` and their usage (as ``usage``), most used first, ties in their order."""
        return by_usage(docs, self.team_usage, self._own_part(docs), USAGE_CAP)

    def _own_part(self, docs: np.ndarray) -> np.ndarray | None:
        """The member's own usage of each of ``docs`` (counted double), or None if none."""
        if not self.own:
            return None
        if docs.size <= 64:  # a dict lookup each costs less than array steps
            return 2.0 * np.log1p(np.array([self.own.get(d, 0.0) for d in docs.tolist()]))
        # the member's own used replies found among docs by binary search
        mine = self.own_docs
        at = np.searchsorted(mine, docs)
        at[at == mine.size] = 0
        found = mine[at] == docs
        if self._own_uses is None:
            self._own_uses = np.array([self.own[d] for d in mine.tolist()])
        part = np.zeros(docs.size)
        part[found] = 2.0 * np.log1p(self._own_uses[at[found]])
        return part

    def popular(self) -> Popular | None:
        """The most used replies and the member's own used ones: a ranking by usage looks
        there first (pinyin.Matcher.anywhere). None before any build has ranked them."""
        if self._popular is None and self.ix.rank.ranked:
            self._popular = self.ix.rank.popular(self.own_docs)
        return self._popular

    def pool(self, cands: np.ndarray, k: int) -> tuple[np.ndarray, bool]:
        """The best ``k`` candidates by the static prior plus the member's own used ones
        (or a few more), and whether there are others (``rest``, in prior order)."""
        if cands.size <= k:
            return cands, False
        prior = self.ix.prior
        pool = self.ix.rank.head(cands, k, prior)  # documents are numbered by usage
        if pool is None:
            pool = cands[np.argpartition(prior[cands], cands.size - k)[-k:]]
        if self.own_docs.size:
            mine = self.own_docs[np.isin(self.own_docs, cands, assume_unique=True)]
            pool = union([pool, mine])
        return pool, pool.size < cands.size

    def rest(self, cands: np.ndarray, pool: np.ndarray) -> np.ndarray:
        others = np.setdiff1d(cands, pool, assume_unique=True)
        return others[np.argsort(-self.ix.prior[others], kind="stable")]

    def run_tier(self, groups: list[tuple[Cands, Verify]], need: int | None = None) -> int:
        """Verify candidates of one tier in usage order until ``need`` more hits.

        Only the best few by the static prior (team usage, which keeps its order as time
        passes) plus the member's own used replies get exact scores; the rest are visited
        in prior order only if those were not enough."""
        want = self.limit if need is None else need
        found = 0
        for cands, verify in groups:
            cands = self._allowed(resolve(cands))  # docs already hit are skipped later
            if cands.size == 0 and isinstance(verify, Exact) and verify.partial:
                cands = self._allowed(verify.complete())  # none among the most used
            if cands.size == 0:
                continue
            # Verification may reject candidates; an exact group's only skips docs already hit.
            k = want + len(self.hits) if isinstance(verify, Exact) else 4 * want + 16
            pool, more = self.pool(cands, k)
            got = self._verify_in_order(*self.by_usage(pool), verify, want)
            others = None
            if got < want and isinstance(verify, Exact) and verify.partial:
                others = self._allowed(verify.complete())  # all of them, hits skipped
                others = others[np.argsort(-self.ix.prior[others], kind="stable")]
            elif got < want and more:
                others = self.rest(cands, pool)
            if others is not None:
                others = others[: self.max_verify]
                # A chunk at a time, growing: scoring and listing up to 2,000 documents
                # when the first few match costs more than verifying them.
                at, step = 0, 64
                while at < others.size and got < want:
                    part = others[at:at + step]
                    got += self._verify_in_order(part.tolist(), self.usage(part).tolist(),
                                                 verify, want - got)
                    at, step = at + step, step * 4
            found += got
        return found

    def _verify_in_order(self, docs: list[int], scores: list[float], verify: Verify,
                         want: int) -> int:
        hits = self.hits
        if isinstance(verify, Exact):  # every candidate matches: take the first ones
            fresh: list[int] = []
            usages: list[float] = []
            for d, u in zip(docs, scores, strict=True):
                if d not in hits:
                    fresh.append(d)
                    usages.append(u)
                    if len(fresh) == want:
                        break
            for doc, usage, exact in zip(fresh, usages, verify.matches(fresh), strict=True):
                self._hit(doc, usage, exact)
            return len(fresh)
        if isinstance(verify, TextVerify):  # compiled loops over the texts
            found = verify.first(docs, scores, want, hits)
            for doc, usage, pos in found:
                self._hit(doc, usage, verify.match(doc, pos))
            return len(found)
        if isinstance(verify, GapVerify):
            spans = verify.first(docs, scores, want, hits)
            for doc, usage, span in spans:
                self._hit(doc, usage, verify.match(doc, span))
            return len(spans)
        got = 0
        for doc, usage in zip(docs, scores, strict=True):
            if doc in hits:
                continue
            m = verify(doc)
            if m is None:
                continue
            self._hit(doc, usage, m)
            got += 1
            if got >= want:
                break
        return got

    def _hit(self, doc: int, usage: float, m: Match) -> None:
        self.hits[doc] = Hit(doc, m.tier * 100 + usage, m, self.own.get(doc, 0.0))

    def ranked(self) -> list[Hit]:
        return sorted(self.hits.values(), key=lambda h: -h.score)[: self.limit]


# --- literal matching ------------------------------------------------------------------

def rarest_gram(postings: Postings, term: str) -> np.ndarray:
    """Documents containing every bigram of ``term`` (its unigram if it is one character)
    and every trigram of its Latin letters and digits: a superset of those containing
    ``term``, usually equal to it.

    The lists are intersected shortest first; after two, only while more than SETTLED
    documents are left: a long term's rarest bigrams are often a template's
    (西裤采用牛仔布面料，透气: 1,700 bodies hold 采用牛仔 and its neighbours), and each
    candidate left costs a verification (~1 µs), each intersection with it a few µs. The
    bitmaps of very common bigrams are read last, for the documents left. Compiled
    (_chains.rarest), as every query calls this for each field it looks in."""
    if len(term) == 1:
        return postings.get(gram_key(ord(term)))
    found = C.rarest(postings.lists(), term, SETTLED, TRIGRAM_BASE)
    if found is None:  # only very common bigrams: those in all of them, decoded once
        dense = [postings.lookup(key) for key in _gram_keys(term)]
        return Bits.in_all([d for d in dense if isinstance(d, Bits)])
    return found


def _gram_keys(term: str) -> Iterator[int]:
    """Keys of the bigrams of ``term`` (of its first and last nine characters when longer:
    a pasted passage's telling words are as often at its end), then of its Latin trigrams
    (build.char_gram_keys)."""
    ends = (term[:9], term[9:][-9:]) if len(term) > 18 else (term,)
    for a, b in (pair for end in ends for pair in itertools.pairwise(end)):
        if not a.isspace() and not b.isspace():
            yield gram_key(ord(a), ord(b))
    if len(term) > 2 and term.isascii():
        for i in range(min(len(term) - 2, 8)):
            if (key := trigram_key(term[i:i + 3])) is not None:
                yield key


def literal_groups(ix: OrgIndex, term: str) -> list[tuple[float, Cands, Verify]]:
    n = len(term)
    first = gram_key(ord(term[0]), ord(term[1])) if n > 1 else gram_key(ord(term[0]))

    title_prefix = TextVerify(ix.ftitle, term, 5, "title_prefix", "title", prefix=True)
    title_any = TextVerify(ix.ftitle, term, 4, "title", "title")
    short_any = TextVerify(ix.fshort, term, 3, "tags_questions", "", shown=ix.fbody)
    body_any = TextVerify(ix.fbody, term, 2, "body", "body")

    def body_cands() -> np.ndarray:
        if n > 1:
            return rarest_gram(ix.body_grams, term)
        # Bodies keep a character's unigram only where it starts no bigram (build.py).
        c = ord(term)
        return union([ix.body_grams.get(gram_key(c)),
                      ix.body_grams.range_docs(gram_key(c) + 1, gram_key(c + 1))])

    memo: list[np.ndarray] = []  # (functools.cache costs more to set up than it saves)

    def title_cands() -> np.ndarray:
        if not memo:
            memo.append(rarest_gram(ix.title_grams, term))
        return memo[0]

    def start_cands() -> np.ndarray:
        # Titles starting with the first two characters that hold the rest too: many
        # titles start 修身 (修身连衣裙, 修身T恤...), few with 修身夹.
        starting = ix.title_start.get(first)
        return intersect(starting, title_cands()) if n > 2 and starting.size > 8 else starting

    return [(5, start_cands, title_prefix),
            (4, title_cands, title_any),
            (3, lambda: rarest_gram(ix.short_grams, term), short_any),
            (2, body_cands, body_any)]


def exact_code(ix: OrgIndex, term: str) -> np.ndarray:
    docs = set(ix.by_key.get(term, ix.alive))
    docs.update(ix.by_shortcut.get(term, ix.alive, or_slashed=not docs))
    return np.fromiter(sorted(docs), dtype=np.int32, count=len(docs)) if docs else EMPTY


def run_tiers(s: Search, groups: list[tuple[float, Cands, Verify]]) -> None:
    """Run groups from the best tier down; groups of one tier compete on usage."""
    for tier in sorted({g[0] for g in groups}, reverse=True):
        if len(s.hits) >= s.limit:
            return
        same = [(c, v) for t, c, v in groups if t == tier]
        s.run_tier(same, need=s.limit - len(s.hits) if len(same) == 1 else s.limit)


def search_term(s: Search, term: str) -> None:
    ix = s.ix
    code_docs = exact_code(ix, term)
    groups: list[tuple[float, Cands, Verify]] = [
        (6, code_docs, lambda d: Match(6, "shortcut"))]
    groups += literal_groups(ix, term)
    if (latin := Q.latin_atoms(term)) is not None:
        groups += pinyin_groups(ix, latin, popular=s.popular())
    if not term.startswith("/"):  # 7天 typed, 七天 written: the same words, not a typo
        for variant in numerals.variants(term):
            # Each of its tiers runs right after the same tier of the writing typed, so
            # 七天无理由 in titles fills the list before 7天无理由 is looked for in bodies
            # (796 bodies holding 7天 and 天无理由 verified, 1.6 ms at 100k replies).
            groups += [(t - NUMERAL_AFTER, c, v) for t, c, v in numeral_groups(ix, variant)]
    run_tiers(s, groups)
    if len(s.hits) >= min(s.limit, TYPO_THRESHOLD) or term.startswith("/"):
        return  # a /shortcut is a code: near misses would only mislead
    # Typo passes, only when exact matching found too little.
    s.max_verify = TYPO_MAX_VERIFY
    term_has_han = has_han(term)
    if (atoms := latin or Q.parse_atoms(term)) is not None:
        # Same-sound matching changes nothing for pinyin typed as letters; similar sounds do.
        modes = ((Q.HOMOPHONE, 3.0), (Q.FUZZY, 3.0)) if term_has_han else ((Q.FUZZY, 3.0),)
        for mode, shift in modes:
            run_tiers(s, pinyin_groups(ix, atoms, mode, tier_shift=shift,
                                        popular=s.popular()))
            if len(s.hits) >= min(s.limit, TYPO_THRESHOLD):
                return
    if term_has_han and len(term) >= 3:  # a character left out or typed twice
        _edit_passes(s, term)
    if not s.hits:
        from kefu.replies.search.fallback import last_resort  # it builds on this module

        last_resort(s, term)


def _edit_passes(s: Search, term: str) -> None:
    """One character left out (the title has one more inside the query) ranks above one
    extra character typed (dropping it): the first uses everything the agent typed. Each
    is one group over every place the edit may be, so their matches compete on usage."""
    ix = s.ix
    splits = [(term[:i], term[i:]) for i in range(1, len(term))]
    # Dropping a character must leave a word: not the digits 11 of 双11
    variants = [v for v in dict.fromkeys(term[:i] + term[i + 1:] for i in range(len(term)))
                if has_han(v)]

    def side(text: str) -> Docs:
        # A single character's titles as a bitmap when they are many (衣: 29,000 at 100k)
        if len(text) == 1:
            return ix.title_grams.bitmap(gram_key(ord(text)))
        return rarest_gram(ix.title_grams, text)

    def gap_cands() -> np.ndarray:
        if len(term) > SHARED_ENDS:
            before, after = _title_ends(ix, term)
            return union([intersect(before[i], after[i]) for i in range(1, len(term))])
        return union([_both(side(left), side(right)) for left, right in splits])

    def extra_cands() -> np.ndarray:
        return union([rarest_gram(ix.title_grams, v) for v in variants])

    run_tiers(s, [(1.2, gap_cands, GapVerify(ix.ftitle, splits, 1.2, "edit_missing_char")),
                  (1.0, extra_cands, _title_contains(ix, variants, "edit_extra_char"))])


def _title_ends(ix: OrgIndex, term: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The titles that may hold each start of ``term`` (``before[i]``: term[:i]) and each
    end (``after[i]``: term[i:]), for 0 < i < len(term): its bigrams' lists intersected
    from either side, once for all the splits. For a long term, each split's two sides
    looked up and intersected apart cost more: 598 µs of 1.5 ms for 女款棉服预售什么时候
    at 100k replies."""
    titles, n = ix.title_grams, len(term)
    grams = [titles.lookup(gram_key(ord(a), ord(b))) for a, b in itertools.pairwise(term)]
    before, after = [EMPTY] * n, [EMPTY] * n
    before[1] = titles.get(gram_key(ord(term[0])))
    after[n - 1] = titles.get(gram_key(ord(term[-1])))
    before[2] = grams[0].docs() if isinstance(grams[0], Bits) else grams[0]
    after[n - 2] = grams[-1].docs() if isinstance(grams[-1], Bits) else grams[-1]
    for i in range(3, n):
        before[i] = _narrowed(before[i - 1], grams[i - 2])
    for i in range(n - 3, 0, -1):
        after[i] = _narrowed(after[i + 1], grams[i])
    return before, after


def _both(a: Docs, b: Docs) -> np.ndarray:
    """The documents in both."""
    if isinstance(a, Bits):
        a, b = b, a
    if isinstance(a, Bits):
        a = a.docs()
    return _narrowed(a, b)


def _narrowed(docs: np.ndarray, gram: Docs) -> np.ndarray:
    if docs.size == 0:
        return EMPTY
    return docs[gram.has(docs)] if isinstance(gram, Bits) else intersect(docs, gram)


def _title_contains(ix: OrgIndex, texts: list[str], kind: str) -> Verify:
    def verify(doc: int) -> Match | None:
        title = ix.ftitle.get(doc)
        for text in texts:
            pos = title.find(text)
            if pos >= 0:
                return Match(1.0, kind, title=[(pos, pos + len(text))])
        return None
    return verify


def numeral_groups(ix: OrgIndex, variant: str) -> list[tuple[float, Cands, Verify]]:
    """Literal matching of a term with its numbers written the other way, in the tiers of
    the writing typed: matches are labelled numeral_… for the panel's note."""
    return [(t, c, relabel(v, "numeral_")) for t, c, v in literal_groups(ix, variant)]


def passage_groups(ix: OrgIndex, passage: str) -> list[tuple[float, Cands, Verify]]:
    """A passage pasted whole (text.pasted_passage): replies holding it as it stands, above
    every match of its words apart, in their order (5.5 title start … 5.2 body; only an
    exact shortcut, 6, comes before). Agents paste a reply's sentence to find the reply."""
    return [(PASSAGE + t / 10, c, relabel(v, "passage_", scale=0.1, shift=PASSAGE))
            for t, c, v in literal_groups(ix, passage)]


def relabel(verify: Verify, prefix: str, scale: float = 1.0, shift: float = 0.0) -> Verify:
    """``verify`` with its matches' kind prefixed and their tier times ``scale`` plus
    ``shift``."""
    if isinstance(verify, TextVerify):  # keeps its loop over many documents
        return verify.relabelled(prefix, scale, shift)
    def relabelled(doc: int) -> Match | None:
        m = verify(doc)
        if m is None:
            return None
        return Match(m.tier * scale + shift, prefix + m.kind, m.title, m.body)
    return relabelled


# --- entry point -----------------------------------------------------------------------

def search(index: OrgIndex, viewer: Viewer, q: str, limit: int = 10,
           category_id: int | None = None) -> list[Hit]:
    terms = query_terms(q)
    if not terms or limit < 1:
        return []
    with index.lock:
        s = Search(index, viewer, limit, category_id)
        if len(terms) == 1:
            search_term(s, terms[0])
        else:
            from kefu.replies.search.conjunction import search_all_terms  # it builds on this

            if (passage := pasted_passage(q)) is not None:
                run_tiers(s, passage_groups(index, passage))
            if len(s.hits) < limit:  # the words apart, below any reply holding the passage
                search_all_terms(s, terms)
            if not s.hits:  # "退 款" typed with a space: try it as one term
                search_term(s, "".join(terms))
        return s.ranked()


def team_usage(index: OrgIndex, doc: int) -> float:
    """The team's uses of a reply, each weighed down by its age (30-day half-life)."""
    return float(math.exp(index.team[doc] - (time.time() - T0) / TAU))


def explain(index: OrgIndex, hit: Hit) -> dict[str, Any]:
    return {"match": hit.match.kind, "tier": hit.match.tier,
            "team_usage": round(team_usage(index, hit.doc), 3), "own_usage": hit.own,
            "score": round(hit.score, 4)}
