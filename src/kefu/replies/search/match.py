"""What a match is, the shape of a group of candidates with its verifier, and the verifier
of literal text that most groups use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kefu.replies.search._texts import BLOCK_BITS as COMPILED_BLOCK_BITS
from kefu.replies.search._texts import GapFind, TextFind
from kefu.replies.search.texts import BLOCK_BITS

if COMPILED_BLOCK_BITS != BLOCK_BITS:  # _texts.pyx reads the blocks with its own copy
    raise ImportError("search/_texts.pyx: BLOCK_BITS differs from texts.py; rebuild it")


@dataclass(slots=True)
class Match:
    tier: float
    kind: str
    title: list[tuple[int, int]] = field(default_factory=list)
    body: list[tuple[int, int]] = field(default_factory=list)


Verify = Callable[[int], "Match | None"]
# Candidates of a group: an array, or a function computing it only if the tier is reached.
Cands = np.ndarray | Callable[[], np.ndarray]


def resolve(cands: Cands) -> np.ndarray:
    return cands() if callable(cands) else cands


class TextVerify(TextFind):
    """Does a document's text in a column hold ``term`` (at its start with ``prefix``)?

    A verifier like any other (called with one document), and also ``first``: the first
    documents of a list that match, in one loop. Literal groups verify most of a query's
    candidates, and a term whose bigrams meet in many texts where it is not (错发货: 1,698
    bodies hold 错发 and 发货 at 100k replies) verifies them all. ``find`` and ``first``
    are compiled (_texts.pyx, reading the packed column in place); the match and its
    highlight are made here.

    ``field`` is where a match is marked: "title", "body", or "" for a column results do
    not show (tags, example questions, codes). There, the term is marked in the body
    (``shown``) when it is there too: what the agent searched for is what they look for
    in the reply."""

    # Made as TextVerify(texts, term, tier, kind, field, prefix=False, shown=None).
    __slots__ = ()

    def relabelled(self, prefix: str, scale: float, shift: float) -> TextVerify:
        return TextVerify(self.texts, self.term, self.tier * scale + shift,
                          prefix + self.kind, self.field, self.prefix, self.shown)

    def match(self, doc: int, pos: int) -> Match:
        m = Match(self.tier, self.kind)
        self.mark(doc, pos, m.title, m.body)
        return m

    def __call__(self, doc: int) -> Match | None:
        pos = self.find(doc)
        return None if pos < 0 else self.match(doc, pos)


class GapVerify(GapFind):
    """Does a title hold the term with one more character inside (a character left out)?
    Verified like ``TextVerify``: ``find`` and ``first`` compiled (_texts.pyx), the match
    made here. Made as GapVerify(texts, splits, tier, kind)."""

    __slots__ = ()

    def match(self, doc: int, span: tuple[int, int]) -> Match:
        return Match(self.tier, self.kind, title=[span])

    def __call__(self, doc: int) -> Match | None:
        span = self.find(doc)
        return None if span is None else self.match(doc, span)
