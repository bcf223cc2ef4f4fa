"""What a match is, and the shape of a group of candidates with its verifier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


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
