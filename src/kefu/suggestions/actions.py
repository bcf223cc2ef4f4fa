"""Every write of suggestions: learning a pair, deleting one, importing chat history.

Learning from a use runs inside do_record_use's transaction, so the example exists exactly
when the use does; the event on commit updates every process's in-memory model.

Examples given a conversation (a use's ``conversation``, a history row's ``session``) also
store their place in it: the reply ids of the agent's previous library turn and how many
library turns came before (context.py learns transitions and positions from them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.access import require_manager
from kefu.core.actions import audit
from kefu.core.errors import KefuError
from kefu.core.events import Audience, send_event_on_commit
from kefu.core.models import MANAGER_ROLES, Member, Organization
from kefu.replies.models import Reply, ReplyUse
from kefu.suggestions.event_types import ExampleEvent
from kefu.suggestions.history import HistoryRow
from kefu.suggestions.models import CONVERSATION_MAX, ExampleSource, LearnedExample
from kefu.suggestions.semantic import get_encoder, to_bytes
from kefu.suggestions.understanding import clean, mask

# Supervisors' pages list examples; agents have nothing to refresh.
EXAMPLE_AUDIENCE = Audience(roles=tuple(str(r) for r in MANAGER_ROLES))


def _prepared(message: str) -> tuple[str, str]:
    masked = mask(message)[:LearnedExample.MESSAGE_MAX]
    return masked, clean(masked)


def _place_in_conversation(org_id: int, conversation: str, normalized: str
                           ) -> tuple[list[int], int]:
    """(previous turn's reply ids, turn) for a new example of ``conversation``: another
    reply for the same buyer message as the latest example joins that turn; any other
    message starts the next turn. Conversations are short: two indexed queries."""
    examples = LearnedExample.objects.filter(organization_id=org_id,
                                             conversation=conversation)
    last = examples.order_by("-id").values("normalized", "turn", "previous_replies").first()
    if last is None or last["turn"] is None:
        return [], 0
    if last["normalized"] == normalized:
        return list(last["previous_replies"]), last["turn"]
    replies = examples.filter(turn=last["turn"]).order_by("id").values_list("reply_id",
                                                                            flat=True)
    return list(dict.fromkeys(replies)), last["turn"] + 1


def do_learn_example(actor: Member | None, reply: Reply, message: str, *,
                     source: str = ExampleSource.USE, use: ReplyUse | None = None,
                     conversation: str = "") -> LearnedExample | None:
    """Remember that ``reply`` answered ``message`` (in ``conversation``, when known). A
    message with nothing left after cleaning (a greeting, an emoji) teaches nothing and is
    not stored."""
    masked, normalized = _prepared(message)
    if not normalized:
        return None
    conversation = conversation.strip()[:CONVERSATION_MAX]
    encoder = get_encoder()
    vector = encoder.encode([normalized])[0] if encoder is not None else None
    with transaction.atomic():
        previous: list[int] = []
        turn: int | None = None
        if conversation:
            previous, turn = _place_in_conversation(reply.organization_id, conversation,
                                                    normalized)
        example = LearnedExample.objects.create(
            organization_id=reply.organization_id, reply=reply, message=masked,
            normalized=normalized, source=source, use=use, created_by=actor,
            embedding=to_bytes(vector) if vector is not None else None,
            embedding_model=encoder.name if encoder is not None else "",
            conversation=conversation, turn=turn, previous_replies=previous)
        send_event_on_commit(reply.organization_id, ExampleEvent(
            op="add", id=example.id, reply_id=reply.id, normalized=normalized,
            previous=previous, turn=turn), EXAMPLE_AUDIENCE)
    return example


def learn_from_use(use: ReplyUse, conversation: str = "") -> None:
    """Called by replies.actions.do_record_use inside its transaction."""
    if use.message:
        do_learn_example(use.member, use.reply, use.message, source=ExampleSource.USE, use=use,
                         conversation=conversation)


def do_delete_example(actor: Member | None, example: LearnedExample) -> None:
    if actor is not None:
        require_manager(actor)
    with transaction.atomic():
        org_id, example_id = example.organization_id, example.id
        audit(org_id, actor, "suggestion_example.delete", example,
              message=example.message[:200], reply=example.reply_id)
        example.delete()
        send_event_on_commit(org_id, ExampleEvent(op="remove", id=example_id),
                             EXAMPLE_AUDIENCE)


@dataclass
class ImportResult:
    learned: int = 0
    skipped: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_api_dict(self) -> dict[str, Any]:
        return {"learned": self.learned, "skipped": self.skipped, "problems": self.problems}


BATCH = 2000


@dataclass
class _Session:
    """Reading one session's rows in order: which turn we are in, and the one before."""

    message: str | None = None
    turn: int = -1
    previous: list[int] = field(default_factory=list)
    current: list[int] = field(default_factory=list)

    def place(self, message: str, reply_id: int) -> tuple[list[int], int]:
        if message != self.message:  # a new buyer message: the next turn
            if self.current:
                self.previous = list(dict.fromkeys(self.current))
            self.message, self.turn, self.current = message, self.turn + 1, []
        self.current.append(reply_id)
        return self.previous, self.turn


def do_import_history(actor: Member | None, org: Organization,
                      rows: Sequence[HistoryRow | tuple[str, Reply]], *,
                      progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Learn many (message, reply[, session]) rows at once (history.py matched them to
    replies); rows of a session also teach their order. One audit row and one reload event
    for the whole import."""
    if actor is not None:
        require_manager(actor)
    history = [HistoryRow(*row) for row in rows]
    for row in history:
        if row.reply.organization_id != org.id:
            raise KefuError(_("A reply of another organization cannot be learned."))
    result = ImportResult()
    encoder = get_encoder()
    sessions: dict[str, _Session] = {}
    with transaction.atomic():
        for start in range(0, len(history), BATCH):
            batch = []
            for message, reply, session in history[start:start + BATCH]:
                masked, normalized = _prepared(message)
                previous: list[int] = []
                turn: int | None = None
                session = session[:CONVERSATION_MAX]
                if session:
                    # Placed before the check below: a greeting answered with a reply
                    # teaches no words, but it is still a turn of the conversation.
                    previous, turn = sessions.setdefault(session, _Session()).place(
                        message.strip(), reply.id)
                if not normalized:
                    result.skipped += 1
                    continue
                batch.append(LearnedExample(
                    organization_id=org.id, reply=reply, message=masked,
                    normalized=normalized, source=ExampleSource.IMPORT, created_by=actor,
                    conversation=session, turn=turn, previous_replies=previous))
            if encoder is not None and batch:
                for example, vec in zip(batch, encoder.encode([e.normalized for e in batch]),
                                        strict=True):
                    example.embedding, example.embedding_model = to_bytes(vec), encoder.name
            LearnedExample.objects.bulk_create(batch)
            result.learned += len(batch)
            if progress is not None:
                progress(min(start + BATCH, len(history)), len(history))
        audit(org.id, actor, "suggestion_example.import", None, learned=result.learned,
              skipped=result.skipped)
        send_event_on_commit(org.id, ExampleEvent(op="reload"), EXAMPLE_AUDIENCE)
    return result
