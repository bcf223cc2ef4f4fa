"""Typed events of the core app. Each app keeps its own in <app>/event_types.py."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

Op = Literal["add", "update", "remove"]


class MemberEvent(BaseModel):
    type: Literal["members"] = "members"
    op: Op
    id: int
    member: dict[str, Any] | None = None  # the member's to_api_dict(); None on remove


class DepartmentEvent(BaseModel):
    type: Literal["departments"] = "departments"
    op: Op
    id: int
    department: dict[str, Any] | None = None
