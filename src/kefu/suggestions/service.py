"""Suggestions as the API, the CLI and the panel get them: member, message and optionally
the conversation so far in, the answer dict out (the shape of POST /api/v1/suggest)."""

from __future__ import annotations

import time
from typing import Any

from kefu.core.models import Member
from kefu.replies.actions import org_variable_values
from kefu.replies.variables import render
from kefu.suggestions.context import resolve
from kefu.suggestions.registry import REGISTRY, query_vector
from kefu.suggestions.understanding import understand

MAX_LIMIT = 20


def suggest(member: Member, message: str, limit: int = 5,
            context: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``context``: earlier turns, oldest first (``{"from": "buyer"|"agent", "text",
    "reply_id"}``); None when the caller does not know the conversation, [] when it has
    just begun."""
    started = time.perf_counter()
    model = REGISTRY.get(member.organization_id)
    u = understand(message)
    vector = query_vector(model, u.cleaned)
    library_ids = model.visible_library_ids(member)
    conversation = None
    if context is not None:
        with model.lock:
            conversation = resolve(model, context, model.visibility_mask(library_ids))
    ranking = model.rank(u, library_ids, min(max(limit, 1), MAX_LIMIT), vector, conversation)
    values = u.entities.variables()
    org_vars: dict[str, str] | None = None
    suggestions = []
    for r in ranking.results:
        body = model.body[r.slot]
        if "{" in body:
            if org_vars is None:
                org_vars = org_variable_values(member.organization_id)
            body = render(body, values, org_vars, member).text
        suggestions.append({
            "reply_id": model.reply_id[r.slot], "key": model.key[r.slot],
            "title": model.title[r.slot], "text": body, "score": r.score, "why": r.why,
        })
    return {
        "intent": {"category": ranking.category, "confidence": ranking.confidence},
        "entities": u.entities.to_api_dict(),
        "escalate": u.escalate,
        "suggestions": suggestions,
        "took_ms": round((time.perf_counter() - started) * 1000, 3),
    }
