"""One suggestion model per organization per process: built lazily from the database, kept
current by the event bus (reply edits, uses, learned examples; across processes through
Redis), evicted when idle. The same pattern as replies.search.registry."""

from __future__ import annotations

import gc
import logging
import time
from collections import deque
from typing import Any

import numpy as np

from kefu.core.orgcache import OrgCache
from kefu.replies.search.registry import library_infos, load_rows, row_from_event
from kefu.suggestions.model import OrgModel, Weights
from kefu.suggestions.rerank import MAX_ROWS
from kefu.suggestions.semantic import from_bytes, get_encoder, to_bytes
from kefu.suggestions.semantic_scores import semantic_text
from kefu.suggestions.vectors import reply_vectors

log = logging.getLogger("kefu.suggestions")

IDLE_SECONDS = 30 * 60
MAX_MODELS = 100
FREEZE_ABOVE = 10_000  # replies + examples: smaller models cost the collector little
# Examples whose picks the re-ranker learns from at a build: a row each.
OBSERVED_AT_BUILD = MAX_ROWS


class Registry(OrgCache[OrgModel]):
    idle_seconds = IDLE_SECONDS
    max_entries = MAX_MODELS

    def __init__(self) -> None:
        super().__init__()
        self.weights = Weights()

    def build(self, org_id: int) -> OrgModel:
        model = build_model(org_id, self.weights)
        # A built model is hundreds of thousands of long-lived objects; the cyclic
        # collector would walk them all on every full collection (pauses of tens of
        # ms in the middle of a suggestion). Nothing in it forms cycles, so it can
        # live outside the collector; reference counting still frees it on eviction.
        if model.n + model.n_examples >= FREEZE_ABOVE:
            gc.collect()
            gc.freeze()
        return model

    def apply(self, org_id: int, model: OrgModel, ev: dict[str, Any]) -> None:
        kind, op = ev.get("type"), ev.get("op")
        if kind == "replies":
            if op == "reload":
                self.drop(org_id)
            elif op == "remove":
                model.remove_reply(int(ev["id"]))
            elif ev.get("reply"):
                model.upsert_reply(row_from_event(ev["reply"], {}))
        elif kind == "reply_uses" and float(ev["at"]) >= model.read_at:
            # (earlier uses are counted in the rows read: see search.registry)
            model.record_use(int(ev["id"]))
        elif kind == "suggestion_examples":
            if op == "reload":
                self.drop(org_id)
            elif op == "remove":
                model.remove_example(int(ev["id"]))
            elif op == "add":
                model.add_example(int(ev["id"]), int(ev["reply_id"]), ev.get("normalized", ""),
                                  previous=[int(r) for r in ev.get("previous") or []],
                                  turn=ev.get("turn"))


REGISTRY = Registry()


def build_model(org_id: int, weights: Weights | None = None) -> OrgModel:
    from kefu.suggestions.models import LearnedExample

    started = time.perf_counter()
    encoder = get_encoder()
    model = OrgModel(org_id, encoder, weights)
    model.read_at = time.time()
    model.set_libraries(library_infos(org_id))
    rows = load_rows(org_id)
    vectors: list[Any] = [None] * len(rows)
    if encoder is not None and rows:
        # Stored vectors where the text was encoded before; the others in one batch, far
        # faster than one text at a time.
        texts = [semantic_text(r["title"], r["body"], list(r.get("questions") or []))
                 for r in rows]
        vectors = reply_vectors(org_id, encoder, texts)
    for row, vec in zip(rows, vectors, strict=True):
        model.upsert_reply(row, vec)
    examples = (LearnedExample.objects.filter(organization_id=org_id).order_by("id")
                .values_list("id", "reply_id", "normalized", "embedding", "embedding_model",
                             "previous_replies", "turn"))
    missing: list[tuple[int, int, str, list[int], int | None]] = []
    # The latest examples are learned last, each after the re-ranker saw how the model
    # ranked its message without it, as the live model did when it arrived (rerank.py).
    latest: deque[tuple[int, int, str, Any, list[int], int | None]] = deque()
    for eid, reply_id, normalized, emb, emb_model, previous, turn in examples.iterator(
            chunk_size=5000):
        vec = None
        if encoder is not None:
            vec = from_bytes(emb) if emb_model == encoder.name else None
            if vec is None:
                missing.append((eid, reply_id, normalized, previous, turn))
                continue
        latest.append((eid, reply_id, normalized, vec, previous, turn))
        if len(latest) > OBSERVED_AT_BUILD:
            model.add_example(*latest.popleft(), observe=False)
    if missing and encoder is not None:
        _encode_missing(model, encoder, missing)
    model.compact()  # so that ranking the latest messages reads arrays
    for args in latest:
        model.add_example(*args, observe=True, refit=False)
    model.compact()
    model.fit_reranker()
    log.debug("suggestion model for org %s: %d replies, %d examples in %.2fs", org_id,
             model.n, model.n_examples, time.perf_counter() - started)
    return model


def _encode_missing(model: OrgModel, encoder: Any,
                    missing: list[tuple[int, int, str, list[int], int | None]]) -> None:
    """Examples stored before the backend was configured: encode them once and keep it."""
    from kefu.suggestions.models import LearnedExample

    for start in range(0, len(missing), 256):
        chunk = missing[start:start + 256]
        vecs = encoder.encode([m[2] for m in chunk])
        updates = []
        for (eid, reply_id, normalized, previous, turn), vec in zip(chunk, vecs, strict=True):
            model.add_example(eid, reply_id, normalized, vec, previous, turn, observe=False)
            updates.append(LearnedExample(id=eid, embedding=to_bytes(vec),
                                          embedding_model=encoder.name))
        LearnedExample.objects.bulk_update(updates, ["embedding", "embedding_model"])


def query_vector(model: OrgModel, text: str) -> np.ndarray | None:
    if model.encoder is None or not text:
        return None
    return np.asarray(model.encoder.encode([text])[0], np.float32)
