"""Every write of suggestions: learning a pair, deleting one, importing chat history.

Learning from a use runs inside do_record_use's transaction, so the example exists exactly
when the use does; the event on commit updates every process's in-memory model.
"""

from __future__ import annotations

from collections.abc import Callable
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
from kefu.suggestions.models import ExampleSource, LearnedExample
from kefu.suggestions.semantic import get_encoder, to_bytes
from kefu.suggestions.understanding import clean, mask

# Supervisors' pages list examples; agents have nothing to refresh.
EXAMPLE_AUDIENCE = Audience(roles=tuple(str(r) for r in MANAGER_ROLES))


def _prepared(message: str) -> tuple[str, str]:
    masked = mask(message)[:LearnedExample.MESSAGE_MAX]
    return masked, clean(masked)


def do_learn_example(actor: Member | None, reply: Reply, message: str, *,
                     source: str = ExampleSource.USE, use: ReplyUse | None = None
                     ) -> LearnedExample | None:
    """Remember that ``reply`` answered ``message``. A message with nothing left after
    cleaning (a greeting, an emoji) teaches nothing and is not stored."""
    masked, normalized = _prepared(message)
    if not normalized:
        return None
    encoder = get_encoder()
    vector = encoder.encode([normalized])[0] if encoder is not None else None
    with transaction.atomic():
        example = LearnedExample.objects.create(
            organization_id=reply.organization_id, reply=reply, message=masked,
            normalized=normalized, source=source, use=use, created_by=actor,
            embedding=to_bytes(vector) if vector is not None else None,
            embedding_model=encoder.name if encoder is not None else "")
        send_event_on_commit(reply.organization_id, ExampleEvent(
            op="add", id=example.id, reply_id=reply.id, normalized=normalized),
            EXAMPLE_AUDIENCE)
    return example


def learn_from_use(use: ReplyUse) -> None:
    """Called by replies.actions.do_record_use inside its transaction."""
    if use.message:
        do_learn_example(use.member, use.reply, use.message, source=ExampleSource.USE, use=use)


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


def do_import_history(actor: Member | None, org: Organization, rows: list[tuple[str, Reply]],
                      *, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Learn many (message, reply) pairs at once (history.py matched them to replies).
    One audit row and one reload event for the whole import."""
    if actor is not None:
        require_manager(actor)
    for _message, reply in rows:
        if reply.organization_id != org.id:
            raise KefuError(_("A reply of another organization cannot be learned."))
    result = ImportResult()
    encoder = get_encoder()
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            batch = []
            for message, reply in rows[start:start + BATCH]:
                masked, normalized = _prepared(message)
                if not normalized:
                    result.skipped += 1
                    continue
                batch.append(LearnedExample(
                    organization_id=org.id, reply=reply, message=masked,
                    normalized=normalized, source=ExampleSource.IMPORT, created_by=actor))
            if encoder is not None and batch:
                for example, vec in zip(batch, encoder.encode([e.normalized for e in batch]),
                                        strict=True):
                    example.embedding, example.embedding_model = to_bytes(vec), encoder.name
            LearnedExample.objects.bulk_create(batch)
            result.learned += len(batch)
            if progress is not None:
                progress(min(start + BATCH, len(rows)), len(rows))
        audit(org.id, actor, "suggestion_example.import", None, learned=result.learned,
              skipped=result.skipped)
        send_event_on_commit(org.id, ExampleEvent(op="reload"), EXAMPLE_AUDIENCE)
    return result
