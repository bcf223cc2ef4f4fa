"""Static rank: a build numbers the documents by usage, most used first.

Ranking wants the most used matches, and posting lists are sorted by document number. With
the numbers given in usage order, every list is already in that order: the most used few
of a long candidate list are its head (no gathering of the usage of thousands of
candidates to pick them), the popular replies are a prefix of every list (a very common
pinyin chain is matched among them by slicing), and they sit together in memory, so the
documents a query touches share cache lines (every query kind 3-8% faster at 100k replies).

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

from kefu.replies.search.build import POS_BITS
from kefu.replies.search.postings import EMPTY, intersect, union

POPULAR_SHARE = 8  # the popular prefix: the most used 1/8 of the replies ...
POPULAR_MIN = 1024  # ... and at least this many


class StaticRank:
    def __init__(self) -> None:
        self.ranked = 0  # documents below this were numbered in prior order by the build
        self.top = 0  # the popular prefix: documents below this
        self.top_min = math.inf  # the lowest prior in it at the build
        self.moved: set[int] = set()  # ranked documents whose prior changed since
        self.climbers: set[int] = set()  # documents past the prefix with a prior ≥ top_min
        self._sorted: dict[str, tuple[int, np.ndarray]] = {}
        self._epoch = 0

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
        self.moved.clear()
        self.climbers.clear()
        self._epoch += 1

    def note(self, doc: int, prior: float) -> None:
        """A document's prior changed, or the document was appended."""
        if doc < self.ranked:
            self.moved.add(doc)
        if doc >= self.top and prior >= self.top_min:
            self.climbers.add(doc)
        self._epoch += 1

    def _docs(self, name: str) -> np.ndarray:
        cached = self._sorted.get(name)
        if cached is None or cached[0] != self._epoch:
            docs: set[int] = getattr(self, name)
            arr = np.fromiter(sorted(docs), dtype=np.int32, count=len(docs))
            cached = self._sorted[name] = (self._epoch, arr)
        return cached[1]

    def head(self, cands: np.ndarray, k: int, prior: np.ndarray) -> np.ndarray | None:
        """Candidates (sorted) holding the ``k`` with the highest prior: the first ``k``,
        plus those that may have passed them since the build. None when the order is too
        stale to help (most candidates appended since, or many moved)."""
        cut = int(np.searchsorted(cands, self.ranked))
        if cut < 2 * k or len(self.moved) * 4 > self.ranked:
            return None
        head = cands[:k]
        parts = [head]
        if cut < cands.size:  # appended since the build: their best k
            tail = cands[cut:]
            if tail.size > k:
                tail = tail[np.argpartition(prior[tail], tail.size - k)[-k:]]
            parts.append(tail)
        if self.moved:
            # Every other ranked candidate still has its build prior, at most that of the
            # k-th, which is at most the lowest prior of the head now.
            moved = intersect(cands[k:cut], self._docs("moved"))
            if moved.size:
                parts.append(moved[prior[moved] >= prior[head].min()])
        return union(parts) if len(parts) > 1 else head

    def popular(self, own: np.ndarray) -> Popular:
        """The popular documents of one search: the prefix, the climbers and the member's
        own used replies."""
        climbers = self._docs("climbers")
        mine = own[own >= self.top]
        extra = union([climbers, mine]) if mine.size else climbers
        return Popular(self.top, extra)


class Popular:
    """A set of documents: those below ``top`` and the sorted ``extra`` (all ≥ top)."""

    __slots__ = ("extra", "top")

    def __init__(self, top: int, extra: np.ndarray) -> None:
        self.top, self.extra = top, extra

    def docs(self, docs: np.ndarray) -> np.ndarray:
        """Those of sorted ``docs`` in the set."""
        head = docs[: int(np.searchsorted(docs, self.top))]
        if self.extra.size == 0 or head.size == docs.size:
            return head
        return np.concatenate((head, intersect(docs[head.size:], self.extra)))

    def occurrences(self, occ: np.ndarray) -> np.ndarray:
        """The entries of a sorted pinyin occurrence list (``doc << POS_BITS | pos``) that
        belong to these documents: a slice, plus a range per extra document."""
        head = occ[: int(np.searchsorted(occ, self.top << POS_BITS))]
        if self.extra.size == 0 or head.size == occ.size:
            return head
        first = self.extra.astype(np.int64) << POS_BITS
        lo = np.searchsorted(occ, first)
        n = np.searchsorted(occ, first + (1 << POS_BITS)) - lo
        total = int(n.sum())
        if total == 0:
            return head
        # Indexes of every range's entries: each range's start repeated over its length,
        # plus the running count within it.
        within = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
        return np.concatenate((head, occ[np.repeat(lo, n) + within]))


NONE = Popular(0, EMPTY)
