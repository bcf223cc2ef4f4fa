"""Typed events of the reply library; the panel applies them to its copy of the library."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel, BeforeValidator

Op = Literal["add", "update", "remove"]


def as_api_json(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """The object exactly as the API renders it (datetimes to the millisecond, like
    NinjaJSONEncoder), so a screen's copy updated by events equals a fresh fetch."""
    return None if obj is None else dict(json.loads(json.dumps(obj, cls=NinjaJSONEncoder)))


ApiObject = Annotated[dict[str, Any] | None, BeforeValidator(as_api_json)]


class ReplyEvent(BaseModel):
    type: Literal["replies"] = "replies"
    op: Op
    id: int
    reply: ApiObject = None  # the reply's to_api_dict(); None on remove


class CategoryEvent(BaseModel):
    type: Literal["reply_categories"] = "reply_categories"
    op: Op
    id: int
    category: ApiObject = None


class VariableEvent(BaseModel):
    type: Literal["reply_variables"] = "reply_variables"
    op: Op
    id: int
    variable: ApiObject = None


class ReplyReloadEvent(BaseModel):
    """Many replies of one library changed at once (an import): reload the library rather
    than apply one event per reply."""

    type: Literal["replies"] = "replies"
    op: Literal["reload"] = "reload"
    library_id: int


class ReplyUseEvent(BaseModel):
    """The member used a reply (sent to that member only; their search ranks by it)."""

    type: Literal["reply_uses"] = "reply_uses"
    op: Literal["add"] = "add"
    id: int  # the reply
    member_id: int
    at: float  # unix time of the use
