"""Cleaning of reply fields, shared by the API, the editor and the importer.

Returns cleaned values and a list of (field, message) problems instead of raising, so the
importer can report every bad cell of a spreadsheet at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from kefu.core.errors import KefuError
from kefu.replies.models import Category, Reply

SHORTCUT_RE = re.compile(r"^/[0-9a-z_\-\u3400-\u9fff]{1,19}$")
LIST_SPLIT_RE = re.compile(r"[,，、;；\n]")

Problems = list[tuple[str, str]]


def normalize_text(value: Any) -> str:
    # NFC, and Windows line endings from spreadsheets folded to \n.
    text = "" if value is None else str(value)
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").strip()


def normalize_shortcut(value: Any) -> str:
    # NFKC first: full-width ／ＴＫ１ -> /TK1, and the full-width space becomes a space.
    code = unicodedata.normalize("NFKC", normalize_text(value))
    code = "".join(code.split()).lower()
    if code and not code.startswith("/"):
        code = "/" + code
    return code


def split_list(value: Any, pattern: re.Pattern[str] = LIST_SPLIT_RE) -> list[str]:
    if value is None:
        return []
    items: Iterable[Any] = value if isinstance(value, list | tuple) else pattern.split(str(value))
    return list(dict.fromkeys(t for t in (normalize_text(i) for i in items) if t))


def clean_reply_fields(data: dict[str, Any]) -> tuple[dict[str, Any], Problems]:
    """Clean whichever of key/title/body/shortcut/tags/questions are present in ``data``."""
    out: dict[str, Any] = {}
    problems: Problems = []
    if "title" in data:
        out["title"] = title = normalize_text(data["title"])
        if not title:
            problems.append(("title", _("The title is required.")))
        elif len(title) > Reply.TITLE_MAX:
            problems.append(("title", _("The title is longer than %(n)d characters.")
                             % {"n": Reply.TITLE_MAX}))
    if "body" in data:
        out["body"] = body = normalize_text(data["body"])
        if not body:
            problems.append(("body", _("The body is required.")))
        elif len(body) > Reply.BODY_MAX:
            problems.append(("body", _("The body is longer than %(n)d characters.")
                             % {"n": Reply.BODY_MAX}))
    if "key" in data:
        out["key"] = key = normalize_text(data["key"])
        if len(key) > Reply.KEY_MAX:
            problems.append(("key", _("The key is longer than %(n)d characters.")
                             % {"n": Reply.KEY_MAX}))
    if "shortcut" in data:
        out["shortcut"] = code = normalize_shortcut(data["shortcut"])
        if code and not SHORTCUT_RE.match(code):
            problems.append(("shortcut", _("A shortcut is / followed by 1-19 letters, digits "
                                           "or Chinese characters, like /tk1.")))
    if "tags" in data:
        out["tags"] = tags = split_list(data["tags"])
        if len(tags) > Reply.TAGS_MAX:
            problems.append(("tags", _("At most %(n)d tags.") % {"n": Reply.TAGS_MAX}))
        elif any(len(t) > Reply.TAG_MAX for t in tags):
            problems.append(("tags", _("A tag is longer than %(n)d characters.")
                             % {"n": Reply.TAG_MAX}))
    if "questions" in data:
        raw = data["questions"]
        out["questions"] = qs = (split_list(raw) if isinstance(raw, list | tuple)
                                 else split_list(raw, re.compile(r"[\n|]")))
        if len(qs) > Reply.QUESTIONS_MAX:
            problems.append(("questions", _("At most %(n)d example questions.")
                             % {"n": Reply.QUESTIONS_MAX}))
        elif any(len(q) > Reply.QUESTION_MAX for q in qs):
            problems.append(("questions", _("An example question is longer than %(n)d "
                                            "characters.") % {"n": Reply.QUESTION_MAX}))
    return out, problems


def clean_or_raise(data: dict[str, Any]) -> dict[str, Any]:
    cleaned, problems = clean_reply_fields(data)
    if problems:
        field, message = problems[0]
        raise KefuError(message, field=field)
    return cleaned


def clean_category_name(name: Any) -> str:
    name = normalize_text(name)
    if not name or len(name) > Category.NAME_MAX:
        raise KefuError(_("A category name must be 1 to %(n)d characters.")
                        % {"n": Category.NAME_MAX}, field="name")
    if "/" in name:
        raise KefuError(_("A category name cannot contain /."), field="name")
    return name
