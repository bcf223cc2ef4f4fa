"""Compact posting lists: key (uint64) → sorted document numbers (int32), in three arrays.

Built once with numpy sorting (no per-key Python objects, so 100k replies' body bigrams take
tens of MB, not hundreds); documents added later go to a small dict ``delta`` until the
next rebuild. Keys are integers the index derives from characters or pinyin tokens.

Lists holding more than 1/16 of all documents (a body bigram like 您的) may be kept as
bitmaps instead (``dense_over``): an eighth of a byte per document instead of four bytes per
entry. ``lookup`` hands them out as ``Bits``, which answers "which of these documents" in
one vectorised step; ``get`` still returns the sorted documents, decoding when it must.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import numpy as np

from kefu.replies.search._chains import Lists
from kefu.replies.search._sorted import EMPTY, in_bitmaps, intersect, member, union

__all__ = ["EMPTY", "Bits", "Docs", "Postings", "distinct", "intersect", "member", "union"]

DOC_BITS = 22  # up to 4M documents per organization index


class Bits:
    """A dense posting list: a bitmap over the documents of the build, plus any added since."""

    __slots__ = ("bits", "count", "extra")

    def __init__(self, bits: np.ndarray, count: int, extra: np.ndarray) -> None:
        self.bits, self.count, self.extra = bits, count, extra

    @property
    def size(self) -> int:
        return self.count + int(self.extra.size)

    def has(self, docs: np.ndarray) -> np.ndarray:
        """Which of ``docs`` are in the list."""
        found = in_bitmaps([self.bits], docs)
        if self.extra.size:
            found |= np.isin(docs, self.extra)
        return found

    def docs(self) -> np.ndarray:
        found = _decode(self.bits)
        return np.concatenate((found, self.extra)) if self.extra.size else found

    @staticmethod
    def in_all(lists: list[Bits]) -> np.ndarray:
        """The documents in every one of several dense lists of one ``Postings``: their
        bitmaps AND'ed, then decoded once (decoding is the costly step)."""
        found = _decode(Bits._anded(lists))
        extra = union([b.extra for b in lists])
        if extra.size:
            for other in lists:
                extra = extra[other.has(extra)]
            found = np.concatenate((found, extra))  # added since the build: numbered above
        return found

    @staticmethod
    def has_all(lists: list[Bits], docs: np.ndarray) -> np.ndarray:
        """Which of ``docs`` are in every one of several dense lists of one ``Postings``:
        one compiled pass over the documents reading each bitmap (numpy read them one
        bitmap after the other, 0.4 ms at 19,000 documents and four bitmaps, or AND'ed
        the bitmaps first, 12.5 KB each at 100k replies)."""
        found = in_bitmaps([b.bits for b in lists], docs)
        if any(b.extra.size for b in lists):  # added since the build: numbered above
            late = np.flatnonzero(docs >= lists[0].bits.size * 8)
            ok = np.ones(late.size, dtype=bool)
            for b in lists:
                ok &= np.isin(docs[late], b.extra)
            found[late] = ok
        return found

    @staticmethod
    def _anded(lists: list[Bits]) -> np.ndarray:
        bits = lists[0].bits
        for other in lists[1:]:
            bits = bits & other.bits
        return bits


def _decode(bits: np.ndarray) -> np.ndarray:
    # nonzero of a bool view: four times faster than of the uint8 values (290 → 68 µs for
    # 100k documents)
    return np.flatnonzero(np.unpackbits(bits, bitorder="little").view(bool)).astype(np.int32)


Docs = np.ndarray | Bits


class Postings:
    __slots__ = ("_dense_sizes", "_lists", "as_bits", "delta", "dense", "docs", "keys",
                 "merged", "slices", "starts")

    # Up to this many distinct keys, a dict maps each key to its slice: a dict lookup costs
    # ~0.1 µs against ~3 µs for np.searchsorted, and queries look up dozens of keys.
    DICT_KEYS_MAX = 300_000
    # range_docs keeps the runs it merged from this many entries up (a common character's
    # body bigrams: 退 took 0.8 ms, for each term of 退 发 地 快), up to MERGED_MAX documents
    # in all (4 MB), the last used kept.
    MERGE_KEPT_FROM = 4096
    MERGED_MAX = 1 << 20

    def __init__(self, keys: np.ndarray, starts: np.ndarray, docs: np.ndarray) -> None:
        self.keys = keys
        self.starts = starts
        self.docs = docs
        self.delta: dict[int, list[int]] = defaultdict(list)
        self.dense: dict[int, tuple[np.ndarray, int]] = {}  # key -> (bitmap, count)
        self.slices: dict[int, tuple[int, int]] | None = None
        self.merged: dict[tuple[int, int], np.ndarray] = {}  # range_docs; read-only arrays
        # range_size: the bitmaps' keys, sorted, and their counts summed (made when needed;
        # the bitmaps never change after the build)
        self._dense_sizes: tuple[np.ndarray, np.ndarray] | None = None
        self._lists: Lists | None = None
        self.as_bits: dict[int, tuple[np.ndarray, int]] = {}  # bitmap(); read-only
        if keys.size <= self.DICT_KEYS_MAX:
            self.slices = dict(zip(keys.tolist(), pairwise(starts.tolist()), strict=True))

    @classmethod
    def build(cls, keys: np.ndarray, docs: np.ndarray, value_bits: int = DOC_BITS,
              n_docs: int | None = None) -> Postings:
        """From parallel arrays of (key, doc) pairs, duplicates allowed. The values may be
        anything of ``value_bits`` bits below 2**31 (pinyin postings store positions).
        With ``n_docs`` (documents are numbered below it), lists holding more than a
        sixteenth of them become bitmaps."""
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
        uniq = k[starts[:-1]]
        if n_docs is None:
            return cls(uniq, starts, d)
        return cls._with_bitmaps(uniq, starts, d, n_docs)

    @classmethod
    def _with_bitmaps(cls, keys: np.ndarray, starts: np.ndarray, docs: np.ndarray,
                      n_docs: int) -> Postings:
        lengths = np.diff(starts)
        dense_at = np.flatnonzero(lengths > max(n_docs // 16, 32))
        dense: dict[int, tuple[np.ndarray, int]] = {}
        keep = np.ones(docs.size, dtype=bool)
        marks = np.zeros(-(-n_docs // 8) * 8, dtype=bool)
        for i in dense_at.tolist():
            run = docs[starts[i]:starts[i + 1]]
            marks[:] = False
            marks[run] = True
            dense[int(keys[i])] = (np.packbits(marks, bitorder="little"), int(run.size))
            keep[starts[i]:starts[i + 1]] = False
        if not dense:
            return cls(keys, starts, docs)
        lengths[dense_at] = 0
        new_starts = np.zeros(starts.size, dtype=np.int64)
        np.cumsum(lengths, out=new_starts[1:])
        out = cls(keys, new_starts, docs[keep])
        out.dense = dense
        return out

    # bitmap(): lists from this long have a bitmap made beside them when asked for. At
    # 100k replies, 215 title characters are in 1,024 titles or more: 2.7 MB if every one
    # was asked for; 女 of 女马甲 (3,404 titles) filtered 马甲's 2,692 in 12 µs by merging.
    BITS_FROM = 1024

    def bitmap(self, key: int) -> Docs:
        """The documents under ``key`` as ``lookup`` gives them, except that a long list
        comes as a bitmap too (made once and kept): a filter of a few hundred documents
        by it reads a bit each instead of merging with the whole list. The titles holding
        衣 (29,000 at 100k replies), for a term with a character left out (engine's
        gap_cands): 10 µs each."""
        found = self.lookup(key)
        if isinstance(found, Bits) or found.size < self.BITS_FROM:
            return found
        packed = self.as_bits.get(key)
        if packed is None:
            main = self._main(key)  # sorted; documents added since are in ``delta``
            if main.size == 0:
                return found
            marks = np.zeros(-(-(int(main[-1]) + 1) // 8) * 8, dtype=bool)
            marks[main] = True
            packed = (np.packbits(marks, bitorder="little"), int(main.size))
            self.as_bits[key] = packed
        extra = self.delta.get(key)
        return Bits(packed[0], packed[1], np.asarray(extra, dtype=np.int32) if extra else EMPTY)

    def lists(self) -> Lists:
        """These lists for the compiled pinyin matcher (_chains.pyx); made once, as the
        arrays never change after the build (documents added since are in ``delta``,
        which it reads through ``get``)."""
        if self._lists is None:
            self._lists = Lists(self)
        return self._lists

    def lookup(self, key: int) -> Docs:
        """The documents under ``key``: a sorted array, or ``Bits`` for a dense list."""
        packed = self.dense.get(key)
        if packed is None:
            return self.get(key)
        extra = self.delta.get(key)
        return Bits(packed[0], packed[1],
                    np.asarray(extra, dtype=np.int32) if extra else EMPTY)

    def get(self, key: int) -> np.ndarray:
        if key in self.dense:
            found = self.lookup(key)
            assert isinstance(found, Bits)
            return found.docs()
        main = self._main(key)
        extra = self.delta.get(key)
        if extra:
            return np.concatenate((main, np.asarray(extra, dtype=np.int32)))
        return main

    def _main(self, key: int) -> np.ndarray:
        """The list under ``key`` as built (not a bitmap's), without documents added since."""
        if self.slices is not None:
            bounds = self.slices.get(key)
            return self.docs[bounds[0]:bounds[1]] if bounds is not None else EMPTY
        i = int(np.searchsorted(self.keys, key))
        return (self.docs[self.starts[i]:self.starts[i + 1]]
                if i < self.keys.size and int(self.keys[i]) == key else EMPTY)

    def range_docs(self, lo: int, hi: int) -> np.ndarray:
        """Sorted distinct documents under any key in [lo, hi): one contiguous run of
        ``docs``, since keys are sorted (all bigrams starting with one character). Do not
        change the array: it may be kept for the next call."""
        found = self.merged.pop((lo, hi), None)
        if found is None:
            found = self._range_docs(lo, hi)
            if found.size < self.MERGE_KEPT_FROM:
                return found
            found.flags.writeable = False
            while self.merged and sum(a.size for a in self.merged.values()) + found.size \
                    > self.MERGED_MAX:
                del self.merged[next(iter(self.merged))]  # the least recently used
        self.merged[(lo, hi)] = found  # (re)inserted last: the most recently used
        return found

    def range_size(self, lo: int, hi: int) -> int:
        """At least the number of documents under keys in [lo, hi) and at most their
        entries: a single character's estimate without merging its bigrams' lists."""
        found = self.merged.get((lo, hi))
        if found is not None:
            return int(found.size)
        bounds = np.array((lo, hi), dtype=np.uint64)  # a list would be converted: 2× longer
        i, j = self.keys.searchsorted(bounds).tolist()
        size = int(self.starts[j]) - int(self.starts[i])
        if self.dense:  # bitmaps hold no entries in ``docs``
            if self._dense_sizes is None:
                order = sorted(self.dense)
                counts = np.zeros(len(order) + 1, dtype=np.int64)
                np.cumsum([self.dense[k][1] for k in order], out=counts[1:])
                self._dense_sizes = (np.array(order, dtype=np.uint64), counts)
            dense_keys, counts = self._dense_sizes
            i, j = dense_keys.searchsorted(bounds).tolist()
            size += int(counts[j]) - int(counts[i])
        if self.delta:
            size += sum(len(ds) for key, ds in self.delta.items() if lo <= key < hi)
        return size

    def _range_docs(self, lo: int, hi: int) -> np.ndarray:
        i, j = (int(x) for x in np.searchsorted(self.keys, [lo, hi]))
        run = self.docs[self.starts[i]:self.starts[j]]
        extra = [d for key, ds in self.delta.items() if lo <= key < hi for d in ds]
        if extra:
            run = np.concatenate((run, np.asarray(extra, dtype=np.int32)))
        dense = [bits for key, bits in self.dense.items() if lo <= key < hi]
        if dense:  # the bitmaps OR'ed with the rest
            n = dense[0][0].size * 8
            mask = np.zeros(max(n, int(run.max()) + 1 if run.size else 0), dtype=bool)
            mask[run] = True
            for bits, _count in dense:
                mask[:n] |= np.unpackbits(bits, bitorder="little").view(bool)
            return np.flatnonzero(mask).astype(np.int32)
        if run.size > 65536:  # a common character: a mask beats sorting millions
            mask = np.zeros(int(run.max()) + 1, dtype=bool)
            mask[run] = True
            return np.flatnonzero(mask).astype(np.int32)
        return distinct(run)

    def add(self, keys: set[int], doc: int) -> None:
        for key in keys:
            self.delta[key].append(doc)
        self.merged.clear()

    def add_values(self, values: dict[int, list[int]]) -> None:
        """Sorted values per key for one new document (numbered above every other)."""
        for key, vals in values.items():
            self.delta[key].extend(vals)
        self.merged.clear()

    def nbytes(self) -> int:
        # A dict entry with its int keys and tuple is about 150 bytes.
        extra = 150 * len(self.slices) if self.slices is not None else 0
        extra += sum(bits.nbytes for bits, _count in self.dense.values())
        extra += sum(docs.nbytes for docs in self.merged.values())
        extra += sum(bits.nbytes for bits, _count in self.as_bits.values())
        return int(self.keys.nbytes + self.starts.nbytes + self.docs.nbytes) + extra


def distinct(docs: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``docs``.

    Not np.unique nor np.union1d: numpy 2.4 finds distinct values by hashing, which here
    took 3.8 ms for 30,000 documents against 0.2 ms for sorting (a body character's
    documents, for the term 箱 of 箱。退款)."""
    return _distinct_sorting(docs.copy())


def _distinct_sorting(docs: np.ndarray) -> np.ndarray:
    if docs.size == 0:
        return EMPTY
    docs.sort()
    return docs[np.concatenate(([True], docs[1:] != docs[:-1]))]
