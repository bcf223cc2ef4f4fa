"""Search keys computed when a reply is written and stored on the row (Reply.search_keys),
so that building an in-memory index is a read, not a recomputation of pinyin."""

from __future__ import annotations

from typing import Any

KEYS_VERSION = 0


def search_keys_for(reply: Any) -> dict[str, Any]:
    """The keys of a reply (any object with title/body/shortcut/tags/questions)."""
    return {"v": KEYS_VERSION}
