"""Conversation context: what came before the buyer's message, and what it predicts.

A single buyer message is often ambiguous ("好的", "还有吗"); the conversation is not. In a
real chat the agent has already answered with some library replies, and which reply comes
next depends strongly on which came last (the closing "祝您生活愉快" follows "还有其他问题
吗", not the greeting). So suggestions accept the earlier turns of the conversation and learn
from sequences:

- **transitions**: how often reply B followed reply A in the agent's previous library turn
  (examples imported with a ``session``, or uses recorded with a ``conversation``);
- **position**: how often a reply was the agent's first, second or a later library reply of
  a conversation.

Both are counts kept per example, so deleting an example forgets its sequence too, and a
model rebuilt from the database counts the same. At ranking time they form a distribution
over the visible replies (transitions smoothed towards position, position smoothed towards
overall frequency) that multiplies the message's score by its *lift* over plain frequency
(model.py). Without context nothing changes.

Only library replies the agent sent count as turns here: the learning data (history files,
recorded uses) knows nothing of free-text agent messages either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kefu.replies.search.text import fold

if TYPE_CHECKING:
    from kefu.suggestions.model import OrgModel

# How many earlier turns a suggestion reads (a client sends the most recent ones).
MAX_TURNS = 30
# Library-reply positions told apart: first of the conversation, second, any later one.
POSITIONS = 3

_NON_WORD = re.compile(r"[^\w\u4e00-\u9fff]+")


def position(turn: int) -> int:
    return min(max(turn, 0), POSITIONS - 1)


def text_key(text: str) -> str:
    """What an agent's free text must equal (after folding, without punctuation) to count as
    a library reply being sent."""
    return _NON_WORD.sub("", fold(text or ""))


@dataclass(frozen=True)
class Context:
    """The conversation before this message, as the model reads it. Reply slots are only
    those the asking member may see: anything else was dropped (see resolve())."""

    previous: tuple[int, ...] = ()  # slots of the agent's last library turn
    turn: int = 0  # library turns the agent already sent


@dataclass
class Sequences:
    """Transition and position counts over reply slots, updated one example at a time."""

    follows: dict[int, dict[int, float]] = field(default_factory=dict)
    follows_total: dict[int, float] = field(default_factory=dict)
    at: np.ndarray = field(default_factory=lambda: np.zeros((POSITIONS, 0), np.float64))
    n_positioned: float = 0.0

    def _grow(self, need: int) -> None:
        if need <= self.at.shape[1]:
            return
        new = np.zeros((POSITIONS, max(need, int(self.at.shape[1] * 1.5) + 64)), np.float64)
        new[:, : self.at.shape[1]] = self.at
        self.at = new

    def add(self, slot: int, previous: tuple[int, ...], turn: int | None,
            weight: float = 1.0) -> None:
        """Count one example (weight -1 forgets it). ``turn`` None: position unknown (a
        message learned outside any conversation)."""
        if turn is None:
            return
        self._grow(slot + 1)
        b = position(turn)
        self.at[b, slot] = max(0.0, self.at[b, slot] + weight)
        self.n_positioned = max(0.0, self.n_positioned + weight)
        # A turn of several replies: each shares the transition.
        share = weight / len(previous) if previous else 0.0
        for prev in previous:
            row = self.follows.setdefault(prev, {})
            row[slot] = max(0.0, row.get(slot, 0.0) + share)
            self.follows_total[prev] = max(0.0, self.follows_total.get(prev, 0.0) + share)

    def distribution(self, ctx: Context, n: int, mask: np.ndarray, alpha_position: float,
                     alpha_follows: float) -> tuple[np.ndarray, np.ndarray] | None:
        """(P(reply | context), P(reply)) over the visible slots, or None when sequences
        taught nothing yet. Additive smoothing: transitions towards position, position
        towards overall frequency, frequency towards uniform."""
        if self.n_positioned <= 0:
            return None
        self._grow(n)
        counts = self.at[:, :n]
        overall = np.where(mask, counts.sum(axis=0) + 1.0, 0.0)
        overall /= overall.sum()
        row = np.where(mask, counts[position(ctx.turn)], 0.0)
        p = (row + alpha_position * overall) / (row.sum() + alpha_position)
        known = [prev for prev in ctx.previous if self.follows_total.get(prev, 0.0) > 0]
        if known:
            follows = np.zeros(n, np.float64)
            for prev in known:
                out = self.follows[prev]
                nxt = np.fromiter(out.keys(), np.int64, len(out))
                counted = np.fromiter(out.values(), np.float64, len(out))
                keep = nxt < n
                t = np.zeros(n, np.float64)
                t[nxt[keep]] = counted[keep]
                t[~mask] = 0.0
                follows += (t + alpha_follows * p) / (t.sum() + alpha_follows)
            p = follows / len(known)
        return p, overall


def resolve(model: OrgModel, turns: list[dict[str, Any]], mask: np.ndarray) -> Context:
    """Read the API's ``context`` (oldest first) against the model.

    A ``reply_id`` the member may not see counts exactly as one that does not exist: as an
    agent message that was no library reply. So the answer reveals nothing about replies
    outside the member's view. An agent's ``text`` counts as a library reply when it is one
    of the visible replies' text (as pasted from the panel)."""
    turn = 0
    previous: tuple[int, ...] = ()
    current: list[int] = []  # library replies of the agent turn being read
    by_text: dict[str, int] | None = None

    def close_turn() -> None:
        nonlocal turn, previous
        if current:
            previous = tuple(dict.fromkeys(current))
            turn += 1
            current.clear()

    for item in turns[-MAX_TURNS:]:
        if item.get("from") == "buyer":
            # A buyer message ends the agent's turn. Its words are not used: fused as weak
            # evidence (naive Bayes of the previous message) they gained nothing on DEV.
            close_turn()
            continue
        slot: int | None = None
        rid = item.get("reply_id")
        if rid is not None:
            slot = model.slot_of.get(int(rid))
        elif item.get("text"):
            if by_text is None:
                by_text = _texts(model)
            slot = by_text.get(text_key(item["text"]))
        if slot is not None and slot < mask.size and mask[slot]:
            current.append(slot)
    close_turn()
    return Context(previous, turn)


def _texts(model: OrgModel) -> dict[str, int]:
    """Live replies by the key of their body and title (rebuilt when the library changed)."""
    cached = model.context_texts
    if cached is not None and cached[0] == model.version:
        return cached[1]
    out: dict[str, int] = {}
    for slot in range(model.n):
        if model.alive[slot]:
            for text in (model.body[slot], model.title[slot]):
                key = text_key(text)
                if key:
                    out.setdefault(key, slot)
    model.context_texts = (model.version, out)
    return out
