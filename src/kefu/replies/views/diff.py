"""Inline differences between two versions of a reply, for the history and conflict pages.

difflib compares lines first and then the characters of changed lines, so a long reply
stays fast and a one-character change in Chinese text (no spaces to split words on) is
marked precisely. The result is a list of (op, text) segments; the template escapes the
text and wraps it in <ins>/<del>, so no HTML is ever built from reply content here.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from django.utils.translation import gettext_lazy as _

Segment = tuple[str, str]  # ("equal" | "insert" | "delete", text)

# Beyond this many characters per changed block, mark whole lines instead of characters.
CHAR_DIFF_LIMIT = 4000
# A run of at most this many unchanged characters between two changes is shown as changed,
# so "48" -> "24" reads as one replacement instead of +2, =4, -8.
SHORT_EQUAL = 2

FIELD_LABELS = {
    "title": _("Title"), "body": _("Reply text"), "category": _("Category"),
    "shortcut": _("Shortcut code"), "tags": _("Tags"), "questions": _("Example questions"),
    "key": _("Key (编号)"), "is_active": _("Active"),
}


def _chars(a: str, b: str) -> list[Segment]:
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            out.append(("delete", a[i1:i2]))
        if op in ("insert", "replace"):
            out.append(("insert", b[j1:j2]))
    return out


def text_diff(old: str, new: str) -> list[Segment]:
    """Segments turning ``old`` into ``new``; adjacent segments of one kind are merged."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            out.append(("equal", left))
        elif op == "replace" and len(left) + len(right) <= CHAR_DIFF_LIMIT:
            out.extend(_chars(left, right))
        else:
            if left:
                out.append(("delete", left))
            if right:
                out.append(("insert", right))
    return _tidy([seg for seg in out if seg[1]])


def _tidy(segments: list[Segment]) -> list[Segment]:
    """Fold short equalities between changes into them, and show each run of changes as
    one deletion followed by one insertion."""
    out: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(("delete", "".join(deleted)))
        if inserted:
            out.append(("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for i, (op, text) in enumerate(segments):
        if op == "delete":
            deleted.append(text)
        elif op == "insert":
            inserted.append(text)
        elif (deleted or inserted) and i + 1 < len(segments) and len(text) <= SHORT_EQUAL:
            deleted.append(text)
            inserted.append(text)
        else:
            flush()
            if out and out[-1][0] == "equal":
                out[-1] = ("equal", out[-1][1] + text)
            else:
                out.append((op, text))
    flush()
    return out


@dataclass
class FieldDiff:
    name: str
    label: Any
    segments: list[Segment]
    changed: bool


@dataclass
class FieldDiffs:
    changed: list[FieldDiff]
    unchanged: list[FieldDiff]


def field_diffs(old: dict[str, str], new: dict[str, str]) -> FieldDiffs:
    """Each field present in either, in FIELD_LABELS order, split into changed/unchanged."""
    out = FieldDiffs([], [])
    for name, label in FIELD_LABELS.items():
        if name not in old and name not in new:
            continue
        a, b = old.get(name, ""), new.get(name, "")
        diff = FieldDiff(name, label, text_diff(a, b), a != b)
        (out.changed if diff.changed else out.unchanged).append(diff)
    return out
