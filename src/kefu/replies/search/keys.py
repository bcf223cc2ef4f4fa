"""Search keys computed when a reply is written and stored on the row (Reply.search_keys),
so that building an in-memory index is a read, not a recomputation of pinyin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kefu.replies.search.text import char_readings_string, fold

KEYS_VERSION = 2  # 2: readings of the 通用规范汉字字典 (text._readings_table)


def _get(reply: Any, name: str) -> Any:
    return reply.get(name) if isinstance(reply, Mapping) else getattr(reply, name, None)


def tags_text(tags: Any) -> str:
    return " ".join(str(t) for t in (tags or ()))


def search_keys_for(reply: Any) -> dict[str, Any]:
    """The keys of a reply (a model instance or a mapping with title and tags).

    ``t``: readings of each character of the folded title; ``g``: of the folded tags joined
    by spaces (see text.char_readings_string for the format).
    """
    title = fold(str(_get(reply, "title") or ""))
    tags = fold(tags_text(_get(reply, "tags")))
    return {"v": KEYS_VERSION, "t": char_readings_string(title),
            "g": char_readings_string(tags)}
