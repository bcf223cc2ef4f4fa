"""Sparse counting structures the retrieval model is made of, all updatable one item at a
time (learning is immediate: no retraining step).

- :class:`SparseIndex`: BM25 over token lists (reply texts; past buyer messages).
- :class:`ClassCounts`: per-class token counts for a naive Bayes classifier over replies.

Each term's postings live in NumPy arrays (``compact()`` after a bulk build), plus a small
Python *delta* for what was added since; reading a term merges the two once and caches it.
Tens of thousands of examples are then a few hundred thousand array cells rather than
millions of Python objects, which keeps the garbage collector's pauses out of the latency.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

EMPTY_I = np.zeros(0, np.int64)
EMPTY_F = np.zeros(0, np.float32)


class SparseIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.terms: dict[str, int] = {}
        self.base: list[tuple[np.ndarray, np.ndarray]] = []
        self.delta: dict[int, tuple[list[int], list[float]]] = {}
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.length = np.zeros(0, np.float32)
        self.alive = np.zeros(0, bool)
        self.n = 0
        self.n_alive = 0
        self.total_length = 0.0
        self.pending = 0  # postings in deltas

    def _grow(self) -> None:
        if self.n < self.length.size:
            return
        cap = max(64, int(self.length.size * 1.5))
        for name, dtype in (("length", np.float32), ("alive", bool)):
            old = getattr(self, name)
            new = np.zeros(cap, dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def add(self, tokens: Iterable[str]) -> int:
        counts = Counter(tokens)
        self._grow()
        doc = self.n
        self.n += 1
        self.n_alive += 1
        size = float(sum(counts.values()))
        self.length[doc] = size
        self.alive[doc] = True
        self.total_length += size
        for term, tf in counts.items():
            tid = self.terms.get(term)
            if tid is None:
                tid = self.terms[term] = len(self.base)
                self.base.append((EMPTY_I, EMPTY_F))
            docs, tfs = self.delta.setdefault(tid, ([], []))
            docs.append(doc)
            tfs.append(float(tf))
            self._cache.pop(tid, None)
        self.pending += len(counts)
        if self.pending > 200_000:
            self.compact()
        return doc

    def compact(self) -> None:
        """Move every delta into the arrays (after a bulk build, or when deltas grow)."""
        for tid, (docs, tfs) in self.delta.items():
            d, t = self.base[tid]
            self.base[tid] = (np.concatenate((d, np.asarray(docs, np.int64))),
                              np.concatenate((t, np.asarray(tfs, np.float32))))
        self.delta.clear()
        self._cache.clear()
        self.pending = 0

    def remove(self, doc: int) -> None:
        if 0 <= doc < self.n and self.alive[doc]:
            self.alive[doc] = False
            self.n_alive -= 1
            self.total_length -= float(self.length[doc])

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        found = self._cache.get(tid)
        if found is not None:
            return found
        d, t = self.base[tid]
        extra = self.delta.get(tid)
        if extra is not None:
            d = np.concatenate((d, np.asarray(extra[0], np.int64)))
            t = np.concatenate((t, np.asarray(extra[1], np.float32)))
            self._cache[tid] = (d, t)
        return d, t

    def scores(self, tokens: Iterable[str], max_df: float = 1.0) -> np.ndarray:
        """BM25 of every document (dead ones score 0) for the distinct query tokens. Terms in
        more than ``max_df`` of the documents are skipped: they say little and cost most."""
        out = np.zeros(self.n, np.float32)
        if not self.n_alive:
            return out
        n = self.n_alive
        avg = max(self.total_length / n, 1e-6)
        norm = self.k1 * (1 - self.b + self.b * self.length[: self.n] / avg)
        for term in set(tokens):
            tid = self.terms.get(term)
            if tid is None:
                continue
            docs, tf = self._postings(tid)
            df = min(len(docs), n)
            if df > max_df * n and n > 50:  # in a small index every term is frequent
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            out[docs] += idf * tf * (self.k1 + 1) / (tf + norm[docs])
        out[~self.alive[: self.n]] = 0
        return out


class ClassCounts:
    """Token counts per class (a reply) from the examples that chose it: multinomial naive
    Bayes with Laplace smoothing, each example counting each distinct token once."""

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.base: list[tuple[np.ndarray, np.ndarray]] = []  # (classes, counts) per term
        self.delta: dict[int, dict[int, float]] = {}
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.total = np.zeros(0, np.float64)  # tokens counted per class
        self.count = np.zeros(0, np.float64)  # examples per class
        self.n_examples = 0.0
        self.pending = 0

    def grow(self, classes: int) -> None:
        if classes <= self.total.size:
            return
        cap = max(classes, int(self.total.size * 1.5) + 64)
        for name in ("total", "count"):
            old = getattr(self, name)
            new = np.zeros(cap, np.float64)
            new[: old.size] = old
            setattr(self, name, new)

    def add(self, cls: int, tokens: Iterable[str], weight: float = 1.0) -> None:
        self.grow(cls + 1)
        distinct = set(tokens)
        for term in distinct:
            tid = self.terms.get(term)
            if tid is None:
                tid = self.terms[term] = len(self.base)
                self.base.append((EMPTY_I, np.zeros(0, np.float64)))
            row = self.delta.setdefault(tid, {})
            row[cls] = row.get(cls, 0.0) + weight
            self._cache.pop(tid, None)
        self.pending += len(distinct)
        self.total[cls] = max(0.0, self.total[cls] + weight * len(distinct))
        self.count[cls] = max(0.0, self.count[cls] + weight)
        self.n_examples = max(0.0, self.n_examples + weight)
        if self.pending > 200_000:
            self.compact()

    def _merged(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        cls, counts = self.base[tid]
        extra = self.delta.get(tid)
        if extra:
            cls = np.concatenate((cls, np.fromiter(extra.keys(), np.int64, len(extra))))
            counts = np.concatenate((counts, np.fromiter(extra.values(), np.float64,
                                                         len(extra))))
            cls, where = np.unique(cls, return_inverse=True)
            counts = np.bincount(where, weights=counts, minlength=cls.size)
            keep = counts > 0
            cls, counts = cls[keep], counts[keep]
        return cls, counts

    def compact(self) -> None:
        for tid in self.delta:
            self.base[tid] = self._merged(tid)
        self.delta.clear()
        self._cache.clear()
        self.pending = 0

    def _row(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        found = self._cache.get(tid)
        if found is None:
            found = self._merged(tid)
            if tid in self.delta:
                self._cache[tid] = found
        return found

    def log_likelihood(self, tokens: Iterable[str], classes: int, alpha: float) -> np.ndarray:
        """log P(tokens | class) up to a constant shared by all classes."""
        self.grow(classes)
        distinct = [self.terms[t] for t in set(tokens) if t in self.terms]
        vocab = max(len(self.terms), 1)
        out = -len(distinct) * np.log(self.total[:classes] + alpha * vocab)
        for tid in distinct:
            cls, counts = self._row(tid)
            keep = cls < classes
            out[cls[keep]] += np.log1p(counts[keep] / alpha)  # a row's classes are distinct
        return out

    def log_prior(self, classes: int) -> np.ndarray:
        self.grow(classes)
        return np.log((self.count[:classes] + 0.5) / (self.n_examples + 0.5 * classes))


def masked_softmax(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A softmax over the masked entries; 0 elsewhere."""
    out = np.zeros(x.shape, np.float64)
    if not mask.any():
        return out
    v = x[mask].astype(np.float64)
    v = np.exp(v - v.max())
    out[mask] = v / v.sum()
    return out


def zscores(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Standard scores against the masked entries (0 when they are all alike)."""
    v = x[mask]
    std = float(v.std()) if v.size else 0.0
    if std < 1e-9:
        return np.zeros(x.shape, np.float64)
    return (x - float(v.mean())) / std
