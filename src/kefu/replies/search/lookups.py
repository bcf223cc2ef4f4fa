"""Lookups by reply id and by shortcut or key, in arrays rather than dicts of Python ints
and tuples (at 100k replies the dicts took 11 MB and 6 MB; these take about 2)."""

from __future__ import annotations

import bisect
from array import array
from typing import TYPE_CHECKING

import numpy as np

from kefu.replies.search.text import fold

if TYPE_CHECKING:
    from kefu.replies.search.texts import Texts


class DocMap:
    """Reply id → live document. The documents of a build are two sorted arrays (1.2 MB at
    100k replies, where a dict of ints took 11 MB); changes since are a small dict, with -1
    for a removed reply."""

    def __init__(self) -> None:
        self.ids = np.empty(0, np.int64)
        self.docs = np.empty(0, np.int32)
        self.changed: dict[int, int] = {}

    def add(self, ids: np.ndarray, docs: np.ndarray) -> None:
        if self.ids.size == 0 and not self.changed and ids.size > 1:
            order = np.argsort(ids, kind="stable")
            self.ids, self.docs = ids[order], docs[order]
        else:
            self.changed.update(zip(ids.tolist(), docs.tolist(), strict=True))

    def get(self, reply_id: int) -> int | None:
        doc = self.changed.get(reply_id)
        if doc is None:
            i = int(np.searchsorted(self.ids, reply_id))
            doc = int(self.docs[i]) if i < self.ids.size and self.ids[i] == reply_id else -1
        return doc if doc >= 0 else None

    def pop(self, reply_id: int) -> int | None:
        doc = self.get(reply_id)
        if doc is not None:
            self.changed[reply_id] = -1
        return doc

    def many(self, reply_ids: np.ndarray) -> np.ndarray:
        """Documents of many reply ids at once, -1 where none is live."""
        i = np.minimum(np.searchsorted(self.ids, reply_ids), max(self.ids.size - 1, 0))
        out = np.full(reply_ids.size, -1, np.int64)
        if self.ids.size:
            hit = self.ids[i] == reply_ids
            out[hit] = self.docs[i[hit]]
        if self.changed:
            for k, rid in enumerate(reply_ids.tolist()):
                doc = self.changed.get(rid)
                if doc is not None:
                    out[k] = doc
        return out


class CodeMap:
    """Folded shortcut (or key) → documents. The codes of a build are hashes, sorted, checked
    against the column's text on a hit; codes added since are a small dict. A code is hashed
    without its leading "/", so "tk1" and "/tk1" are found in one lookup. Dead documents
    stay listed: every search filters them out with the rest of visibility."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts
        # Python arrays: bisect on them takes 0.3 µs where np.searchsorted takes 1.
        self.hashes = array("q")
        self.docs = array("i")
        self.added: dict[str, list[int]] = {}
        # First two characters of every code: most searched terms are no code, and this
        # says so in 0.1 µs (a hash lookup takes 1).
        self.heads: set[str] = set()

    def add(self, codes: list[str], first: int) -> None:
        """Codes (folded, "" for none) of documents ``first``, ``first + 1``..."""
        self.heads.update(c.removeprefix("/")[:2] for c in codes if c)
        if not self.hashes and not self.added and len(codes) > 1:
            at = [i for i, c in enumerate(codes) if c]
            hashes = np.fromiter((hash(codes[i].removeprefix("/")) for i in at),
                                 dtype=np.int64, count=len(at))
            order = np.argsort(hashes, kind="stable")
            self.hashes = array("q", hashes[order].tolist())
            self.docs = array("i", (np.asarray(at, dtype=np.int64)[order] + first).tolist())
            return
        for i, code in enumerate(codes):
            if code:
                self.added.setdefault(code.removeprefix("/"), []).append(first + i)

    def get(self, code: str, alive: np.ndarray, or_slashed: bool = False) -> list[int]:
        """Live documents whose code is ``code``; with ``or_slashed``, if there are none,
        those whose code is "/" + ``code``."""
        bare = code.removeprefix("/")
        if bare[:2] not in self.heads:
            return []
        cands = list(self.added.get(bare, ()))
        if self.hashes:
            h, hashes = hash(bare), self.hashes
            i = bisect.bisect_left(hashes, h)
            while i < len(hashes) and hashes[i] == h:
                cands.append(self.docs[i])
                i += 1
        cands = [d for d in cands if alive[d]]
        if not cands:
            return cands
        codes = [fold(self.texts.get(d)) for d in cands]  # a hash is not the code
        found = [d for d, c in zip(cands, codes, strict=True) if c == code]
        if not found and or_slashed and bare == code:
            found = [d for d, c in zip(cands, codes, strict=True) if c == "/" + code]
        return found
