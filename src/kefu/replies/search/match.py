"""What a match is, the shape of a group of candidates with its verifier, and the verifier
of literal text that most groups use."""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field

import numpy as np

from kefu.replies.search.texts import BLOCK_BITS, Texts


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


class TextVerify:
    """Does a document's text in a column hold ``term`` (at its start with ``prefix``)?

    A verifier like any other (called with one document), and also ``first``: the first
    documents of a list that match, in one loop. Literal groups verify most of a query's
    candidates, and a term whose bigrams meet in many texts where it is not (错发货: 1,698
    bodies hold 错发 and 发货 at 100k replies) verifies them all; a call per document was
    about a third of that time. The packed column is read inline (texts.py).

    ``field`` is where a match is marked: "title", "body", or "" for a column results do
    not show (tags, example questions, codes). There, the term is marked in the body
    (``shown``) when it is there too: what the agent searched for is what they look for
    in the reply."""

    __slots__ = ("field", "kind", "prefix", "shown", "term", "texts", "tier")

    def __init__(self, texts: Texts, term: str, tier: float, kind: str, field: str,
                 prefix: bool = False, shown: Texts | None = None) -> None:
        self.texts, self.term, self.tier, self.kind = texts, term, tier, kind
        self.field, self.prefix, self.shown = field, prefix, shown

    def relabelled(self, prefix: str, scale: float, shift: float) -> TextVerify:
        return TextVerify(self.texts, self.term, self.tier * scale + shift,
                          prefix + self.kind, self.field, self.prefix, self.shown)

    def match(self, doc: int, pos: int) -> Match:
        m = Match(self.tier, self.kind)
        self.mark(doc, pos, m.title, m.body)
        return m

    def mark(self, doc: int, pos: int, title: list[tuple[int, int]],
             body: list[tuple[int, int]]) -> None:
        """Add the span of the match at ``pos`` to ``title`` or ``body``, where it shows."""
        if self.field == "title":
            title.append((pos, pos + len(self.term)))
            return
        if self.field == "body":
            body.append((pos, pos + len(self.term)))
        elif self.shown is not None and (pos := self.shown.get(doc).find(self.term)) >= 0:
            body.append((pos, pos + len(self.term)))  # tags, questions: in the body if there

    def find(self, doc: int) -> int:
        """Where the term is in the document's text (at 0 or nowhere with ``prefix``), -1
        if not: ``first`` for one document (conjunction's checks)."""
        blocks, start, end, sealed, opened = self.texts.parts
        term = self.term
        if doc < sealed:
            s = start[doc]
            pos = blocks[doc >> BLOCK_BITS].find(term, s, s + len(term) if self.prefix
                                                 else end[doc])
            if pos < 0 or (self.prefix and end[doc] - s < len(term)):
                return -1
            return pos - s
        text = opened[doc - sealed]
        return (0 if text.startswith(term) else -1) if self.prefix else text.find(term)

    def __call__(self, doc: int) -> Match | None:
        pos = self.find(doc)
        return None if pos < 0 else self.match(doc, pos)

    def first(self, docs: list[int], usages: list[float], want: int,
              skip: Container[int]) -> list[tuple[int, float, int]]:
        """(document, its usage, where the term is) for the first ``want`` of ``docs``
        not in ``skip`` that hold the term."""
        blocks, start, end, sealed, opened = self.texts.parts
        term, prefix = self.term, self.prefix
        n = len(term)
        out: list[tuple[int, float, int]] = []
        for doc, usage in zip(docs, usages, strict=True):
            if doc in skip:
                continue
            if doc < sealed:
                s = start[doc]
                pos = blocks[doc >> BLOCK_BITS].find(term, s, s + n if prefix else end[doc])
                if pos < 0 or (prefix and end[doc] - s < n):
                    continue
                pos -= s
            else:
                text = opened[doc - sealed]
                pos = (0 if text.startswith(term) else -1) if prefix else text.find(term)
                if pos < 0:
                    continue
            out.append((doc, usage, pos))
            if len(out) == want:
                break
        return out
