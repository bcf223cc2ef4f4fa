"""Several terms (AND): the replies matching every term, best mean match first.

A reply's score is the mean of its terms' tiers (title start 5, title 4, tags/questions 3,
body 2; see engine.py) × 100 plus its usage. Each term's candidates come in levels, one
per tier, and a combination of one level per term bounds the score of every reply in it
(the mean of those tiers, plus at most 10 for usage). Combinations are visited from the
best bound down, each one's replies in order of usage, verifying exactly, until the
`limit`-th best score found can no longer be beaten: most queries never look at the
replies where every term is only in the body, whose candidate lists are the long ones.
Body candidates are computed inside the (short) candidates of the other terms' levels.

With three terms or more the combinations multiply (5^n), and each document's bound is
computed directly instead (``_search_by_bounds``).
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from kefu.replies.search import _chains as C
from kefu.replies.search import engine as E
from kefu.replies.search import numerals
from kefu.replies.search import query as Q
from kefu.replies.search._texts import all_match
from kefu.replies.search.index import OrgIndex, gram_key
from kefu.replies.search.match import Cands, Match, Verify, resolve
from kefu.replies.search.pinyin import pinyin_groups
from kefu.replies.search.postings import EMPTY, intersect, member, union

BODY = 2.0
USAGE_MAX = 10.0  # usage part of a score is below this (engine.Search.usage)
TAKEN = -1.0  # (_docs_of) a term's level whose list is the starting one


class Term:
    """One term's candidate levels (``levels``, by tier; the body's apart), and its groups'
    verifiers per level (``at``)."""

    def __init__(self, ix: OrgIndex, term: str) -> None:
        self.ix = ix
        self.term = term
        groups: list[tuple[float, Cands, Verify]] = []
        codes = E.exact_code(ix, term)
        if codes.size:
            members = set(codes.tolist())
            groups.append((6.0, codes, lambda d: Match(6, "shortcut") if d in members
                           else None))
        # Its numbers written the other way (7天, 七天) are the same term: every level holds
        # both writings, the typed one verified first.
        self.texts = [term, *numerals.variants(term)]
        literal = E.literal_groups(ix, term)
        self.body_cands = [literal[-1][1]]
        for variant in self.texts[1:]:
            other = E.numeral_groups(ix, variant)
            self.body_cands.append(other[-1][1])
            literal += other
        groups += literal
        if (atoms := Q.latin_atoms(term)) is not None:
            groups += pinyin_groups(ix, atoms)
        self.groups = groups
        self.at: dict[float, list[Verify]] = {}  # verifiers of each level
        heads: dict[float, list[np.ndarray]] = {}
        for tier, cands, verify in groups:
            self.at.setdefault(tier, []).append(verify)
            if tier != BODY:
                heads.setdefault(tier, []).append(resolve(cands))
        self.levels = {t: u for t, arrays in heads.items() if (u := union(arrays)).size}
        self._body_all: np.ndarray | None = None  # body(None), once computed
        self._body_estimate_all: int | None = None  # _body_size, once computed

    def estimate(self) -> int:
        """About how many documents may hold the term, without computing its body
        candidates: its levels, and for each of its writings its body's rarest bigram (a
        single character's: the entries of the bigrams it starts, an upper bound)."""
        return self._body_size() + sum(level.size for level in self.levels.values())

    def _body_size(self) -> int:
        """About how many bodies may hold the term: each writing's rarest bigram."""
        if self._body_estimate_all is None:
            self._body_estimate_all = sum(self._body_estimate(text) for text in self.texts)
        return self._body_estimate_all

    def _body_estimate(self, text: str) -> int:
        if len(text) == 1:
            body, c = self.ix.body_grams, ord(text)
            return body.lookup(gram_key(c)).size + \
                body.range_size(gram_key(c) + 1, gram_key(c + 1))
        rarest = C.rarest_size(self.ix.body_grams.lists(), text)
        return self.ix.n if rarest < 0 else rarest

    def body(self, within: np.ndarray | None) -> np.ndarray:
        """Documents whose body may hold the term (among ``within`` if given)."""
        if within is None or self._whole(within):
            docs = self._all_in_body()
            return docs if within is None else intersect(within, docs)
        return within[self._filter(within)]

    def in_body(self, within: np.ndarray) -> np.ndarray:
        """Which of sorted distinct ``within`` may hold the term in their body (a mask)."""
        if self._whole(within):
            return member(within, self._all_in_body())
        return self._filter(within)

    def _whole(self, within: np.ndarray) -> bool:
        """Whether to look among all the term's body candidates rather than filter
        ``within`` by its bigrams: when they are fewer than ``within``, or already known.
        (4cm体重86斤可以选S码 快递: seven combinations of levels filtered their documents by
        its eleven bigrams, 0.8 ms.)"""
        return self._body_all is not None or within.size > self._body_size()

    def _filter(self, within: np.ndarray) -> np.ndarray:
        mask = self._text_in_body(self.texts[0], self.body_cands[0], within)
        for text, cands in zip(self.texts[1:], self.body_cands[1:], strict=True):
            mask |= self._text_in_body(text, cands, within)
        return mask

    def _all_in_body(self) -> np.ndarray:
        if self._body_all is None:
            self._body_all = union([resolve(cands) for cands in self.body_cands])
        return self._body_all

    def _text_in_body(self, text: str, cands: Cands, within: np.ndarray) -> np.ndarray:
        """A mask over ``within``: those whose body holds every bigram of ``text`` (a
        filter costs a few µs, about what verifying two documents costs)."""
        if len(text) == 1:
            return member(within, resolve(cands))
        return C.holding(self.ix.body_grams.lists(), text, within)


def _combos(terms: list[Term]) -> list[tuple[float, tuple[float, ...]]]:
    """Every choice of one level per term with its bound (the mean tier), best first."""
    options = [[*sorted(t.levels, reverse=True), BODY] for t in terms]
    combos = [(sum(c) / len(c), c) for c in itertools.product(*options)]
    combos.sort(key=lambda x: -x[0])
    return combos


def _docs_of(s: E.Search, terms: list[Term], combo: tuple[float, ...],
             window: int | None) -> tuple[np.ndarray, int | None]:
    """The documents of a combination the member may see; or, when the shortest list is
    long (over 4 × ``window``), those among its first ``window`` entries and the
    documents that may rank above them, with the first document after them
    (StaticRank.window)."""
    heads = sorted((t.levels[level] for t, level in zip(terms, combo, strict=True)
                    if level != BODY), key=len)
    if not heads:  # every term only in bodies: the body candidates of the rarest one
        # (您 of 您。尺码的规 is in 96,757 bodies of 100k: 1.6 ms to filter by the other)
        first = min(range(len(terms)), key=lambda i: terms[i].estimate())
        heads = [terms[first].body(None)]
        combo = (*combo[:first], TAKEN, *combo[first + 1:])  # not filtered again below
    base, edge = heads[0], None
    if window is not None and base.size > 4 * window and \
            (cut := s.ix.rank.window(base, window, s.own_docs)) is not None:
        base, edge = cut  # documents are numbered by usage: a long list's most used
    for arr in heads[1:]:
        base = intersect(base, arr)
        if base.size == 0:
            return EMPTY, edge
    for t, level in zip(terms, combo, strict=True):
        if level == BODY:
            base = t.body(base)
            if base.size == 0:
                return EMPTY, edge
    return s._allowed(base), edge


WINDOW = 256  # entries of a long list looked at first


def _matched(checks: list[list[Verify]], doc: int) -> Match | None:
    """The document's match of every term: each term's first match among its verifiers
    (its candidate lists are supersets), or None if a term has none. The mean tier: a
    title hit for one term and a body hit for the other beats two body hits, and usage
    only breaks ties between equally good matches. Compiled (_texts.all_match): literal
    verifiers, most of the checks, run without a call of their own."""
    return all_match(checks, doc, Match)


def _record(s: E.Search, best: list[float], doc: int, usage: float, m: Match) -> None:
    """A document matching every term: its hit, and its score among the best so far."""
    s._hit(doc, usage, m)
    score = m.tier * 100 + usage
    if len(best) < s.limit:
        heapq.heappush(best, score)
    elif score > best[0]:
        heapq.heapreplace(best, score)


def search_all_terms(s: E.Search, words: list[str]) -> None:
    terms = [Term(s.ix, w) for w in words]
    if len(terms) == 2:
        _search_by_combos(s, terms)
    else:
        _search_by_bounds(s, terms)


def _search_by_combos(s: E.Search, terms: list[Term]) -> None:
    """Two terms: combinations of their levels from the best bound down, each one's
    replies in usage order; most queries are done after a few combinations. (With more
    terms the combinations multiply, 5^n, and low-tier matches visited them one by one:
    2-13 ms at 100k replies for tk fh dz kd or 退 发 地 快; see _search_by_bounds.)"""
    best: list[float] = []  # min-heap of the best `limit` scores so far
    hits = s.hits  # every reply verified so far is in it (and those holding the terms
    # as one pasted passage, found before)
    budget = [E.MAX_VERIFY]

    def visit(docs: list[int], usage: list[float], bound: float,
              combo: tuple[float, ...]) -> bool:
        """Verify documents in the given order; True once nothing later can enter."""
        # Per term, its level's verifiers to try in order: the first match counts.
        checks = [t.at[level] for t, level in zip(terms, combo, strict=True)]
        limit, floor = s.limit, bound * 100
        for doc, u in zip(docs, usage, strict=True):
            if len(best) >= limit and best[0] >= floor + u:
                return True
            if doc in hits:  # found through a better combination
                continue
            budget[0] -= 1
            if budget[0] < 0:
                return True
            if (m := _matched(checks, doc)) is not None:
                _record(s, best, doc, u, m)
        return False

    k = 4 * s.limit + 16
    for bound, combo in _combos(terms):
        if budget[0] < 0 or (len(best) >= s.limit and best[0] >= bound * 100 + USAGE_MAX):
            return
        docs, edge = _docs_of(s, terms, combo, WINDOW)
        # Usage order, exactly for the best few by the static prior and the member's own
        # used replies; the rest (rarely reached) in prior order. Replies already found
        # through a better combination are skipped as they come.
        pool, more, done = EMPTY, False, False
        if docs.size:
            pool, more = s.pool(docs, k)
            done = visit(*s.by_usage(pool), bound, combo)
        if edge is not None:  # a window: enough unless a document after it may enter
            after = float(s.usage(np.array([edge], dtype=np.int32))[0])
            if len(best) >= s.limit and best[0] >= bound * 100 + after:
                continue
            docs, more, done = _docs_of(s, terms, combo, None)[0], True, False
        if not done and more:
            rest = s.rest(docs, pool)
            visit(rest.tolist(), s.usage(rest).tolist(), bound, combo)


def _holding_all(s: E.Search, terms: list[Term]) -> np.ndarray:
    """The documents the member may see that may hold every term (in one of its levels or
    its body), starting from the term likely to have the fewest."""
    first, *others = sorted(terms, key=lambda t: t.estimate())  # rarest first
    docs = s._allowed(union([*first.levels.values(), first.body(None)]))
    for t in others:
        if docs.size == 0:
            break
        # Masks over docs, not unions of its parts: no sorting of tens of thousands (a
        # pasted sentence's words are in a fifth of all bodies), and bodies are looked at
        # only for the documents no level of the term holds.
        held = np.zeros(docs.size, dtype=bool)
        for level in t.levels.values():
            held |= member(docs, level)
        if (missing := np.flatnonzero(~held)).size:
            held[missing] = t.in_body(docs[missing])
        docs = docs[held]
    return docs


def _search_by_bounds(s: E.Search, terms: list[Term]) -> None:
    """Three terms or more: every document that may hold all of them gets its bound at
    once, each term's best level holding it (vectorised), their mean, plus its usage.
    Documents are verified in that order, each term with all its verifiers from the best
    tier down, until the limit-th score found is at least the next bound: a document's
    score never exceeds its bound, as its candidate lists are supersets. On 244 queries
    of 3-4 words from replies of bench/search.py's 100k library: p50 956 -> 635 µs, p99
    10.4 -> 3.5 ms against the combinations; on two terms the combinations are faster
    (p50 230 against 400 µs)."""
    docs = _holding_all(s, terms)
    if docs.size == 0:
        return
    tiers = np.zeros(docs.size)
    held: list[dict[float, np.ndarray]] = []  # per term, its levels' masks over docs
    for t in terms:
        level = np.full(docs.size, BODY)
        masks = {}
        for tier in sorted(t.levels):  # best last: a document takes its best level
            masks[tier] = inside = member(docs, t.levels[tier])
            level[inside] = tier
        tiers += level
        held.append(masks)
    usage = s.usage(docs)
    bounds = tiers / len(terms) * 100 + usage
    # Best bound first; then most used (lowest number). At most MAX_VERIFY are looked at.
    order = np.lexsort((docs, -bounds))[:E.MAX_VERIFY]
    tiered = [sorted(t.at.items(), reverse=True) for t in terms]
    best: list[float] = []  # min-heap of the best `limit` scores so far
    hits = s.hits  # those holding the terms as one pasted passage, already found
    for at, doc, u, bound in zip(order.tolist(), docs[order].tolist(),
                                 usage[order].tolist(), bounds[order].tolist(), strict=True):
        if len(best) >= s.limit and best[0] >= bound:
            return
        if doc in hits:
            continue
        # Only the verifiers of the levels holding the document, and the body's: a level
        # is a superset of its matches (three terms in bodies, one a number written two
        # ways, ran 20 verifiers a document, and run 4).
        checks = [[v for tier, verifiers in pairs
                   if tier == BODY or (tier in masks and masks[tier][at]) for v in verifiers]
                  for pairs, masks in zip(tiered, held, strict=True)]
        if (m := _matched(checks, doc)) is not None:
            _record(s, best, doc, u, m)
