"""An organization's libraries as the in-memory structures see them (the search index and
the suggestion model): which library each document belongs to, which libraries a member
may read, and the per-document mask that keeps everything else out of a ranking.

Both structures mix in :class:`LibraryMasks`; the rule for who reads what is
replies.access's (``can_read``), applied without a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kefu.replies.access import can_read

MAX_CACHED_MASKS = 64


@dataclass(frozen=True)
class LibraryInfo:
    id: int
    scope: str
    department_id: int | None
    owner_id: int | None


class LibraryMasks:
    """Mixed into a structure with one ``reply_id`` per document, per-document arrays
    ``alive`` and ``lib`` (position in ``libraries``, -1 unknown) and a ``version`` that
    changes whenever a document appears or disappears."""

    reply_id: Sequence[int] | np.ndarray
    alive: np.ndarray
    lib: np.ndarray
    version: int

    def doc_count(self) -> int:
        return len(self.reply_id)

    def _init_libraries(self) -> None:
        self.libraries: list[LibraryInfo] = []
        self.lib_index: dict[int, int] = {}
        self._masks: dict[frozenset[int], tuple[int, np.ndarray]] = {}

    def set_libraries(self, libs: list[LibraryInfo]) -> None:
        for lib in libs:
            if lib.id not in self.lib_index:
                self.lib_index[lib.id] = len(self.libraries)
                self.libraries.append(lib)

    def library_of_row(self, row: dict[str, Any]) -> None:
        """Learn the library a reply event carries (e.g. a personal library's first reply)."""
        lib = row.get("library")
        if isinstance(lib, dict) and lib["id"] not in self.lib_index:
            self.set_libraries([LibraryInfo(lib["id"], lib["scope"], lib["department_id"],
                                            lib["owner_id"])])

    def visible_library_ids(self, member: Any) -> frozenset[int]:
        """The libraries ``member`` may read, without a query."""
        depts = frozenset(member.department_ids())
        return frozenset(lib.id for lib in self.libraries
                         if can_read(member, lib.scope, lib.department_id, lib.owner_id, depts))

    def visibility_mask(self, library_ids: frozenset[int]) -> np.ndarray:
        """Per document: alive and in one of these libraries (cached per version)."""
        cached = self._masks.get(library_ids)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        vis = np.zeros(len(self.libraries) + 1, dtype=bool)  # last slot: unknown library
        for lib in self.libraries:
            vis[self.lib_index[lib.id]] = lib.id in library_ids
        count = self.doc_count()
        mask = self.alive[:count] & vis[self.lib[:count]]
        if len(self._masks) > MAX_CACHED_MASKS:
            self._masks.clear()
        self._masks[library_ids] = (self.version, mask)
        return mask
