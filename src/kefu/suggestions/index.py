"""Sparse counting structures the retrieval model is made of, all updatable one item at a
time (learning is immediate: no retraining step).

- :class:`SparseIndex`: BM25 over token lists (reply texts; past buyer messages).
- :class:`ClassCounts`: per-class token counts for a naive Bayes classifier over replies.

Postings are Python lists while they grow and NumPy arrays when read; a term's array is
rebuilt only after that term changed, so a query costs a few vector additions per token.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np


class SparseIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.terms: dict[str, int] = {}
        self.docs: list[list[int]] = []
        self.tfs: list[list[float]] = []
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.length = np.zeros(0, np.float32)
        self.alive = np.zeros(0, bool)
        self.n = 0
        self.n_alive = 0
        self.total_length = 0.0

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
                tid = self.terms[term] = len(self.docs)
                self.docs.append([])
                self.tfs.append([])
            self.docs[tid].append(doc)
            self.tfs[tid].append(float(tf))
            self._arrays.pop(tid, None)
        return doc

    def remove(self, doc: int) -> None:
        if 0 <= doc < self.n and self.alive[doc]:
            self.alive[doc] = False
            self.n_alive -= 1
            self.total_length -= float(self.length[doc])

    def _postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        found = self._arrays.get(tid)
        if found is None:
            found = (np.asarray(self.docs[tid], np.int64), np.asarray(self.tfs[tid], np.float32))
            self._arrays[tid] = found
        return found

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
            if df > max_df * n:
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
        self.post: list[dict[int, float]] = []
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.total = np.zeros(0, np.float64)  # tokens counted per class
        self.count = np.zeros(0, np.float64)  # examples per class
        self.n_examples = 0.0

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
                tid = self.terms[term] = len(self.post)
                self.post.append({})
            row = self.post[tid]
            value = row.get(cls, 0.0) + weight
            if value > 0:
                row[cls] = value
            else:
                row.pop(cls, None)
            self._arrays.pop(tid, None)
        self.total[cls] = max(0.0, self.total[cls] + weight * len(distinct))
        self.count[cls] = max(0.0, self.count[cls] + weight)
        self.n_examples = max(0.0, self.n_examples + weight)

    def _row(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        found = self._arrays.get(tid)
        if found is None:
            row = self.post[tid]
            found = (np.fromiter(row.keys(), np.int64, len(row)),
                     np.fromiter(row.values(), np.float64, len(row)))
            self._arrays[tid] = found
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
