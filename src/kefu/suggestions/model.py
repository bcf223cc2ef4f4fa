"""The in-memory suggestion model of one organization, and how it ranks replies.

Every live reply has a *slot* (stable while the reply exists). These signals score a slot:

- **text**: BM25 of the message against the reply's title, example questions (相似问法) and
  body, over characters and character pairs;
- **learned**: past buyer messages whose chosen reply votes for itself — naive Bayes over
  their tokens, plus the nearest past messages (BM25 between messages) voting;
- **popularity**: how often the team used the reply and how many examples chose it;
- **semantic** (optional): cosine of sentence embeddings, message to reply and message to
  past messages, each backend model on its own, when a backend is configured (see
  semantic.py and semantic_scores.py);
- **context** (optional): given the conversation so far, which reply followed the agent's
  previous one and which come at this turn; it multiplies the score by its lift over plain
  frequency (see context.py).

Each signal becomes a distribution over the visible replies (the text's and the semantic
models' z-scores are added into one); the learned one weighs more as
the organization accumulates examples (``n / (n + learned_half)``). Weights were tuned on
the DEV splits in bench/suggest_eval.py (docs/benchmarks/suggestions.md).

Once an organization has enough picks, its own weighing of these signals, learned from what
its agents picked (rerank.py), orders the fusion's best candidates.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kefu.replies.libraryset import LibraryMasks
from kefu.suggestions.context import Context, Sequences
from kefu.suggestions.index import ClassCounts, SparseIndex, masked_softmax, zscores
from kefu.suggestions.rerank import CANDIDATES, Reranker
from kefu.suggestions.semantic_scores import (
    SemanticVectors,
    encode_cached,
    model_shares,
    semantic_text,
)
from kefu.suggestions.understanding import (
    Understood,
    core_text,
    features,
    sound_features,
    text_features,
    understand,
)

# A reply for calming an angry buyer: its category, tags or title say so.
SOOTHING_RE = re.compile(r"安抚|投诉|道歉|致歉|抱歉|情绪|息怒|消气")


@dataclass
class Weights:
    beta_text: float = 1.5  # sharpness of the text distribution (on z-scores)
    nb_alpha: float = 1.0
    nb_prior: float = 2.0
    knn_k: int = 50
    w_nb: float = 1.0
    w_knn: float = 0.5
    learned_half: float = 40.0  # examples at which learned and text evidence weigh the same
    text_floor: float = 0.02  # text keeps at least this share however much was learned
    w_popularity: float = 0.05
    # With a semantic backend, the text distribution is a softmax of (beta_semantic x) the
    # sum of z-scores: each backend model's (less crowding), the later models' times
    # w_secondary, and the text's times w_text_semantic. On z-scores, cosines of models on
    # different scales add up; a mixture of the models' and the text's distributions (the
    # earlier way) let the sharpest decide alone. faq-dev, through the API: m3e-small
    # 0.523 -> 0.540 acc@5, m3e-small+USE 0.536 -> 0.55 (docs/benchmarks/suggestions.md).
    beta_semantic: float = 3.0
    w_text_semantic: float = 0.08
    w_secondary: float = 0.2
    w_secondary_e5: float = 0.5  # e5-small as a later model (semantic_scores.model_shares)
    # Hubness: a reply whose nearest other replies are very close (a crowded region of the
    # embedding space) is near most messages. Its cosine loses this share of the mean cosine
    # to its crowding_k nearest replies in that model's space (CSLS, Conneau et al. 2018).
    w_crowding: float = 0.7
    # The sound view of the text (understanding.sound_features) next to the characters.
    w_sound: float = 1.0
    crowding_k: int = 10
    max_df_examples: float = 0.3  # tokens in more past messages than this are skipped
    # A past message nearly the same as this one (character-pair overlap at least
    # near_threshold) is direct evidence, however few examples there are.
    near_threshold: float = 0.5
    w_near: float = 0.8
    # Conversation context (context.py): the score is multiplied by the context's lift
    # over plain frequency to this power; additive smoothing of transitions and positions.
    w_context: float = 0.5
    context_alpha_follows: float = 0.5
    context_alpha_position: float = 5.0


@dataclass
class Ranked:
    slot: int
    score: float
    why: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ranking:
    results: list[Ranked]
    category: str | None
    confidence: float


@dataclass
class Signals:
    """What each signal says about every slot for one message (OrgModel.signals)."""

    score: np.ndarray  # the fusion of all of them
    text: np.ndarray
    learned: np.ndarray
    naive_bayes: np.ndarray
    votes: np.ndarray
    near: np.ndarray
    lam: float  # the learned part's share
    best_example: int = -1
    cosines: list[np.ndarray] | None = None
    context: np.ndarray | None = None  # P(reply | conversation so far)
    lift: np.ndarray | None = None  # ... over P(reply)


# Log signals are floored: a reply no past message votes for is unlikely, not impossible.
_FLOOR = 1e-4


def candidate_features(model: OrgModel, sig: Signals, candidates: np.ndarray) -> np.ndarray:
    """The re-ranker's view of each candidate (rerank.FEATURES): the fused score and the
    signals it was fused from, as logs, so a weight is an exponent."""
    c = candidates
    lift = np.log(sig.lift[c]) if sig.lift is not None else np.zeros(c.size)
    return np.stack([
        np.log(np.maximum(sig.score[c], 1e-12)),
        np.log(sig.naive_bayes[c] + _FLOOR),
        np.log(sig.votes[c] + _FLOOR),
        np.log(sig.text[c] + _FLOOR),
        lift,
        model.nb.log_prior(model.n)[c],
    ], axis=1)


def _top(x: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first (ties: lower index first)."""
    if x.size > k:
        part = np.argpartition(-x, k - 1)[:k]
        return part[np.lexsort((part, -x[part]))]
    return np.argsort(-x, kind="stable")


def _pairs(core: str) -> frozenset[str]:
    return frozenset(core[i:i + 2] for i in range(len(core) - 1)) or frozenset([core] if core
                                                                               else [])


def reply_text(title: str, body: str, questions: list[str]) -> str:
    """Title, example questions and body, each distinct text once (a body that repeats the
    title would otherwise count its words three times)."""
    return "\n".join(dict.fromkeys(t for t in [title, *questions, body] if t))


class OrgModel(LibraryMasks):
    def __init__(self, org_id: int, encoder: Any = None, weights: Weights | None = None) -> None:
        self.org_id = org_id
        self.lock = threading.RLock()
        self.encoder = encoder
        self.weights = weights or Weights()
        self.last_used = time.monotonic()
        self.read_at = 0.0  # when the rows it was built from were read (registry)
        self._init_libraries()
        # per slot
        self.reply_id: list[int] = []
        self.key: list[str] = []
        self.title: list[str] = []
        self.body: list[str] = []
        self.category: list[str] = []
        self.slot_of: dict[int, int] = {}
        self.lib = np.zeros(0, np.int32)
        self.alive = np.zeros(0, bool)
        self.soothing = np.zeros(0, bool)
        self.usage = np.zeros(0, np.float64)
        self.lex_doc: list[int] = []
        self.version = 0
        self._arrays: dict[str, np.ndarray] = {}
        # text
        self.lex = SparseIndex()
        self.lex_sound = SparseIndex()  # the same documents, read by sound_features
        self.lex_slot: list[int] = []
        # learned examples
        self.examples = SparseIndex()
        self.example_slot: list[int] = []
        self.example_id: list[int] = []
        self.example_text: list[str] = []
        self.example_doc: dict[int, int] = {}
        self.nb = ClassCounts()
        # conversation sequences (context.py); per example doc: (previous slots, turn)
        self.seq = Sequences()
        self.example_seq: list[tuple[tuple[int, ...], int | None]] = []
        self.context_texts: tuple[int, dict[str, int]] | None = None
        # how this organization's agents weigh the signals, from their picks (rerank.py)
        self.reranker = Reranker()
        # semantic (optional): one set of vectors per backend model
        self.sem = SemanticVectors(encoder) if encoder is not None else None

    @property
    def n(self) -> int:
        return len(self.reply_id)

    @property
    def n_examples(self) -> int:
        return self.examples.n_alive

    # --- replies -----------------------------------------------------------------------

    def _grow(self, need: int) -> None:
        if need <= self.lib.size:
            return
        cap = max(need, int(self.lib.size * 1.5) + 64)
        for name in ("lib", "alive", "soothing", "usage"):
            old = getattr(self, name)
            new = np.zeros(cap, old.dtype)
            new[: old.size] = old
            setattr(self, name, new)
        if self.sem is not None:
            self.sem.grow(cap)

    def upsert_reply(self, row: dict[str, Any], vector: np.ndarray | None = None) -> None:
        """Add or refresh a reply from a row (registry.load_rows or a reply event)."""
        with self.lock:
            rid = int(row["id"])
            if not row.get("is_active", True) or row.get("deleted_at"):
                self.remove_reply(rid)
                return
            self.library_of_row(row)
            slot = self.slot_of.get(rid)
            if slot is None:
                slot = self.n
                self._grow(slot + 1)
                self.reply_id.append(rid)
                for name in ("key", "title", "body", "category"):
                    getattr(self, name).append("")
                self.lex_doc.append(-1)
                self.slot_of[rid] = slot
                self.usage[slot] = float(row.get("usage_count") or 0)
            else:
                self.lex.remove(self.lex_doc[slot])
                self.lex_sound.remove(self.lex_doc[slot])
            path = row.get("category_path") or row.get("category") or []
            tags = row.get("tags") or []
            questions = list(row.get("questions") or [])
            self.key[slot] = row.get("key") or ""
            self.title[slot] = row["title"]
            self.body[slot] = row["body"]
            self.category[slot] = path[0] if path else ""
            self.lib[slot] = self.lib_index.get(int(row["library_id"]), -1)
            self.alive[slot] = True
            self.soothing[slot] = bool(SOOTHING_RE.search(" ".join([*path, *tags, row["title"]])))
            text = reply_text(row["title"], row["body"], questions)
            self.lex_doc[slot] = self.lex.add(text_features(text))
            self.lex_sound.add(sound_features(text))  # same document number as in lex
            self.lex_slot.append(slot)
            if self.sem is not None:
                if vector is None:
                    vector = encode_cached(self.encoder, [semantic_text(
                        row["title"], row["body"], questions)])[0]
                self.sem.set_reply(slot, vector, self.lib.size)
            self.version += 1

    def remove_reply(self, reply_id: int) -> None:
        with self.lock:
            slot = self.slot_of.get(reply_id)
            if slot is not None and self.alive[slot]:
                self.alive[slot] = False
                self.lex.remove(self.lex_doc[slot])
                self.lex_sound.remove(self.lex_doc[slot])
                self.version += 1

    def record_use(self, reply_id: int) -> None:
        slot = self.slot_of.get(reply_id)
        if slot is not None:
            self.usage[slot] += 1

    # --- learned examples --------------------------------------------------------------

    def add_example(self, example_id: int, reply_id: int, normalized: str,
                    vector: np.ndarray | None = None, previous: list[int] | None = None,
                    turn: int | None = None, observe: bool = True,
                    refit: bool = True) -> None:
        """Learn one pair; adding the same example twice (bus and local) is harmless.
        ``previous`` (reply ids of the agent's last library turn) and ``turn`` place it in
        its conversation, when it had one. ``observe``: first rank the message as the model
        stands and keep that for the re-ranker (rerank.py), refitting it when due unless
        ``refit`` is False (a build fits once at the end)."""
        with self.lock:
            if example_id in self.example_doc:
                return
            slot = self.slot_of.get(reply_id)
            if slot is None:
                return  # a reply this model does not hold (inactive): nothing to vote for
            if self.sem is not None and vector is None:
                vector = self.encoder.encode([normalized])[0]
            prev = tuple(self.slot_of[r] for r in previous or () if r in self.slot_of)
            if observe:
                self._observe(example_id, slot, normalized, vector, prev, turn, refit)
            toks = features(understand(normalized))
            doc = self.examples.add(toks)
            self.example_doc[example_id] = doc
            self.example_slot.append(slot)
            self.example_id.append(example_id)
            self.example_text.append(normalized)
            self.nb.add(slot, toks)
            self.example_seq.append((prev, turn))
            self.seq.add(slot, prev, turn)
            if self.sem is not None and vector is not None:
                self.sem.set_example(doc, vector)

    def _observe(self, example_id: int, slot: int, normalized: str,
                 vector: np.ndarray | None, prev: tuple[int, ...], turn: int | None,
                 refit: bool) -> None:
        """The re-ranker's row for a pick, taken before it is learned: the candidates the
        message gets now, in its conversation when it had one."""
        if self.nb.n_examples <= 0:
            return  # nothing learned yet: there is no learned signal to weigh
        key = (normalized, prev, turn)
        if not self.reranker.join(slot, example_id, key):
            u = understand(normalized)
            mask = self.alive[: self.n]
            query = None
            if vector is not None and self.sem is not None:
                query = np.asarray(vector, np.float32)
            place = Context(prev, turn) if turn is not None else None
            sig = self.signals(u, mask, query, place)
            cand = self._candidates(sig.score, mask)
            self.reranker.add(candidate_features(self, sig, cand), cand, slot, example_id,
                              key)
        if refit:
            self.reranker.picked_one()

    def fit_reranker(self) -> None:
        with self.lock:
            self.reranker.fit()

    def remove_example(self, example_id: int) -> None:
        with self.lock:
            doc = self.example_doc.pop(example_id, None)
            if doc is None:
                return
            self.examples.remove(doc)
            self.nb.add(self.example_slot[doc],
                        features(understand(self.example_text[doc])), weight=-1.0)
            self.seq.add(self.example_slot[doc], *self.example_seq[doc], weight=-1.0)
            if self.reranker.forget(example_id):
                self.reranker.fit()  # nothing of a deleted example stays

    def compact(self) -> None:
        """Pack what was added into arrays (after a build: see index.py)."""
        with self.lock:
            self.lex.compact()
            self.lex_sound.compact()
            self.examples.compact()
            self.nb.compact()

    # --- ranking -----------------------------------------------------------------------

    def _text_scores(self, u: Understood) -> np.ndarray:
        scores = self.lex.scores(text_features(u.core))
        if self.weights.w_sound > 0:
            scores += self.weights.w_sound * self.lex_sound.scores(sound_features(u.core))
        out = np.zeros(self.n, np.float64)
        slots = self._array("lex_slot")
        live = np.nonzero(self.lex.alive[: self.lex.n])[0]
        out[slots[live]] = scores[live]
        return out

    def _array(self, name: str) -> np.ndarray:
        """A list attribute as an array, converted again only after it grew."""
        values: list[int] = getattr(self, name)
        cached = self._arrays.get(name)
        if cached is None or cached.size != len(values):
            cached = self._arrays[name] = np.asarray(values, np.int64)
        return cached

    def _votes(self, sims: np.ndarray, k: int, mask: np.ndarray,
               power: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Nearest past messages vote for their replies: (votes, neighbours best first)."""
        votes = np.zeros(self.n, np.float64)
        if sims.size == 0:
            return votes, np.zeros(0, np.int64)
        k = min(k, sims.size)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[sims[top] > 0]
        slots = self._array("example_slot")[top]
        keep = mask[slots]
        top, slots = top[keep], slots[keep]
        np.add.at(votes, slots, sims[top].astype(np.float64) ** power)
        return votes, top[np.argsort(-sims[top], kind="stable")]

    def _semantic_votes(self, votes: np.ndarray, query: list[np.ndarray],
                        mask: np.ndarray) -> np.ndarray:
        """The nearest past messages by each backend model vote too: the text's votes and
        the models' together (the models' shares as in SemanticVectors.logits) weigh one
        each."""
        assert self.sem is not None
        ne = self.examples.n
        dead = ~self.examples.alive[:ne]
        shares = model_shares(self.sem.names, self.weights)
        semantic = np.zeros(self.n, np.float64)
        for share, esims in zip(shares, self.sem.example_cosines(query, ne), strict=True):
            esims[dead] = 0
            svotes, _sn = self._votes(esims, self.weights.knn_k, mask, power=3.0)
            if svotes.sum() > 0:
                semantic += share / sum(shares) * svotes / svotes.sum()
        if semantic.sum() > 0:
            return votes / max(votes.sum(), 1e-12) + semantic
        return votes

    def _near(self, u: Understood, neighbours: np.ndarray) -> tuple[np.ndarray, float, int]:
        """Past messages nearly the same as this one: a distribution over their replies,
        how near the nearest is (0-1), and which example that is."""
        near = np.zeros(self.n, np.float64)
        mine = _pairs(u.core)
        best, best_doc = 0.0, -1
        for doc in neighbours[:10]:
            theirs = _pairs(core_text(self.example_text[int(doc)]))
            if not mine or not theirs:
                continue
            dice = 2 * len(mine & theirs) / (len(mine) + len(theirs))
            if dice >= self.weights.near_threshold:
                near[self.example_slot[int(doc)]] += dice ** 2
                if dice > best:
                    best, best_doc = dice, int(doc)
        total = near.sum()
        return (near / total if total > 0 else near), best, best_doc

    def signals(self, u: Understood, mask: np.ndarray, query_vector: np.ndarray | None = None,
                context: Context | None = None) -> Signals:
        """Every signal for one message over the slots ``mask`` lets through, and their
        fusion (the caller holds the lock)."""
        w = self.weights
        n = self.n
        self.nb.grow(n)
        text_z = zscores(self._text_scores(u), mask)
        query = cosines = None
        if query_vector is not None and self.sem is not None and self.sem.reply is not None:
            query = self.sem.query(query_vector)
            logits, cosines = self.sem.logits(query, self.alive[:n], mask, w)
            logits += w.w_text_semantic * text_z
            text = masked_softmax(w.beta_semantic * logits, mask)
        else:
            text = masked_softmax(w.beta_text * text_z, mask)
        learned = np.zeros(n, np.float64)
        nb_p = knn_p = near = learned
        best_example, nearness = -1, 0.0
        lam = 0.0
        if self.nb.n_examples > 0:
            toks = features(u)
            ll = (self.nb.log_likelihood(toks, n, w.nb_alpha)
                  + w.nb_prior * self.nb.log_prior(n))
            nb_p = masked_softmax(ll, mask)
            sims = self.examples.scores(toks, w.max_df_examples)[: self.examples.n]
            votes, neighbours = self._votes(sims, w.knn_k, mask)
            near, nearness, best_example = self._near(u, neighbours)
            if best_example < 0 and neighbours.size:
                best_example = int(neighbours[0])
            if query is not None and self.sem is not None and self.sem.example is not None:
                votes = self._semantic_votes(votes, query, mask)
            total = votes.sum()
            knn_p = votes / total if total > 0 else votes
            learned = (w.w_nb * nb_p + w.w_knn * knn_p) / (w.w_nb + (w.w_knn if total > 0
                                                                       else 0.0))
            lam = min(1 - w.text_floor, self.nb.n_examples / (self.nb.n_examples
                                                              + w.learned_half))
        score = (1 - lam) * text + lam * learned
        if nearness > 0:
            share = w.w_near * nearness
            score = (1 - share) * score + share * near
        ctx_p = lift = None
        if context is not None:
            dist = self.seq.distribution(context, n, mask, w.context_alpha_position,
                                         w.context_alpha_follows)
            if dist is not None:
                ctx_p, overall = dist
                lift = np.divide(ctx_p, overall, out=np.ones(n), where=overall > 0)
                score = score * lift ** w.w_context
        popularity = np.log1p(self.usage[:n] + self.nb.count[:n])
        top_pop = float(popularity[mask].max()) if mask.any() else 0.0
        if top_pop > 0:
            score = score * (1 + w.w_popularity * popularity / top_pop)
        score[~mask] = -1.0
        return Signals(score, text, learned, nb_p, knn_p, near, lam, best_example, cosines,
                       ctx_p, lift)

    def _candidates(self, score: np.ndarray, mask: np.ndarray) -> np.ndarray:
        top = _top(score, CANDIDATES)
        return top[mask[top]]

    def rank(self, u: Understood, library_ids: frozenset[int], limit: int,
             query_vector: np.ndarray | None = None, context: Context | None = None
             ) -> Ranking:
        """``context``: the conversation so far (context.resolve), None when unknown; an
        empty Context means the conversation has just begun."""
        with self.lock:
            self.last_used = time.monotonic()
            mask = self.visibility_mask(library_ids)
            if not mask.any():
                return Ranking([], None, 0.0)
            n = self.n
            sig = self.signals(u, mask, query_vector, context)
            score, text, learned, near, lam = (sig.score, sig.text, sig.learned, sig.near,
                                               sig.lam)
            shown = score  # the score each result reports: its place in the order
            if self.reranker.weights is not None and lam > 0:
                # The organization's own weighing of the signals (rerank.py) orders the
                # best candidates of the fusion; the limit never reaches past them.
                cand = self._candidates(score, mask)
                r = self.reranker.scores(candidate_features(self, sig, cand))
                p = np.exp(r - r.max())
                shown = score.copy()
                shown[cand] = p / p.sum()
                order = [int(s) for s in cand[np.argsort(-r, kind="stable")]]
            else:
                order = [int(s) for s in _top(score, max(limit, 1) + 1) if mask[s]]
            if u.escalate:
                soothing = np.nonzero(mask & self.soothing[:n])[0]
                if soothing.size:
                    first = int(soothing[np.argmax(score[soothing])])
                    order = [first] + [s for s in order if s != first]
            order = order[:limit]
            results = []
            for s in order:
                why: dict[str, Any] = {
                    "match": ("learned" if learned[s] * lam + near[s] > text[s] * (1 - lam)
                              else "text"),
                    "text": round(float(text[s]), 4), "learned": round(float(learned[s]), 4),
                    "learned_weight": round(lam, 3), "used": int(self.usage[s]),
                    "examples": int(self.nb.count[s]) if s < self.nb.count.size else 0,
                }
                if shown is not score:
                    why["reranked"] = True
                if sig.cosines is not None and self.sem is not None:
                    why["semantic"] = round(float(sig.cosines[0][s]), 4)
                    if len(sig.cosines) > 1:  # a joined backend: each model's cosine
                        why["semantic_models"] = {
                            name: round(float(c[s]), 4)
                            for name, c in zip(self.sem.names, sig.cosines, strict=True)}
                if sig.context is not None and sig.lift is not None:
                    # P(reply | conversation so far), and how much likelier than usual.
                    why["context"] = round(float(sig.context[s]), 4)
                    why["context_lift"] = round(float(sig.lift[s]), 3)
                if sig.best_example >= 0 and self.example_slot[sig.best_example] == s:
                    why["similar_message"] = self.example_text[sig.best_example][:100]
                if u.escalate and self.soothing[s] and s == order[0]:
                    why["match"] = "soothing"
                    why["escalation"] = u.reasons
                results.append(Ranked(s, round(float(shown[s]), 6), why))
            calming = order[0] if order and u.escalate and self.soothing[order[0]] else None
            category, confidence = self._intent(score, mask, u, calming)
            return Ranking(results, category, confidence)

    def _intent(self, score: np.ndarray, mask: np.ndarray, u: Understood,
                calming: int | None) -> tuple[str | None, float]:
        """The first-level category holding most of the score among the top 50 replies; a
        complaint's intent is the calming reply's category."""
        if calming is not None and self.category[calming]:
            return self.category[calming], 1.0
        slots = np.nonzero(mask)[0]
        mass: dict[str, float] = {}
        for s in slots[_top(score[slots], 50)]:
            name = self.category[s]
            if name and not (u.escalate and self.soothing[s]):
                mass[name] = mass.get(name, 0.0) + float(score[s])
        if not mass:
            return None, 0.0
        best = max(mass, key=lambda k: mass[k])
        total = sum(mass.values())
        return best, round(mass[best] / total, 4) if total > 0 else 0.0
