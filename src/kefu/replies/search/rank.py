"""Static rank: a build numbers the documents by usage, most used first.

Ranking wants the most used matches, and posting lists are sorted by document number. With
the numbers given in usage order, every list is already in that order: the most used few
of a long candidate list are its head (no gathering of the usage of thousands of
candidates to pick them), the popular replies are a prefix of every list (a very common
pinyin chain is matched among them by slicing), and they sit together in memory, so the
documents a query touches share cache lines (every query kind 3-13% faster at 100k replies).

The order is the build's; usage goes on changing after it. Priors only grow (a use adds to
the decayed sum), so a document can only move up: the documents whose prior changed since
the build are kept in ``moved``, and those that reached the popular prefix's lowest prior
in ``climbers``. Documents appended since the build (new and edited replies) come after
the ranked ones in no particular order. Those three sets are what the shortcuts below
consult, so they stay exact; the next build orders everything again.
"""

from __future__ import annotations

import math

import numpy as np

from kefu.replies.search.postings import EMPTY, intersect, union

POPULAR_SHARE = 8  # the popular prefix: the most used 1/8 of the replies ...
POPULAR_MIN = 1024  # ... and at least this many
STALE_MIN = 8 * POPULAR_MIN  # (StaticRank.stale)


class DocSet:
    """A growing set of documents, read as a sorted array: additions wait in a list and
    are merged on the next read, so a use costs O(1) and the first search after it one
    merge of arrays (sorting the whole set again took milliseconds at tens of thousands)."""

    __slots__ = ("_arr", "_members", "_new")

    def __init__(self) -> None:
        self._members: set[int] = set()
        self._new: list[int] = []
        self._arr = EMPTY

    def __len__(self) -> int:
        return len(self._members)

    def add(self, doc: int) -> None:
        if doc not in self._members:
            self._members.add(doc)
            self._new.append(doc)

    def array(self) -> np.ndarray:
        if self._new:  # none of them is in the array yet (the set says so)
            new = np.sort(np.array(self._new, dtype=np.int32))
            self._arr = np.insert(self._arr, np.searchsorted(self._arr, new), new)
            self._new = []
        return self._arr


class StaticRank:
    def __init__(self) -> None:
        self.ranked = 0  # documents below this were numbered in prior order by the build
        self.top = 0  # the popular prefix: documents below this
        self.top_min = math.inf  # the lowest prior in it at the build
        self.moved = DocSet()  # ranked documents whose prior changed since
        self.climbers = DocSet()  # documents past the prefix with a prior ≥ top_min

    @staticmethod
    def order(prior: np.ndarray) -> np.ndarray:
        """The build's numbering: positions of ``prior`` from highest to lowest."""
        return np.argsort(-prior, kind="stable")

    def built(self, prior: np.ndarray) -> None:
        """Documents 0..len(prior)-1 were just numbered by ``order``."""
        n = int(prior.size)
        self.ranked = n
        self.top = min(n, max(POPULAR_MIN, n // POPULAR_SHARE))
        self.top_min = float(prior[self.top - 1]) if self.top else math.inf
        self.moved = DocSet()
        self.climbers = DocSet()

    def note(self, doc: int, prior: float) -> None:
        """A document's prior changed, or the document was appended."""
        if doc < self.ranked:
            self.moved.add(doc)
        if doc >= self.top and prior >= self.top_min:
            self.climbers.add(doc)

    def head(self, cands: np.ndarray, k: int, prior: np.ndarray) -> np.ndarray | None:
        """Candidates (sorted) holding the ``k`` with the highest prior: the first ``k``,
        plus those that may have passed them since the build. None when the order is too
        stale to help (most candidates appended since, or many moved)."""
        cut = int(np.searchsorted(cands, self.ranked))
        if cut < 2 * k or self.many_moved():
            return None
        head = cands[:k]
        parts = [head]
        if cut < cands.size:  # appended since the build: their best k
            parts.append(_best(cands[cut:], k, prior))
        if self.moved:
            # Every other ranked candidate still has its build prior, at most that of the
            # k-th, which is at most the lowest prior of the head now.
            moved = intersect(cands[k:cut], self.moved.array())
            if moved.size:
                parts.append(_best(moved[prior[moved] >= prior[head].min()], k, prior))
        return union(parts) if len(parts) > 1 else head

    def window(self, cands: np.ndarray, cap: int, own: np.ndarray
               ) -> tuple[np.ndarray, int] | None:
        """The first ``cap`` candidates (sorted), plus every later one that may have passed
        them since the build (moved, appended, or in ``own``: the member's used replies,
        which count double), and the first document after them: every other later
        candidate is used at most as much as that one. None when the order is too stale
        to help or the candidates are few."""
        cut = int(np.searchsorted(cands, self.ranked))
        if cut <= cap or self.many_moved():
            return None
        later = cands[cap:cut]
        extra = [intersect(later, self.moved.array())] if self.moved else []
        if own.size:
            extra.append(intersect(later, own))
        parts = [cands[:cap], union(extra), cands[cut:]] if extra else [cands[:cap],
                                                                         cands[cut:]]
        return np.concatenate(parts), int(cands[cap])

    def popular(self, own: np.ndarray) -> Popular:
        """The popular documents of one search: the prefix, the climbers and the member's
        own used replies."""
        climbers = self.climbers.array()
        mine = own[own >= self.top]
        extra = union([climbers, mine]) if mine.size else climbers
        return Popular(self.top, extra)

    def stale(self) -> bool:
        """Whether usage moved so far from the build's order that the shortcuts above
        help little: a quarter of the replies moved, or more climbers than the popular
        prefix holds. The next build orders everything again. Never below 8,192 replies:
        lists are short there, and rebuilding after every few dozen uses would buy
        nothing."""
        if self.ranked < STALE_MIN:
            return False
        return self.many_moved() or len(self.climbers) > self.top

    def many_moved(self) -> bool:
        return len(self.moved) * 4 > self.ranked


def _best(docs: np.ndarray, k: int, prior: np.ndarray) -> np.ndarray:
    """The ``k`` of ``docs`` with the highest prior (sorted), or all of them if fewer."""
    if docs.size <= k:
        return docs
    return np.sort(docs[np.argpartition(prior[docs], docs.size - k)[-k:]])


class Popular:
    """A set of documents: those below ``top`` and the sorted ``extra`` (all ≥ top). The
    pinyin matcher (_chains.pyx) narrows occurrence lists and documents to it."""

    __slots__ = ("extra", "top")

    def __init__(self, top: int, extra: np.ndarray) -> None:
        self.top, self.extra = top, extra
