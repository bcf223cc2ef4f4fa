"""Export: the replies of one or more libraries in the columns the importer reads, in library
order (categories by position, replies by position), so importing the file into an empty
organization rebuilds the same library.

What a spreadsheet cannot carry: empty categories (no row names them), images, usage counts
and the active flag. In .xlsx/.csv a tag containing a list separator (, ，、) or an example
question containing | is split on the way back in; .jsonl keeps lists exactly.
"""

from __future__ import annotations

from typing import Any

from kefu.replies.io.formats import write_rows
from kefu.replies.models import Library, Reply


def _order(reply: Reply) -> tuple[Any, ...]:
    cat = reply.category
    if cat is None:
        return (0, 0, 0, -1, 0, reply.position, reply.id)
    if cat.parent is None:  # replies directly under a first-level category come first in it
        return (1, cat.position, cat.id, -1, 0, reply.position, reply.id)
    top = cat.parent
    return (1, top.position, top.id, cat.position, cat.id, reply.position, reply.id)


def export_rows(libraries: list[Library]) -> list[dict[str, Any]]:
    """Rows for ``libraries`` in the given library order (deleted replies are left out)."""
    rank = {lib.id: i for i, lib in enumerate(libraries)}
    replies = list(Reply.objects.filter(library_id__in=list(rank), deleted_at__isnull=True)
                   .select_related("category__parent").defer("search_keys"))
    replies.sort(key=lambda r: (rank[r.library_id], *_order(r)))
    return [{"key": r.key, "title": r.title, "body": r.body, "category": r.category_path(),
             "shortcut": r.shortcut, "tags": list(r.tags), "questions": list(r.questions)}
            for r in replies]


def export_file(libraries: list[Library], fmt: str, english: bool = False) -> bytes:
    return write_rows(export_rows(libraries), fmt, english)
