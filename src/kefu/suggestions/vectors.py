"""Reply vectors kept in the database (models.EncodedText), so that a restart does not
encode a library again.

A semantic backend turns each reply's text (semantic_scores.semantic_text) into a vector
when an organization's suggestion model is built. The process keeps vectors it computed
(semantic_scores.encode_cached), but a new process used to encode every reply once more: a
minute per 4,000 replies with m3e-small, ten or more per 5,000 with e5-small on one core,
and the first suggestion waited for it. Vectors are stored as float32, exactly as computed,
so a model built from them ranks as the one that computed them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from kefu.suggestions.semantic_scores import encode_cached

CHUNK = 500


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reply_vectors(org_id: int, encoder: Any, texts: list[str]) -> list[np.ndarray]:
    """One vector per text: read when stored for this organization and model, encoded (in
    one batch) and stored when not. Stored vectors of texts not asked for any more (edited
    or purged replies) are deleted."""
    from kefu.suggestions.models import EncodedText

    wanted = [digest(t) for t in texts]
    text_of = dict(zip(wanted, texts, strict=True))  # identical texts: one entry
    found: dict[str, np.ndarray] = {}
    stale: list[int] = []
    rows = EncodedText.objects.filter(organization_id=org_id, model=encoder.name)
    for pk, dig, blob in rows.values_list("id", "digest", "vector").iterator(chunk_size=2000):
        if dig in text_of:
            found[dig] = np.frombuffer(bytes(blob), np.float32).copy()
        else:
            stale.append(pk)
    missing = [d for d in text_of if d not in found]
    if missing:
        fresh = encode_cached(encoder, [text_of[d] for d in missing])
        for dig, vec in zip(missing, fresh, strict=True):
            found[dig] = np.asarray(vec, np.float32)
        # Another process building the same organization may have stored some already.
        EncodedText.objects.bulk_create(
            [EncodedText(organization_id=org_id, model=encoder.name, digest=dig,
                         vector=found[dig].tobytes()) for dig in missing],
            batch_size=CHUNK, ignore_conflicts=True)
    for start in range(0, len(stale), CHUNK):
        EncodedText.objects.filter(id__in=stale[start:start + CHUNK]).delete()
    return [found[d] for d in wanted]
