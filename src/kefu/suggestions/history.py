"""Reading chat history for learning: JSONL rows ``{"message", "reply_key"}`` or
``{"message", "reply_text"}``. A reply_text is matched to the closest reply of the
organization (what the agent sent is often the script lightly edited).

An optional ``"session"`` (any text, e.g. the chat id) ties rows into a conversation: the
rows of one session, in file order, are its turns, and suggestions learn which reply followed
which (context.py). Consecutive rows of a session with the same message are one turn in
which the agent sent several replies."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from kefu.core.models import Organization
from kefu.replies.models import Reply
from kefu.replies.search.text import fold
from kefu.suggestions.index import SparseIndex
from kefu.suggestions.models import CONVERSATION_MAX

# Below this similarity a reply_text matches no reply (and the row is reported).
MIN_SIMILARITY = 0.5
_NON_WORD = re.compile(r"[^\w\u4e00-\u9fff]+")


def _norm(text: str) -> str:
    return _NON_WORD.sub("", fold(text or ""))


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)] or ([text] if text else [])


def similarity(a: str, b: str) -> float:
    """Dice coefficient of character pairs, on normalized text."""
    x, y = _bigrams(_norm(a)), _bigrams(_norm(b))
    if not x or not y:
        return 0.0
    common = 0
    pool: dict[str, int] = {}
    for g in y:
        pool[g] = pool.get(g, 0) + 1
    for g in x:
        if pool.get(g, 0) > 0:
            pool[g] -= 1
            common += 1
    return 2 * common / (len(x) + len(y))


class ReplyMatcher:
    """Finds the reply a sent text came from: by key, exact text, or closest text."""

    def __init__(self, org: Organization) -> None:
        self.replies = list(Reply.objects.filter(organization=org, deleted_at__isnull=True)
                            .order_by("id"))
        self.by_key = {r.key: r for r in self.replies if r.key}
        self.exact: dict[str, Reply] = {}
        for r in self.replies:
            for text in (r.body, r.title):
                self.exact.setdefault(_norm(text), r)
        self.index = SparseIndex()
        for r in self.replies:
            self.index.add(_bigrams(_norm(r.body)) + _bigrams(_norm(r.title)))
        self.cache: dict[str, tuple[Reply | None, float]] = {}

    def by_text(self, text: str) -> tuple[Reply | None, float]:
        key = _norm(text)
        if key in self.cache:
            return self.cache[key]
        found: tuple[Reply | None, float] = (None, 0.0)
        if key in self.exact:
            found = (self.exact[key], 1.0)
        elif self.replies:
            scores = self.index.scores(_bigrams(key))
            for doc in scores.argsort()[::-1][:10]:
                if scores[doc] <= 0:
                    break
                r = self.replies[int(doc)]
                sim = max(similarity(text, r.body), similarity(text, r.title))
                if sim > found[1]:
                    found = (r, sim)
            if found[1] < MIN_SIMILARITY:
                found = (None, found[1])
        self.cache[key] = found
        return found


class HistoryRow(NamedTuple):
    message: str
    reply: Reply
    session: str = ""  # empty: the row belongs to no known conversation


@dataclass
class ParsedHistory:
    rows: list[HistoryRow] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def parse_history(org: Organization, data: bytes) -> ParsedHistory:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedHistory(problems=[{"line": None, "message": _("The file is not UTF-8.")}])
    matcher = ReplyMatcher(org)
    out = ParsedHistory()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            out.problems.append({"line": number, "message": _("Not valid JSON.")})
            continue
        message = row.get("message") if isinstance(row, dict) else None
        if not isinstance(message, str) or not message.strip():
            out.problems.append({"line": number, "message": _("No message.")})
            continue
        reply: Reply | None = None
        if isinstance(row.get("reply_key"), str) and row["reply_key"]:
            reply = matcher.by_key.get(row["reply_key"])
            if reply is None:
                out.problems.append({"line": number, "message": _(
                    "No reply has the key %(key)s.") % {"key": row["reply_key"]}})
                continue
        elif isinstance(row.get("reply_text"), str) and row["reply_text"].strip():
            reply, _sim = matcher.by_text(row["reply_text"])
            if reply is None:
                out.problems.append({"line": number, "message": _(
                    "No reply is close enough to the reply_text.")})
                continue
        else:
            out.problems.append({"line": number, "message": _(
                "Give reply_key or reply_text.")})
            continue
        session = row.get("session", "")
        if isinstance(session, int) and not isinstance(session, bool):
            session = str(session)
        if not isinstance(session, str) or len(session) > CONVERSATION_MAX:
            out.problems.append({"line": number, "message": _(
                "The session must be text of at most %(n)d characters.") % {
                    "n": CONVERSATION_MAX}})
            continue
        out.rows.append(HistoryRow(message, reply, session.strip()))
    return out
