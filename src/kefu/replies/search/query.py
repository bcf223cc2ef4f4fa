"""Reading a query as pinyin: atoms, candidate keys and the matcher.

A term like ``退kuan`` or ``thh`` is a sequence of *atoms*: Chinese characters and runs of
latin letters/digits. It matches consecutive characters of a field when every Chinese atom
matches one character (the same one; or, for typo passes, one that sounds the same) and
every latin run splits into pieces, one per character: a whole reading, its initial (t, zh),
or — only at the very end — an unfinished reading: ``tuikuan`` = tui+kuan, ``tuik`` =
tui+k, ``thh`` = t+h+h, ``zhangq`` = zhang+q. A latin letter or digit in the field reads as
itself, so ``xl`` finds "XL码". Candidates come from the pinyin-token pairs of every way the
term splits into such units (``unit_chains``); the matcher then checks each candidate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kefu.replies.search.index import LETTER_BASE, Vocabulary
from kefu.replies.search.text import fuzzy_key, is_han, readings, syllable_prefixes, syllables

EXACT, HOMOPHONE, FUZZY = 0, 1, 2
_ATOM_RE = re.compile(r"[a-z0-9]+|.", re.S)
_CANNOT_START = frozenset("iuv")


@dataclass(frozen=True)
class Atoms:
    items: tuple[str, ...]  # each a Chinese character or a latin/digit run

    @property
    def has_latin(self) -> bool:
        return any(not _han(a) for a in self.items)


def _han(atom: str) -> bool:
    return len(atom) == 1 and is_han(atom)


def parse_atoms(term: str) -> Atoms | None:
    """Atoms of a folded term, or None when it cannot be pinyin (punctuation, /codes...)."""
    items = tuple(_ATOM_RE.findall(term))
    for a in items:
        if len(a) == 1 and not (is_han(a) or (a.isascii() and a.isalnum())):
            return None
    return Atoms(items) if items else None


@functools.cache
def _maximal(piece: str) -> bool:
    """A complete syllable no longer syllable starts with (tui yes, kuan no: kuang)."""
    return piece in syllables() and not any(
        s != piece and s.startswith(piece) for s in syllables())


def field_readings(ch: str) -> tuple[str, ...]:
    return readings(ch) or ((ch,) if ch.isascii() and ch.isalnum() else ())


def _letter(ch: str) -> int:
    return LETTER_BASE + ord(ch)


def _han_tokens(ch: str, vocab: Vocabulary, mode: int) -> set[int]:
    rds = readings(ch)
    if mode == FUZZY:  # every syllable that sounds alike (zhang: zhang, zang, zhan, zan)
        groups = _fuzzy_groups()
        return {vocab.syllable_ids[x] for r in rds for x in groups.get(fuzzy_key(r), ())
                if x in vocab.syllable_ids}
    return {vocab.syllable_ids[r] for r in rds if r in vocab.syllable_ids}


@functools.cache
def _fuzzy_groups() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for syl in syllables():
        groups.setdefault(fuzzy_key(syl), set()).add(syl)
    return {k: frozenset(v) for k, v in groups.items()}


MAX_CHAINS = 24  # segmentations explored
MAX_KEPT = 8  # the fewest-unit ones kept: whole syllables before initials


def _run_units(run: str, vocab: Vocabulary, mode: int) -> list[list[frozenset[int]]]:
    """Ways a latin/digit run splits into units as the matcher reads them (whole readings,
    initials, a final unfinished reading), each unit as the pinyin tokens it must carry."""
    sylls, prefixes = syllables(), syllable_prefixes()
    out: list[list[frozenset[int]]] = []

    def unit_tokens(u: str, final: bool) -> frozenset[int] | None:
        if u.isdigit() or not u.isalpha():
            return frozenset({_letter(u)}) if len(u) == 1 else None
        if final and u in prefixes:
            if u in sylls and _maximal(u) and mode == EXACT:
                return frozenset({vocab.syllable_ids[u]})
            return frozenset({_letter(u[0])})
        if u in sylls and len(u) > 1:
            if mode == FUZZY:
                group = _fuzzy_groups().get(fuzzy_key(u), frozenset({u}))
                return frozenset(vocab.syllable_ids[x] for x in group if x in vocab.syllable_ids)
            return frozenset({vocab.syllable_ids[u]})
        if (len(u) == 1 and u not in _CANNOT_START) or u in ("zh", "ch", "sh"):
            return frozenset({_letter(u[0])})
        return None

    def walk(pos: int, acc: list[frozenset[int]]) -> None:
        if len(out) >= MAX_CHAINS:
            return
        if pos == len(run):
            out.append(list(acc))
            return
        for length in range(min(6, len(run) - pos), 0, -1):
            toks = unit_tokens(run[pos:pos + length], pos + length == len(run))
            if toks:
                acc.append(toks)
                walk(pos + length, acc)
                acc.pop()

    walk(0, [])
    return out


@functools.lru_cache(maxsize=4096)
def unit_chains(atoms: Atoms, vocab: Vocabulary, mode: int = EXACT
                ) -> list[list[frozenset[int]]]:
    """Every reading of the term as a chain of units (token sets), fewest units first."""
    chains: list[list[frozenset[int]]] = [[]]
    for atom in atoms.items:
        if _han(atom):
            options = [[frozenset(_han_tokens(atom, vocab, mode))]]
        else:
            options = _run_units(atom, vocab, mode)
        chains = [c + o for c in chains for o in options][:MAX_CHAINS]
        if not chains:
            return []
    return sorted(chains, key=len)[:MAX_KEPT]


@functools.lru_cache(maxsize=1 << 16)
def _han_matches(q: str, ch: str, mode: int) -> bool:
    if q == ch:
        return True
    if mode == EXACT:
        return False
    qr, cr = readings(q), readings(ch)
    if mode == HOMOPHONE:
        return bool(set(qr) & set(cr))
    return bool({fuzzy_key(r) for r in qr} & {fuzzy_key(r) for r in cr})


@functools.lru_cache(maxsize=1 << 16)
def _steps(rest: str, ch: str, mode: int) -> tuple[int, ...]:
    """How many letters of ``rest`` the field character ``ch`` can take: a whole reading, its
    initial (t, zh), or — only at the very end of the query — a reading's unfinished start.
    ``len(rest)`` in the list means the run is used up."""
    out: list[int] = []
    for r in field_readings(ch):
        if rest.startswith(r):
            out.append(len(r))
        elif len(rest) < len(r) and r.startswith(rest):
            out.append(len(rest))
        if rest[0] == r[0]:
            out.append(1)
            if len(r) > 2 and r[1] == "h" and rest[:2] == r[:2]:
                out.append(2)
        if mode == FUZZY:
            key = fuzzy_key(r)
            for k in range(2, min(len(rest), 6) + 1):
                if rest[:k] in syllables() and fuzzy_key(rest[:k]) == key:
                    out.append(k)
    return tuple(out)


def match_span(atoms: Atoms, text: str, mode: int = EXACT, only_start: bool = False
               ) -> tuple[int, int] | None:
    """The first (start, end) character span of ``text`` matching the atoms, or None."""
    items = atoms.items
    first = items[0]
    han = _han(first)
    starts = range(1) if only_start else range(len(text))
    for start in starts:
        ch = text[start] if start < len(text) else ""
        if not ch or (han and not _han_matches(first, ch, mode)) or (
                not han and not _steps(first, ch, mode)):
            continue  # cheap rejection before the search
        end = _match_from(items, text, start, mode)
        if end is not None:
            return start, end
    return None


def _match_from(items: tuple[str, ...], text: str, start: int, mode: int) -> int | None:
    """End of a match starting at ``start``, or None. Walks the text one character at a
    time keeping the set of (atom, offset in its latin run) states still alive: with whole
    readings, initials and a final unfinished reading there are rarely more than three."""
    last = len(items)
    states = {(0, 0)}
    for pos in range(start, len(text)):
        ch = text[pos]
        nxt: set[tuple[int, int]] = set()
        for ai, off in states:
            atom = items[ai]
            if off == 0 and len(atom) == 1 and _han_atom(atom):
                if _han_matches(atom, ch, mode):
                    if ai + 1 == last:
                        return pos + 1
                    nxt.add((ai + 1, 0))
                continue
            rest = atom[off:] if off else atom
            for k in _steps(rest, ch, mode):
                if k == len(rest):
                    if ai + 1 == last:
                        return pos + 1
                    nxt.add((ai + 1, 0))
                else:
                    nxt.add((ai, off + k))
        if not nxt:
            return None
        states = nxt
    return None


@functools.lru_cache(maxsize=4096)
def _han_atom(atom: str) -> bool:
    return is_han(atom)
