"""Compact posting lists: key (uint64) → sorted document numbers (int32), in three arrays.

Built once with numpy sorting (no per-key Python objects, so 100k replies' body bigrams take
tens of MB, not hundreds); documents added later go to a small dict ``delta`` until the
next rebuild. Keys are integers the index derives from characters or pinyin tokens.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import numpy as np

DOC_BITS = 22  # up to 4M documents per organization index
EMPTY = np.empty(0, dtype=np.int32)


class Postings:
    __slots__ = ("delta", "docs", "keys", "slices", "starts")

    # Up to this many distinct keys, a dict maps each key to its slice: a dict lookup costs
    # ~0.1 µs against ~3 µs for np.searchsorted, and queries look up dozens of keys.
    DICT_KEYS_MAX = 300_000

    def __init__(self, keys: np.ndarray, starts: np.ndarray, docs: np.ndarray) -> None:
        self.keys = keys
        self.starts = starts
        self.docs = docs
        self.delta: dict[int, list[int]] = defaultdict(list)
        self.slices: dict[int, tuple[int, int]] | None = None
        if keys.size <= self.DICT_KEYS_MAX:
            self.slices = dict(zip(keys.tolist(), pairwise(starts.tolist()), strict=True))

    @classmethod
    def build(cls, keys: np.ndarray, docs: np.ndarray, value_bits: int = DOC_BITS
              ) -> Postings:
        """From parallel arrays of (key, doc) pairs, duplicates allowed. The values may be
        anything of ``value_bits`` bits below 2**31 (pinyin postings store positions)."""
        if keys.size == 0:
            return cls(np.empty(0, np.uint64), np.zeros(1, np.int64), EMPTY)
        # In place where possible: at 100k replies the body has ~20M (key, doc) pairs, and
        # every temporary array is 160 MB of memory traffic.
        combined = keys.astype(np.uint64)  # a copy: shifted in place below
        combined <<= np.uint64(value_bits)
        np.bitwise_or(combined, docs, out=combined, casting="unsafe")
        combined.sort()  # sort + neighbour test: much faster than np.unique's hashing here
        if combined.size > 1:
            keep = np.empty(combined.size, dtype=bool)
            keep[0] = True
            np.not_equal(combined[1:], combined[:-1], out=keep[1:])
            combined = combined[keep]
        d = (combined & np.uint64((1 << value_bits) - 1)).astype(np.int32)
        combined >>= np.uint64(value_bits)
        k = combined
        boundaries = np.flatnonzero(np.diff(k)) + 1
        starts = np.concatenate(([0], boundaries, [k.size])).astype(np.int64)
        return cls(k[starts[:-1]], starts, d)

    def get(self, key: int) -> np.ndarray:
        if self.slices is not None:
            bounds = self.slices.get(key)
            main = self.docs[bounds[0]:bounds[1]] if bounds is not None else EMPTY
        else:
            i = int(np.searchsorted(self.keys, key))
            main = (self.docs[self.starts[i]:self.starts[i + 1]]
                    if i < self.keys.size and int(self.keys[i]) == key else EMPTY)
        extra = self.delta.get(key)
        if extra:
            return np.concatenate((main, np.asarray(extra, dtype=np.int32)))
        return main

    def range_docs(self, lo: int, hi: int) -> np.ndarray:
        """Sorted distinct documents under any key in [lo, hi): one contiguous run of
        ``docs``, since keys are sorted (all bigrams starting with one character)."""
        i, j = (int(x) for x in np.searchsorted(self.keys, [lo, hi]))
        run = self.docs[self.starts[i]:self.starts[j]]
        extra = [d for key, ds in self.delta.items() if lo <= key < hi for d in ds]
        if extra:
            run = np.concatenate((run, np.asarray(extra, dtype=np.int32)))
        if run.size > 65536:  # a common character: a mask beats sorting millions
            mask = np.zeros(int(run.max()) + 1, dtype=bool)
            mask[run] = True
            return np.flatnonzero(mask).astype(np.int32)
        return np.unique(run)

    def add(self, keys: set[int], doc: int) -> None:
        for key in keys:
            self.delta[key].append(doc)

    def add_values(self, values: dict[int, list[int]]) -> None:
        """Sorted values per key for one new document (numbered above every other)."""
        for key, vals in values.items():
            self.delta[key].extend(vals)

    def nbytes(self) -> int:
        # A dict entry with its int keys and tuple is about 150 bytes.
        extra = 150 * len(self.slices) if self.slices is not None else 0
        return int(self.keys.nbytes + self.starts.nbytes + self.docs.nbytes) + extra


def union(arrays: list[np.ndarray]) -> np.ndarray:
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return EMPTY
    if len(arrays) == 1:
        return arrays[0]
    merged = np.concatenate(arrays)
    merged.sort()
    return merged[np.concatenate(([True], merged[1:] != merged[:-1]))]


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.size == 0 or b.size == 0:
        return EMPTY
    small, large = (a, b) if a.size <= b.size else (b, a)
    pos = np.searchsorted(large, small)
    pos[pos >= large.size] = 0
    return small[large[pos] == small]
