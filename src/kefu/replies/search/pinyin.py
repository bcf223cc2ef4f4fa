"""Matching a query's pinyin chains against positional postings.

The pinyin postings list, for every token and every pair of side-by-side tokens, the
occurrences ``doc << POS_BITS | position`` (build.pinyin_keys). A chain of units u0 u1 … uk
matches at occurrence o exactly when every pair (ui, ui+1) occurs at o + i: so the rarest
pair's occurrences, shifted back to where the chain would start, are looked up in the other
pairs' lists. What tokens cannot say (that the 汉字 typed in mixed input is that very
character, not another with its sound) is checked on the characters at those positions.
Nothing is verified document by document: the result is exact, with the position and
length of each document's first match for highlighting.

A very common chain (initials: t then k) is first matched among the most used replies
only, since the ranking wants those; ``Exact`` asks for all of them when that was not
enough. ``pinyin_groups`` turns the matches into the engine's three tiers: title start,
title, tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kefu.replies.search import _chains as C
from kefu.replies.search import query as Q
from kefu.replies.search._sorted import firsts, positions, where_pos
from kefu.replies.search.build import POS_BITS, TAGS_AT
from kefu.replies.search.index import TOKEN_BITS, OrgIndex
from kefu.replies.search.match import Cands, Match, Verify
from kefu.replies.search.postings import EMPTY
from kefu.replies.search.rank import Popular


@dataclass
class Found:
    """Documents (sorted, distinct) with the position and length of their first match."""

    docs: np.ndarray
    pos: np.ndarray
    length: np.ndarray

    def where(self, lo: int, hi: int) -> Found:
        """The documents whose first match is at a position in [lo, hi)."""
        return Found(*where_pos(self.docs, self.pos, self.length, lo, hi))


NOTHING = Found(EMPTY, EMPTY, EMPTY)


# A chain whose rarest pair occurs more often than this is first matched among the most used
# replies only (see ``anywhere``).
BIG = 1024
# The same for the titles starting with a chain's first two units.
START_BIG = 512


class Matcher:
    """One query's chains against one index. Each chain is matched by the compiled
    matcher (_chains.pyx, one call a chain); the 汉字 of mixed input are checked here."""

    def __init__(self, ix: OrgIndex, atoms: Q.Atoms, mode: int) -> None:
        self.ix = ix
        self.chains = Q.unit_chains(atoms, ix.vocab, mode)
        self.narrowed = False  # whether a result so far left out less used replies

    def _checked(self, occ: np.ndarray, chain: Q.Chain) -> np.ndarray:
        for i, unit in enumerate(chain):
            if unit.check is None or occ.size == 0:
                continue
            occ = self.ix.with_char(occ, i, unit.check)
        return occ

    def anywhere(self, chain: Q.Chain, popular: Popular | None = None) -> np.ndarray:
        """Occurrences of the chain anywhere in a title or the tags.

        With ``popular``, a chain with very common pairs (initials: t then k) is matched
        only in those replies (the most used and the member's own): the ranking wants the
        few most used matches, and when those replies hold too few of them the caller asks
        again without ``popular``. Shifting the rarest pair's occurrences back may point
        before a field's start, into the field before: harmless, as no pair is indexed at
        a field's last position (255, 511), so a chain running over a field's end always
        misses a pair."""
        occ, narrowed = C.anywhere(self.ix.pinyin.lists(), chain, popular, BIG, TOKEN_BITS,
                                   POS_BITS)
        self.narrowed |= narrowed
        return self._checked(occ, chain)

    def possible(self) -> bool:
        """Whether some reading may match: its token, or each of its side-by-side pairs,
        occurs somewhere. Most typo passes end here (a word with a character left out has
        no homophone in the library)."""
        lists = self.ix.pinyin.lists()
        return any(C.possible(lists, chain, TOKEN_BITS) for chain in self.chains)

    def common(self, over: int = 1024) -> bool:
        """Whether the likeliest reading's rarest pair (or its unit) occurs more than
        ``over`` times."""
        if not self.chains:
            return False
        return min(C.pair_sizes(self.ix.pinyin.lists(), self.chains[0], TOKEN_BITS)) > over

    def at_start(self, chain: Q.Chain, popular: Popular | None = None) -> np.ndarray:
        """Occurrences of the chain at the start of a title (position 0); with ``popular``,
        only among those replies when many titles start with its first units."""
        occ, narrowed = C.at_start(self.ix.pinyin.lists(), self.ix.pinyin_start.lists(),
                                   chain, popular, START_BIG, TOKEN_BITS, POS_BITS)
        self.narrowed |= narrowed
        return self._checked(occ, chain)


def collect(found: list[tuple[np.ndarray, int]]) -> Found:
    """Every chain's occurrences → each document's first one."""
    found = [(occ, k) for occ, k in found if occ.size]
    if not found:
        return NOTHING
    return Found(*firsts([occ for occ, _k in found], [k for _occ, k in found], POS_BITS))


# Readings with more units (more initials, shorter syllables: fa+hu+o for fahuo) are
# consulted only while those with fewer found less than this many matches.
ENOUGH = 64


def _first_readings(m: Matcher, match: Callable[[Q.Chain], np.ndarray]) -> Found:
    found: list[tuple[np.ndarray, int]] = []
    total = 0
    for chain in m.chains:  # fewest units first
        if total >= ENOUGH and len(chain) > found[-1][1]:
            break
        occ = match(chain)
        found.append((occ, len(chain)))
        total += occ.size
    return collect(found)


def everywhere(m: Matcher, popular: Popular | None = None) -> Found:
    return _first_readings(m, lambda chain: m.anywhere(chain, popular))


def title_starts(m: Matcher, popular: Popular | None = None) -> Found:
    return _first_readings(m, lambda chain: m.at_start(chain, popular))


class Exact:
    """A group whose candidates all match (pinyin, from positional postings): verifying a
    document is looking up where its match is. Computed only if its tier is reached, and
    at first perhaps only among the most used replies (``partial``): ``complete`` gives
    them all."""

    def __init__(self, tier: float, kind: str,
                 compute: Callable[[bool], tuple[Found, bool]], in_title: bool = True
                 ) -> None:
        self.tier, self.kind, self.compute, self.in_title = tier, kind, compute, in_title
        self._found: Found | None = None
        self.partial = True

    def _get(self, complete: bool) -> Found:
        if self._found is None or (complete and self.partial):
            self._found, done = self.compute(complete)
            self.partial = not done
        return self._found

    def cands(self) -> np.ndarray:
        return self._get(False).docs

    def complete(self) -> np.ndarray:
        return self._get(True).docs

    def _match(self, pos: int, length: int) -> Match:
        return Match(self.tier, self.kind, title=[(pos, pos + length)] if self.in_title else [])

    def __call__(self, doc: int) -> Match | None:
        f = self._get(True)
        (pos,), (length,) = positions(f.docs, f.pos, f.length, [doc])
        return None if pos < 0 else self._match(pos, length)

    def matches(self, docs: list[int]) -> list[Match]:
        """Matches of candidates (all of them match)."""
        f = self._get(False)
        return [self._match(p, n) for p, n in
                zip(*positions(f.docs, f.pos, f.length, docs), strict=True)]


def pinyin_groups(ix: OrgIndex, atoms: Q.Atoms, mode: int = Q.EXACT,
                  tier_shift: float = 0.0, popular: Popular | None = None
                  ) -> list[tuple[float, Cands, Verify]]:
    """Pinyin matches at the title start, in the title and in the tags. With ``popular``
    (Search.popular), very common chains are matched among the most used replies first."""
    label = "pinyin" if mode == Q.EXACT else ("homophone" if mode == Q.HOMOPHONE else "fuzzy")
    m = Matcher(ix, atoms, mode)
    if not m.possible():
        return []
    every: dict[bool, tuple[Found, bool]] = {}

    def anywhere(complete: bool) -> tuple[Found, bool]:
        if complete not in every:
            m.narrowed = False
            found = everywhere(m, None if complete else popular)
            every[complete] = (found, not m.narrowed)
            if not m.narrowed:
                every[True] = every[False] = every[complete]
        return every[complete]

    def in_titles(complete: bool) -> tuple[Found, bool]:
        f, done = anywhere(complete)
        return f.where(0, TAGS_AT), done

    def in_tags(complete: bool) -> tuple[Found, bool]:
        f, done = anywhere(complete)
        return f.where(TAGS_AT, 1 << POS_BITS), done

    def at_start(complete: bool) -> tuple[Found, bool]:
        if popular is not None and m.common():
            # Common: the start alone often fills the list, and everywhere would be long to
            # compute. Otherwise everywhere is needed anyway and gives the start.
            m.narrowed = False
            found = title_starts(m, None if complete else popular)
            return found, not m.narrowed
        f, _done = anywhere(True)
        return f.where(0, 1), True  # a document's first match is at 0 if it starts

    groups = [Exact(5 - tier_shift, f"{label}_title_prefix", at_start),
              Exact(4 - tier_shift, f"{label}_title", in_titles),
              Exact(3 - tier_shift, f"{label}_tags", in_tags, in_title=False)]
    return [(g.tier, g.cands, g) for g in groups]
