"""Reading a query as pinyin: atoms, candidate keys and the matcher.

A term like ``退kuan`` or ``thh`` is a sequence of *atoms*: Chinese characters and runs of
latin letters/digits. It matches consecutive characters of a field when every Chinese atom
matches one character (the same one; or, for typo passes, one that sounds the same) and
every latin run splits into pieces, one per character: a whole reading, its initial (t, zh),
or — only at the very end — an unfinished reading: ``tuikuan`` = tui+kuan, ``tuik`` =
tui+k, ``thh`` = t+h+h, ``zhangq`` = zhang+q. A latin letter or digit in the field reads as
itself, so ``xl`` finds "XL码". ``unit_chains`` lists the ways the term splits into such
units, each unit as the pinyin tokens a character may carry (an unfinished ``ku``: every
syllable starting with ku) and, for a 汉字 typed in mixed input, that very character.
search/pinyin.py matches the chains against positional postings.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from kefu.replies.search.index import LETTER_BASE, Vocabulary
from kefu.replies.search.text import fuzzy_key, is_han, readings, syllable_prefixes, syllables

EXACT, HOMOPHONE, FUZZY = 0, 1, 2
_ATOM_RE = re.compile(r"[a-z0-9]+|.", re.S)
_LATIN_RE = re.compile(r"[a-z0-9]")
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


def latin_atoms(term: str) -> Atoms | None:
    """Atoms of a term with latin letters or digits that can be pinyin, else None: most
    terms are 汉字 alone, and the test spares them the parse."""
    if _LATIN_RE.search(term) is None:
        return None
    atoms = parse_atoms(term)
    return atoms if atoms is not None and atoms.has_latin else None


@functools.cache
def _maximal(piece: str) -> bool:
    """A complete syllable no longer syllable starts with (tui yes, kuan no: kuang)."""
    return piece in syllables() and not any(
        s != piece and s.startswith(piece) for s in syllables())


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


class Unit(NamedTuple):
    """What one character of the field must be: one of ``tokens``, and pass ``check``."""

    tokens: frozenset[int]
    check: str | None = None  # the 汉字 itself, for mixed input


Chain = tuple[Unit, ...]

MAX_CHAINS = 24  # segmentations explored
MAX_KEPT = 8  # the fewest-unit ones kept: whole syllables before initials


def _letters(u: str, vocab: Vocabulary) -> Unit:
    """An initial or an unfinished reading: the token of its letter, or (zh, kua) every
    syllable that starts with it."""
    if len(u) == 1:
        return Unit(frozenset({_letter(u)}))
    return Unit(frozenset(vocab.syllable_ids[s] for s in _starting(u)
                          if s in vocab.syllable_ids))


@functools.cache
def _starting(prefix: str) -> frozenset[str]:
    return frozenset(s for s in syllables() if s.startswith(prefix))


def _run_units(run: str, vocab: Vocabulary, mode: int) -> list[list[Unit]]:
    """Ways a latin/digit run splits into units as the matcher reads them (whole readings,
    initials, a final unfinished reading), depth first, longer pieces first, at most
    MAX_CHAINS. Each place's pieces are read once, and a piece after which the rest of
    the run cannot split is not followed: garbled input (tuikuandao3qx) has many."""
    n = len(run)
    known = _units(vocab, mode)
    if len(known) > UNITS_KEPT:  # garbled input adds pieces no reading has
        known.clear()
    options: list[list[tuple[int, Unit]]] = [[] for _ in range(n)]
    for pos in range(n):
        for end in range(min(pos + 6, n), pos, -1):
            key = (run[pos:end], end == n)
            unit = known.get(key, _UNKNOWN)
            if unit is _UNKNOWN:
                unit = known[key] = _unit(key[0], key[1], vocab, mode)
            if unit is not None:
                options[pos].append((end, unit))
    splits = [False] * n + [True]  # whether run[pos:] splits into units
    for pos in range(n - 1, -1, -1):
        options[pos] = [(end, unit) for end, unit in options[pos] if splits[end]]
        splits[pos] = bool(options[pos])
    out: list[list[Unit]] = []

    def walk(pos: int, acc: list[Unit]) -> None:
        if pos == n:
            out.append(list(acc))
            return
        for end, unit in options[pos]:
            if len(out) >= MAX_CHAINS:
                return
            acc.append(unit)
            walk(end, acc)
            acc.pop()

    if splits[0]:
        walk(0, [])
    return out


UNITS_KEPT = 1 << 14
_UNKNOWN = Unit(frozenset())


@functools.cache
def _units(vocab: Vocabulary, mode: int) -> dict[tuple[str, bool], Unit | None]:
    """The units of pieces met so far (``_unit``), by piece and whether it ends the run."""
    return {}


def _unit(u: str, final: bool, vocab: Vocabulary, mode: int) -> Unit | None:
    """The unit a piece of a latin run reads as (``final``: at the run's end), or None.
    Kept (``_units``) apart from ``unit_chains``: a query typed for the first time splits
    into pieces met before (tuikuandao: tui, kuan, dao, t, k...). Built anew for every
    query, they made most of the 80 µs its chains took the first time (now ~25 µs)."""
    sylls, prefixes = syllables(), syllable_prefixes()

    def group(u: str) -> frozenset[int]:
        names = _fuzzy_groups().get(fuzzy_key(u), frozenset({u})) if mode == FUZZY else {u}
        return frozenset(vocab.syllable_ids[x] for x in names if x in vocab.syllable_ids)

    if u.isdigit() or not u.isalpha():
        return Unit(frozenset({_letter(u)})) if len(u) == 1 else None
    if final and u in prefixes:
        if u in sylls and _maximal(u) and mode == EXACT:
            return Unit(group(u))
        if mode == FUZZY and u in sylls and len(u) > 1:
            # finished or not: a reading starting with it, or one sounding like it
            return Unit(group(u) | _letters(u, vocab).tokens)
        return _letters(u, vocab)
    if u in sylls and len(u) > 1:
        return Unit(group(u))
    if (len(u) == 1 and u not in _CANNOT_START) or u in ("zh", "ch", "sh"):
        return _letters(u, vocab)
    return None


@functools.lru_cache(maxsize=4096)
def unit_chains(atoms: Atoms, vocab: Vocabulary, mode: int = EXACT) -> list[Chain]:
    """Every reading of the term as a chain of units, fewest units first."""
    chains: list[list[Unit]] = [[]]
    for atom in atoms.items:
        if _han(atom):
            # The same character; for typo passes any that sounds the same (or alike).
            check = atom if mode == EXACT else None
            options = [[Unit(frozenset(_han_tokens(atom, vocab, mode)), check)]]
        else:
            options = _run_units(atom, vocab, mode)
        chains = [c + o for c in chains for o in options][:MAX_CHAINS]
        if not chains:
            return []
    return [tuple(c) for c in sorted(chains, key=len)[:MAX_KEPT]]
