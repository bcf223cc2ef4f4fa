"""The semantic part of an organization's suggestion model: one set of vectors per backend
model (a joined ``semantic_model`` such as ``m3e-small+use-multilingual`` has two), for the
replies (by slot) and the learned examples (by document), and what a message's vector
scores against them.

Each model scores on its own: its cosines, less each reply's crowding in that model's space
(hubness), become a distribution of their own, and the distributions are fused in
model.OrgModel.rank. Cosines of different models are not on one scale (m3e-small's sit
between 0.6 and 0.9, USE's spread wider), which is why they are not simply added.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from kefu.suggestions.index import zscores
from kefu.suggestions.semantic import part_names, split


def model_shares(names: list[str], w: Any) -> list[float]:
    """How much each backend model's evidence weighs: the first model 1, a later one
    w.w_secondary (USE beside m3e-small), or w.w_secondary_e5 for e5-small, which is
    nearly as good as m3e-small on its own. ``w``: the model's Weights."""
    return [1.0 if i == 0 else w.w_secondary_e5 if name == "e5-small" else w.w_secondary
            for i, name in enumerate(names)]


def semantic_text(title: str, body: str, questions: list[str]) -> str:
    """What the semantic backend reads of a reply: distinct title, questions, body start."""
    return " ".join(dict.fromkeys(t for t in [title, *questions[:5], body[:200]] if t))


# Vectors of texts already encoded in this process, so rebuilding a model (after an import,
# or an eviction) encodes only what changed. Bounded: about 40 MB at 512 dimensions.
_VECTORS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
VECTOR_CACHE_SIZE = 20_000
_vectors_lock = threading.Lock()


def encode_cached(encoder: Any, texts: list[str]) -> list[np.ndarray]:
    name = getattr(encoder, "name", "")
    with _vectors_lock:
        found = [_VECTORS.get((name, t)) for t in texts]
    missing = [t for t, v in zip(texts, found, strict=True) if v is None]
    fresh = dict(zip(missing, encoder.encode(missing), strict=True)) if missing else {}
    with _vectors_lock:
        for text, vec in fresh.items():
            _VECTORS[(name, text)] = vec
        while len(_VECTORS) > VECTOR_CACHE_SIZE:
            _VECTORS.popitem(last=False)
    return [v if v is not None else fresh[t] for t, v in zip(texts, found, strict=True)]


def _blas_flags() -> np.errstate:
    """Around products of unit vectors: OpenBLAS kernels may leave the CPU's "invalid"
    flag set on finite inputs (numpy#24067, OpenBLAS#1924). numpy reports it as a
    RuntimeWarning, and the tests turn that into a failure (once, 2026-12-07). The products'
    values are right, and the vectors are normalized when stored: nothing invalid comes in."""
    return np.errstate(invalid="ignore")


def _grown(old: np.ndarray | None, rows: int, dim: int) -> np.ndarray:
    new = np.zeros((rows, dim), np.float32)
    if old is not None:
        new[: old.shape[0]] = old
    return new


class SemanticVectors:
    """Vectors of one organization's replies and examples, one matrix per backend model.
    Callers hold the model's lock."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.names = part_names(encoder)
        self.reply: list[np.ndarray] | None = None  # per model: one row per slot
        self.example: list[np.ndarray] | None = None  # per model: one row per example doc
        self.crowding: list[np.ndarray] | None = None  # per model: one value per slot
        self.crowding_dirty: set[int] = set()

    def grow(self, slots: int) -> None:
        """Room for ``slots`` replies (the model's arrays grew)."""
        if self.reply is not None and self.reply[0].shape[0] < slots:
            self.reply = [_grown(m, slots, m.shape[1]) for m in self.reply]

    def set_reply(self, slot: int, vector: np.ndarray, slots: int) -> None:
        parts = split(self.encoder, vector)
        if self.reply is None:
            self.reply = [np.zeros((slots, p.shape[0]), np.float32) for p in parts]
        self.grow(slot + 1)
        for matrix, part in zip(self.reply, parts, strict=True):
            matrix[slot] = part
        self.crowding_dirty.add(slot)

    def set_example(self, doc: int, vector: np.ndarray) -> None:
        # As the database keeps it (semantic.to_bytes: float16), so that a model rebuilt
        # after a restart ranks as the live one that encoded the example itself.
        parts = split(self.encoder, np.asarray(vector, np.float16).astype(np.float32))
        if self.example is None or self.example[0].shape[0] <= doc:
            have = self.example[0].shape[0] if self.example is not None else 0
            rows = max(doc + 1, int(have * 1.5) + 64)
            old: list[np.ndarray | None] = (list(self.example) if self.example is not None
                                            else [None] * len(parts))
            self.example = [_grown(m, rows, p.shape[0]) for m, p in zip(old, parts, strict=True)]
        for matrix, part in zip(self.example, parts, strict=True):
            matrix[doc] = part

    def query(self, vector: np.ndarray) -> list[np.ndarray]:
        """A message's vector, one part per model."""
        return split(self.encoder, np.asarray(vector, np.float32))

    def reply_cosines(self, query: list[np.ndarray], n: int) -> list[np.ndarray]:
        assert self.reply is not None
        with _blas_flags():
            return [m[:n] @ q for m, q in zip(self.reply, query, strict=True)]

    def logits(self, query: list[np.ndarray], alive: np.ndarray, mask: np.ndarray,
               w: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        """The models' z-scores added up (each weighing as model_shares says),
        each model's cosines less w.w_crowding of each reply's crowding in its space; and the
        plain cosines (what explanations show). ``w``: the model's Weights."""
        n = alive.size
        cosines = self.reply_cosines(query, n)
        crowding = (self.crowdings(alive, w.crowding_k) if w.w_crowding > 0
                    else [np.zeros(n, np.float32)] * len(cosines))
        logits = np.zeros(n, np.float64)
        for share, cos, crowd in zip(model_shares(self.names, w), cosines, crowding,
                                     strict=True):
            logits += share * zscores(cos - w.w_crowding * crowd[:n], mask)
        return logits, cosines

    def example_cosines(self, query: list[np.ndarray], n: int) -> list[np.ndarray]:
        assert self.example is not None
        with _blas_flags():
            return [m[:n] @ q for m, q in zip(self.example, query, strict=True)]

    def crowdings(self, alive: np.ndarray, k: int) -> list[np.ndarray]:
        """Each model's mean cosine of each reply to its k nearest other live replies. All
        of it is computed at the first suggestion after a build (one pass of matrix products,
        under a second for 5,000 replies); after that a changed reply's own value is computed
        alone, and the others, whose neighbours changed a little, are refreshed once 5% have
        changed."""
        assert self.reply is not None
        n = alive.size
        crowding = self.crowding
        if crowding is not None and not self.crowding_dirty and crowding[0].size >= n:
            return crowding
        live = np.nonzero(alive)[0]
        if crowding is None or len(self.crowding_dirty) > max(32, n // 20):
            rows = live
            crowding = [np.zeros(n, np.float32) for _ in self.reply]
        else:
            crowding = [np.concatenate((c, np.zeros(n - c.size, np.float32))) if c.size < n
                        else c for c in crowding]
            rows = np.fromiter((s for s in self.crowding_dirty if s < n), np.int64)
        kk = min(k, live.size - 1)
        for matrix, values in zip(self.reply, crowding, strict=True):
            vecs = matrix[live]
            for start in range(0, rows.size, 1024):  # bounded memory: 1024 x n at once
                chunk = rows[start:start + 1024]
                with _blas_flags():
                    sims = matrix[chunk] @ vecs.T
                sims[chunk[:, None] == live[None, :]] = -np.inf  # not its own neighbour
                if kk > 0:
                    values[chunk] = np.partition(sims, -kk, axis=1)[:, -kk:].mean(axis=1)
        self.crowding, self.crowding_dirty = crowding, set()
        return crowding
