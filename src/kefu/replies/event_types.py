"""Typed events of the reply library; the panel applies them to its copy of the library."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

Op = Literal["add", "update", "remove"]


class ReplyEvent(BaseModel):
    type: Literal["replies"] = "replies"
    op: Op
    id: int
    reply: dict[str, Any] | None = None  # the reply's to_api_dict(); None on remove


class CategoryEvent(BaseModel):
    type: Literal["reply_categories"] = "reply_categories"
    op: Op
    id: int
    category: dict[str, Any] | None = None


class VariableEvent(BaseModel):
    type: Literal["reply_variables"] = "reply_variables"
    op: Op
    id: int
    variable: dict[str, Any] | None = None


class ReplyReloadEvent(BaseModel):
    """Many replies of one library changed at once (an import): reload the library rather
    than apply one event per reply."""

    type: Literal["replies"] = "replies"
    op: Literal["reload"] = "reload"
    library_id: int
