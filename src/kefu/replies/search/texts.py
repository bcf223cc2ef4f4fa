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
        self.blocks: list[str] = []  # full blocks, joined
        self.open: list[str] = []  # the documents after them, one string each
        self.sealed = 0  # documents in full blocks
        # Range of each sealed document in its block.
        self.start = array("I")
        self.end = array("I")
        self.keep_originals = keep_originals
        self._open_originals: dict[int, str] = {}  # open documents that folding changed
        self._patches: list[tuple[np.ndarray, np.ndarray]] = []  # per block
        self._set_parts()

    def _set_parts(self) -> None:
        # What a reader binds before reading many documents (_texts.pyx).
        self.parts = (self.blocks, self.start, self.end, self.sealed, self.open)

    def __len__(self) -> int:
        return self.sealed + len(self.open)

    def extend(self, texts: list[str], originals: list[str] | None = None) -> None:
        """Append documents; ``originals`` (same lengths, character for character) when
        the column keeps them. A block at a time, so the open part stays small."""
        done = 0
        while done < len(texts):
            room = BLOCK - len(self.open)
            part = texts[done:done + room]
            kept = len(part) < room  # stays open: kept as strings, so copies of our own
            first = len(self)
            self.open += [own_copy(t) for t in part] if kept else part
            if self.keep_originals and originals is not None:
                for i, orig in enumerate(originals[done:done + room]):
                    if orig != part[i]:
                        self._open_originals[first + i] = own_copy(orig) if kept else orig
            done += len(part)
            if len(self.open) == BLOCK:
                self._seal()
        self._set_parts()

    def _seal(self) -> None:
        parts, a = self.open, self.sealed
        joined = "".join(parts)
        lens = np.fromiter(map(len, parts), dtype=np.int64, count=BLOCK)
        ends = np.cumsum(lens)
        self.start.extend(array("I", (ends - lens).tolist()))
        self.end.extend(array("I", ends.tolist()))
        if self.keep_originals:
            changed = [self._open_originals.pop(d, None) for d in range(a, a + BLOCK)]
            if any(c is not None for c in changed):
                orig = "".join(p if c is None else c for c, p in zip(changed, parts,
                                                                     strict=True))
                o = np.frombuffer(orig.encode("utf-32-le"), dtype=np.uint32)
                f = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
                pos = np.flatnonzero(o != f)
                self._patches.append((_small(pos), _small(o[pos])))
            else:
                self._patches.append((_NONE, _NONE))
        self.blocks.append(joined)
        self.open = []
        self.sealed += BLOCK

    # --- reading -------------------------------------------------------------------

    def get(self, doc: int) -> str:
        """The folded text (a copy of its range)."""
        if doc >= self.sealed:
            return self.open[doc - self.sealed]
        return self.blocks[doc >> BLOCK_BITS][self.start[doc]:self.end[doc]]

    # Matching reads ``parts`` in place (_texts.pyx): it runs per candidate.

    def original(self, doc: int) -> str:
        """The text as written (what a result shows)."""
        text = self.get(doc)
        if not self.keep_originals:
            return text
        if doc >= self.sealed:
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
        patches = sum(p.nbytes + c.nbytes for p, c in self._patches)
        return (sum(map(sys.getsizeof, self.blocks + self.open)) + patches
                + self.start.itemsize * (len(self.start) + len(self.end)))


def own_copy(text: str) -> str:
    """A new string equal to ``text``. What an index keeps must not be its caller's strings:
    Python's allocator hands memory back to the system by whole arenas, and one kept string
    of a row keeps the arena around it (other rows, long freed) in the process. After a
    100k build numbered in usage order, the open block's strings, from rows all over memory,
    kept 120 MB that way."""
    return "".join((text, ""))


def _small(values: np.ndarray) -> np.ndarray:
    """Positions in a block and code points of changed characters fit 16 bits nearly always
    (a block under 65,536 characters; folding changes only characters of the BMP)."""
    if values.size == 0 or int(values.max()) < 1 << 16:
        return values.astype(np.uint16)
    return values.astype(np.uint32)
