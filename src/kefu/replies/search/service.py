"""Search as the API and CLI use it: member in, ranked result dicts out."""

from __future__ import annotations

import time
from typing import Any

from kefu.core.models import Member
from kefu.replies.search.engine import Hit, explain, search
from kefu.replies.search.index import OrgIndex
from kefu.replies.search.registry import index_for

MAX_QUERY = 100
MAX_LIMIT = 50


def result_dict(ix: OrgIndex, hit: Hit) -> dict[str, Any]:
    d = hit.doc
    return {
        "id": int(ix.reply_id[d]), "key": ix.key.get(d), "title": ix.title(d),
        "body": ix.body(d), "category": ix.category[d], "shortcut": ix.shortcut.get(d),
        "library_id": ix.libraries[ix.lib[d]].id if ix.lib[d] >= 0 else None,
        "score": round(hit.score, 4),
        "highlights": {"title": [list(s) for s in hit.match.title],
                       "body": [list(s) for s in hit.match.body]},
        "why": explain(ix, hit),
    }


def search_replies(member: Member, q: str, limit: int = 10,
                   category_id: int | None = None) -> dict[str, Any]:
    ix, viewer = index_for(member)
    started = time.perf_counter()
    hits = search(ix, viewer, q[:MAX_QUERY], min(limit, MAX_LIMIT), category_id)
    took = (time.perf_counter() - started) * 1000
    return {"results": [result_dict(ix, h) for h in hits], "took_ms": round(took, 3)}
