# Types of the compiled text search in _texts.pyx.
from collections.abc import Container
from typing import Any

BLOCK_BITS: int

class TextFind:
    texts: Any  # texts.Texts
    term: str
    tier: float
    kind: str
    field: str
    prefix: bool
    shown: Any  # texts.Texts | None
    def __init__(self, texts: Any, term: str, tier: float, kind: str, field: str,
                 prefix: bool = False, shown: Any = None) -> None: ...
    def mark(self, doc: int, pos: int, title: list[tuple[int, int]],
             body: list[tuple[int, int]]) -> None: ...
    def find(self, doc: int) -> int: ...
    def first(self, docs: list[int], usages: list[float], want: int,
              skip: Container[int]) -> list[tuple[int, float, int]]: ...

def all_match(checks: list[list[Any]], doc: int, match_type: Any) -> Any: ...

class GapFind:
    texts: Any  # texts.Texts
    splits: list[tuple[str, str]]
    tier: float
    kind: str
    def __init__(self, texts: Any, splits: list[tuple[str, str]], tier: float,
                 kind: str) -> None: ...
    def find(self, doc: int) -> tuple[int, int] | None: ...
    def first(self, docs: list[int], usages: list[float], want: int,
              skip: Container[int]) -> list[tuple[int, float, tuple[int, int]]]: ...
