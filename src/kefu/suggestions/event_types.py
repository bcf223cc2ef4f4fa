"""Typed events of suggestions: every process's in-memory model applies them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ExampleEvent(BaseModel):
    """A learned example appeared or was deleted; ``reload`` after a bulk import."""

    type: Literal["suggestion_examples"] = "suggestion_examples"
    op: Literal["add", "remove", "reload"]
    id: int = 0
    reply_id: int = 0
    normalized: str = ""
    # Its place in a conversation (context.py): the previous turn's reply ids, and how
    # many library replies came before; None when it had no conversation.
    previous: list[int] = []
    turn: int | None = None
