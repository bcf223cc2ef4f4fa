"""How much each signal counts, learned per organization from what its agents pick.

model.py fuses its signals (text, naive Bayes, nearest-message votes, near duplicates,
conversation context, popularity) with weights tuned once, on DEV data. How much each one
deserves differs between teams: how repetitive the buyers are, how much the agents follow a
script, how much the conversation decides. So every pick also teaches the weighing:

- **A row per pick, taken before the pick is learned.** When an example arrives (a reply
  used with the buyer's message, or a history row), the model first ranks that message as
  it stands, in its conversation when it had one, i.e. as the agent's suggestion list
  would have looked, and keeps the signals of the best ``CANDIDATES`` replies and which of
  them was picked. The model has not seen the pick yet, so the row is honest (online,
  "prequential" evaluation); a model rebuilt from the database takes the same rows for its
  latest examples, in the same order. (A second row per pick, ranked without its
  conversation, taught nothing more on DEV and cost as much again.)
- **A conditional logit over the candidates** (a softmax of a linear score of each
  candidate's signals; listwise learning to rank) is refitted on the most recent
  ``MAX_ROWS`` rows every ``REFIT_EVERY`` picks: a few Newton steps on a few hundred rows,
  milliseconds. It starts from the hand-tuned fusion (weight 1 on its log score, 0
  elsewhere) and an L2 penalty pulls it back there, so few picks change little, and below
  ``MIN_ROWS`` nothing is re-ranked.

Nothing here is a step a user runs: rows are taken and weights refitted as picks arrive.
reply-dev, through the API (docs/benchmarks/suggestions.md): MRR@10 0.457 -> 0.469
without context, 0.469 -> 0.480 with it; faq-dev learns nothing, so nothing changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

# The signals of a candidate (model.candidate_features), in this order.
FEATURES = ("fused", "naive_bayes", "votes", "text", "context", "prior")
CANDIDATES = 30  # replies re-ranked per suggestion (more than any limit the API allows)
MAX_ROWS = 400  # rows kept: the latest picks
MIN_ROWS = 40  # rows with the pick among the candidates before weights are fitted
REFIT_EVERY = 10  # picks between refits
L2 = 3.0  # pull towards the hand-tuned fusion, on standardized signals
ITERATIONS = 20


@dataclass
class Row:
    """One pick: its candidates' signals (CANDIDATES x FEATURES at most) and which were
    picked. ``key`` tells apart picks of the same message in the same place (the buyer's
    message answered with two replies): they join one row."""

    x: np.ndarray
    candidates: np.ndarray
    picked: list[int]
    example_ids: list[int]
    key: tuple[object, ...]


@dataclass
class Reranker:
    rows: deque[Row] = field(default_factory=lambda: deque(maxlen=MAX_ROWS))
    weights: np.ndarray | None = None  # over FEATURES; None: rank by the fusion
    since_fit: int = 0

    def add(self, x: np.ndarray, candidates: np.ndarray, slot: int, example_id: int,
            key: tuple[object, ...]) -> None:
        hit = np.nonzero(candidates == slot)[0]
        self.rows.append(Row(x.astype(np.float64), candidates,
                             [int(hit[0])] if hit.size else [], [example_id], key))

    def join(self, slot: int, example_id: int, key: tuple[object, ...]) -> bool:
        """Another reply picked for the message of the latest row: it joins it (its
        signals were taken before either pick). False when the latest row is another's."""
        joined = False
        for row in reversed(self.rows):
            if row.key != key:
                break
            hit = np.nonzero(row.candidates == slot)[0]
            if hit.size and int(hit[0]) not in row.picked:
                row.picked.append(int(hit[0]))
            row.example_ids.append(example_id)
            joined = True
        return joined

    def forget(self, example_id: int) -> bool:
        """Drop the rows of a deleted example; True when some were dropped."""
        kept = [r for r in self.rows if example_id not in r.example_ids]
        if len(kept) == len(self.rows):
            return False
        self.rows = deque(kept, maxlen=MAX_ROWS)
        return True

    def picked_one(self) -> None:
        self.since_fit += 1
        if self.since_fit >= REFIT_EVERY:
            self.fit()

    def fit(self) -> None:
        """Maximum a posteriori conditional logit: the picked candidates' share of the
        softmax, with a Gaussian prior centred on the fusion's own ranking."""
        self.since_fit = 0
        rows = [r for r in self.rows if r.picked]
        if len(rows) < MIN_ROWS:
            self.weights = None
            return
        d = len(FEATURES)
        x = np.zeros((len(rows), CANDIDATES, d))
        valid = np.zeros((len(rows), CANDIDATES), bool)
        target = np.zeros((len(rows), CANDIDATES))
        for i, r in enumerate(rows):
            k = min(len(r.x), CANDIDATES)
            x[i, :k] = r.x[:k]
            valid[i, :k] = True
            picked = [p for p in r.picked if p < k]
            target[i, picked] = 1.0 / max(len(picked), 1)
        flat = x[valid]
        mean, std = flat.mean(0), flat.std(0)
        # A signal that never varied (no conversations yet) keeps weight 0: fitted on a
        # constant, it would be an arbitrary multiplier the first time it does vary.
        steady = std < 1e-6
        std[steady] = 1.0
        z = np.where(valid[..., None], (x - mean) / std, 0.0)
        prior = np.zeros(d)
        prior[0] = std[0]  # weight 1 on the fused log score, in standardized units

        def log_posterior(w: np.ndarray) -> float:
            s = np.where(valid, z @ w, -np.inf)
            top = s.max(axis=1, keepdims=True)
            lse = np.log(np.exp(s - top).sum(axis=1)) + top[:, 0]
            fit = float((np.where(target > 0, s, 0.0) * target).sum() - lse.sum())
            return fit - 0.5 * L2 * float(((w - prior) ** 2).sum())

        flat_z = z.reshape(-1, d)
        w = prior.copy()
        best = log_posterior(w)
        for _ in range(ITERATIONS):
            s = np.where(valid, z @ w, -np.inf)
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            grad = flat_z.T @ (target - p).ravel() - L2 * (w - prior)
            mean_z = np.einsum("rkd,rk->rd", z, p)
            hessian = (flat_z * p.reshape(-1, 1)).T @ flat_z - mean_z.T @ mean_z
            step = np.linalg.solve(hessian + L2 * np.eye(d), grad)
            step[steady] = 0.0
            t = 1.0
            while t > 1e-3:  # backtracking: the objective is concave, Newton may overshoot
                value = log_posterior(w + t * step)
                if value >= best:
                    break
                t /= 2
            else:
                break
            w = w + t * step
            done = value - best < 1e-7
            best = value
            if done:
                break
        self.weights = w / std

    def scores(self, x: np.ndarray) -> np.ndarray:
        assert self.weights is not None
        return np.asarray(x @ self.weights, np.float64)
