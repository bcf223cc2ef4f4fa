"""POST /api/v1/suggest, and the learned examples supervisors curate."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import field_validator

from kefu.api import paged
from kefu.core.access import require_manager
from kefu.core.errors import KefuError, NotFound
from kefu.core.models import Member
from kefu.suggestions import actions
from kefu.suggestions.context import MAX_TURNS
from kefu.suggestions.models import LearnedExample
from kefu.suggestions.service import MAX_LIMIT, suggest
from kefu.suggestions.understanding import MESSAGE_MAX

router = Router(tags=["suggestions"])


def me(request: HttpRequest) -> Member:
    return request.auth  # type: ignore[attr-defined]


class ContextTurn(Schema):
    from_: Literal["buyer", "agent"] = Field(alias="from")
    text: str | None = Field(None, max_length=MESSAGE_MAX,
                             description="what was said (a buyer turn needs it)")
    reply_id: int | None = Field(None, description="the library reply the agent sent")


class SuggestIn(Schema):
    message: str = Field(min_length=1, max_length=MESSAGE_MAX,
                         description="the buyer's message as pasted (emoji, order numbers...)")
    limit: int = Field(5, ge=1, le=MAX_LIMIT)
    context: list[ContextTurn] | None = Field(
        None, max_length=MAX_TURNS,
        description="earlier turns of this conversation, oldest first: the buyer's "
                    "messages and what the agent sent; [] when the conversation has just "
                    "begun. Reply ids the caller may not see are ignored.")

    @field_validator("message")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("blank")
        return value


class Intent(Schema):
    category: str | None
    confidence: float


class Suggestion(Schema):
    reply_id: int
    key: str
    title: str
    text: str = Field(description="the reply body with variables filled from the message")
    score: float
    why: dict[str, Any]


class SuggestOut(Schema):
    intent: Intent
    entities: dict[str, Any]
    escalate: bool
    suggestions: list[Suggestion]
    took_ms: float


@router.post("/suggest", response=SuggestOut,
             summary="Rank the replies that answer a buyer's message")
def suggest_endpoint(request: HttpRequest, body: SuggestIn) -> dict[str, Any]:
    return suggest(me(request), body.message, body.limit, context_turns(body.context))


def context_turns(turns: list[ContextTurn] | None) -> list[dict[str, Any]] | None:
    """The checked ``context`` as suggest() reads it. The schema cannot say that a turn
    needs its text or reply_id depending on who spoke, so that is checked here, for the API
    and for `kefu suggest --context` alike."""
    if turns is None:
        return None
    context = []
    for number, turn in enumerate(turns, 1):
        text = (turn.text or "").strip()
        if turn.from_ == "buyer" and not text:
            raise KefuError(_("Context turn %(n)d: a buyer turn needs its text.")
                            % {"n": number})
        if turn.from_ == "agent" and not text and turn.reply_id is None:
            raise KefuError(_("Context turn %(n)d: an agent turn needs a reply_id or "
                              "its text.") % {"n": number})
        context.append({"from": turn.from_, "text": text, "reply_id": turn.reply_id})
    return context


class ExampleOut(Schema):
    id: int
    message: str
    reply_id: int
    reply_key: str
    reply_title: str
    source: str
    created_by: str | None
    created_at: Any


class ExamplePage(Schema):
    count: int
    items: list[ExampleOut]


class ExampleFilter(Schema):
    limit: int = 50
    offset: int = 0
    q: str = Field("", max_length=100, description="text in the message")
    reply_id: int | None = None


def examples_of(member: Member) -> Any:
    return (LearnedExample.objects.filter(organization_id=member.organization_id)
            .select_related("reply", "created_by__user").order_by("-id"))


@router.get("/suggestions/examples", response=ExamplePage,
            summary="Learned examples, newest first (supervisors)")
def list_examples(request: HttpRequest, f: Query[ExampleFilter]) -> dict[str, Any]:
    m = me(request)
    require_manager(m)
    qs = examples_of(m)
    if f.q.strip():
        qs = qs.filter(message__icontains=f.q.strip())
    if f.reply_id is not None:
        qs = qs.filter(reply_id=f.reply_id)
    return paged(qs, f.limit, f.offset, LearnedExample.to_api_dict)


def access_example_by_id(member: Member, example_id: int) -> LearnedExample:
    example = examples_of(member).filter(pk=example_id).first()
    if example is None:
        raise NotFound(_("Learned example not found."))
    return example


@router.delete("/suggestions/examples/{example_id}", response={204: None},
               summary="Forget a learned example (supervisors)")
def delete_example(request: HttpRequest, example_id: int) -> Status[Any]:
    m = me(request)
    example = access_example_by_id(m, example_id)
    actions.do_delete_example(m, example)
    return Status(204, None)
