"""Per-document strings of a search index, packed.

A Python ``str`` costs about 75 bytes before its first character, and an index keeps several
per reply (folded title, body and short fields, the shortcut, the key): at 100k replies the
headers alone were ~40 MB. Here documents are joined into one string per block of 512, and
each document is a (start, end) range of its block: ``str.find`` and ``str.startswith``
take such a range and search it in place, with no copy.

Search matches folded text; users see the original. Folding is one character to one
character (text.py), so a column can keep the originals as the few characters folding
changed (full-width punctuation, capitals, traditional characters): positions and original
code points per block, applied only when a result is shown.

The column is append-only, like the index (an edited reply gets a new document). The last,
open block keeps its documents as separate strings until 512 have arrived.
"""

from __future__ import annotations

import sys
from array import array

import numpy as np

BLOCK_BITS = 9
BLOCK = 1 << BLOCK_BITS
_NONE = np.empty(0, np.uint32)


class Texts:
    def __init__(self, keep_originals: bool = False) -> None:
        # Per document: the string holding it (its block, or itself while its block is
        # open) and its range there. Lists of references share one object per block.
        self.where: list[str] = []
        self.start = array("I")
        self.end = array("I")
        self.keep_originals = keep_originals
        self._sealed = 0  # documents in full blocks
        self._open_originals: dict[int, str] = {}  # open documents that folding changed
        self._patches: list[tuple[np.ndarray, np.ndarray]] = []  # per block

    def __len__(self) -> int:
        return len(self.where)

    def extend(self, texts: list[str], originals: list[str] | None = None) -> None:
        """Append documents; ``originals`` (same lengths, character for character) when
        the column keeps them."""
        first = len(self.where)
        self.where += texts
        self.start.extend(0 for _ in texts)
        self.end.extend(map(len, texts))
        if self.keep_originals and originals is not None:
            for i, (folded, orig) in enumerate(zip(texts, originals, strict=True)):
                if folded != orig:
                    self._open_originals[first + i] = orig
        while len(self.where) - self._sealed >= BLOCK:
            self._seal()

    def _seal(self) -> None:
        a, b = self._sealed, self._sealed + BLOCK
        parts = self.where[a:b]
        joined = "".join(parts)
        lens = np.fromiter(map(len, parts), dtype=np.int64, count=BLOCK)
        ends = np.cumsum(lens)
        self.where[a:b] = [joined] * BLOCK
        self.start[a:b] = array("I", (ends - lens).tolist())
        self.end[a:b] = array("I", ends.tolist())
        if self.keep_originals:
            changed = [self._open_originals.pop(d, None) for d in range(a, b)]
            if any(c is not None for c in changed):
                orig = "".join(c if c is not None else p for c, p in zip(changed, parts,
                                                                         strict=True))
                o = np.frombuffer(orig.encode("utf-32-le"), dtype=np.uint32)
                f = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
                pos = np.flatnonzero(o != f).astype(np.uint32)
                self._patches.append((pos, o[pos]))
            else:
                self._patches.append((_NONE, _NONE))
        self._sealed = b

    # --- reading -------------------------------------------------------------------

    def get(self, doc: int) -> str:
        """The folded text (a copy of its range)."""
        return self.where[doc][self.start[doc]:self.end[doc]]

    def find(self, doc: int, sub: str) -> int:
        s = self.start[doc]
        p = self.where[doc].find(sub, s, self.end[doc])
        return p - s if p >= 0 else -1

    def startswith(self, doc: int, prefix: str) -> bool:
        s = self.start[doc]
        return self.where[doc].startswith(prefix, s, self.end[doc])

    def original(self, doc: int) -> str:
        """The text as written (what a result shows)."""
        text = self.get(doc)
        if not self.keep_originals:
            return text
        if doc >= self._sealed:
            return self._open_originals.get(doc, text)
        pos, chars = self._patches[doc >> BLOCK_BITS]
        s = self.start[doc]
        i, j = np.searchsorted(pos, (s, self.end[doc])).tolist()
        if i == j:
            return text
        out = list(text)
        for p, c in zip(pos[i:j].tolist(), chars[i:j].tolist(), strict=True):
            out[p - s] = chr(c)
        return "".join(out)

    def nbytes(self) -> int:
        strings = self.where[: self._sealed: BLOCK] + self.where[self._sealed:]
        patches = sum(p.nbytes + c.nbytes for p, c in self._patches)
        return (sum(map(sys.getsizeof, strings)) + patches + sys.getsizeof(self.where)
                + self.start.itemsize * (len(self.start) + len(self.end)))
