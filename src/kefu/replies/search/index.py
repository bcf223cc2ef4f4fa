"""The in-memory search index of one organization.

Documents are the organization's live, active replies. Every document has a number; an
edited reply gets a new number (the old one is marked dead) and its keys go to the
postings' small ``delta`` dicts until the next rebuild. Usage is kept as a time-decayed sum
in log space, ``team[doc] = log Σ exp((t_use − T0)/τ)``: adding a use is one ``logaddexp``
and the ranking order never needs recomputing as time passes.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

import numpy as np

from kefu.replies.libraryset import LibraryMasks
from kefu.replies.search._sorted import with_char
from kefu.replies.search.build import (
    FIELD_MAX,
    POS_BITS,
    TAGS_AT,
    char_gram_keys,
    fold_many,
    pinyin_keys,
    release_memory,
)
from kefu.replies.search.keys import KEYS_VERSION, search_keys_for, tags_text
from kefu.replies.search.lookups import CodeMap, DocMap
from kefu.replies.search.postings import Postings
from kefu.replies.search.rank import StaticRank
from kefu.replies.search.text import readings
from kefu.replies.search.texts import Texts, own_copy

T0 = 1_700_000_000.0  # fixed epoch for decayed usage sums
HALF_LIFE_DAYS = 30.0
TAU = HALF_LIFE_DAYS * 86400 / math.log(2)
USAGE_REFRESH = 60 / TAU  # OrgIndex.usage_now: a minute
SEP = "\x00"
LETTER_BASE = 1024  # pinyin tokens: syllables 1..~420, literal letters/digits 1024+ord
TOKEN_BITS = 11


def gram_key(a: int, b: int = 0) -> int:
    return (a << 21) | b


class Vocabulary:
    """Syllable ids and per-character pinyin tokens, shared by every index of a process."""

    def __init__(self) -> None:
        from kefu.replies.search.text import syllables

        self.syllable_ids = {s: i + 1 for i, s in enumerate(sorted(syllables()))}
        self.char_tokens: dict[str, tuple[int, ...]] = {}
        self.lock = threading.Lock()

    def tokens(self, ch: str, stored: str | None = None) -> tuple[int, ...]:
        """Pinyin tokens of one folded character: its syllables and their first letters;
        a latin letter or digit stands for itself."""
        found = self.char_tokens.get(ch)
        if found is not None:
            return found
        if stored is not None and stored != "_":
            rds: tuple[str, ...] = tuple(stored.split("/"))
        else:
            rds = readings(ch)
        if rds:
            syl = [self.syllable_ids[r] for r in rds if r in self.syllable_ids]
            letters = [LETTER_BASE + ord(r[0]) for r in rds]
            toks = tuple(dict.fromkeys(syl + letters))
        elif ch.isascii() and ch.isalnum():
            toks = (LETTER_BASE + ord(ch),)
        else:
            toks = ()
        with self.lock:
            self.char_tokens[ch] = toks
        return toks


VOCAB: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    global VOCAB
    if VOCAB is None:
        VOCAB = Vocabulary()
    return VOCAB


def token_occurrences(text: str, stored: str | None, vocab: Vocabulary, doc: int, at: int
                      ) -> dict[int, list[int]]:
    """One text's pinyin token unigram/pair keys with their occurrences (as build.pinyin_keys
    makes them)."""
    parts = stored.split(" ") if stored is not None else None
    if parts is not None and len(parts) != len(text):
        parts = None  # stored keys from another folding: recompute
    text = text[:FIELD_MAX]
    toks = [vocab.tokens(ch, parts[i] if parts else None) for i, ch in enumerate(text)]
    occ: dict[int, list[int]] = {}
    for i, here in enumerate(toks):
        where = (doc << POS_BITS) | (at + i)
        nxt = toks[i + 1] if i + 1 < len(toks) else ()
        for a in here:
            keys = [a << TOKEN_BITS] + [(a << TOKEN_BITS) | b for b in nxt]
            for key in keys:
                occ.setdefault(key, []).append(where)
    return occ


class Folded(NamedTuple):
    titles: list[str]
    bodies: list[str]
    tags: list[str]
    shorts: list[str]


class OrgIndex(LibraryMasks):
    """Everything search needs of one organization, in memory."""

    def __init__(self, org_id: int) -> None:
        self.org_id = org_id
        self.lock = threading.RLock()
        self.vocab = vocabulary()
        self.built_at = time.time()
        self.read_at = 0.0  # when the rows it was built from were read (registry)
        self._usage = np.empty(0, np.float64)  # usage_now's values, as of _usage_at
        self._usage_at = 0.0
        self.last_used = time.monotonic()
        self._init_libraries()
        # per document: folded texts (with the originals for what results show)
        self.ftitle = Texts(keep_originals=True)
        self.fbody = Texts(keep_originals=True)
        self.fshort = Texts()  # shortcut, key, tags, example questions
        self.shortcut = Texts()
        self.key = Texts()
        self.category: list[list[str]] = []
        self._paths: dict[tuple[str, ...], list[str]] = {}
        self.capacity = 0
        self.n = 0
        self.reply_id: np.ndarray = np.empty(0, np.int64)
        self.lib = np.empty(0, np.int32)
        self.cat = np.empty(0, np.int64)
        self.topcat = np.empty(0, np.int64)
        self.alive = np.empty(0, bool)
        self.team = np.empty(0, np.float64)
        self.updated = np.empty(0, np.float64)
        # Static ranking key: team usage (its order never changes as time passes), recency.
        self.prior = np.empty(0, np.float64)
        # Folded title and tags characters of every document in one flat array, for checks
        # on many documents at once (is the character at this position 退?).
        self.codes = np.empty(0, np.uint16)  # uint32 once a character needs it
        self.codes_n = 0
        self.title_off = np.empty(0, np.int64)
        self.tags_off = np.empty(0, np.int64)
        self.version = 0  # bumped whenever a document appears or disappears
        self.rank = StaticRank()  # documents numbered by usage at the build (rank.py)
        # lookups
        self.doc_of = DocMap()  # reply id -> live doc
        self.by_shortcut = CodeMap(self.shortcut)  # folded shortcut -> its documents
        self.by_key = CodeMap(self.key)
        self.own: dict[int, dict[int, float]] = {}  # member -> reply id -> uses
        # member -> (version, usage epoch, doc -> uses, their docs sorted)
        self._own_docs: dict[int, tuple[int, int, dict[int, float], np.ndarray]] = {}
        self.dead = 0
        self.usage_epoch = 0
        # postings
        self.title_grams = self.title_start = self.short_grams = self.body_grams = \
            Postings.build(np.empty(0, np.uint64), np.empty(0, np.uint64))
        self.pinyin = self.pinyin_start = self.title_grams

    # --- building ------------------------------------------------------------------

    def _grow(self, need: int) -> None:
        if need <= self.capacity:
            return
        cap = max(need, int(self.capacity * 1.5) + 64)
        for name, fill in (("reply_id", 0), ("lib", 0), ("cat", 0), ("topcat", 0), ("alive", False),
                           ("team", -np.inf), ("updated", 0.0), ("prior", -1e9),
                           ("title_off", 0), ("tags_off", 0)):
            old = getattr(self, name)
            new = np.full(cap, fill, dtype=old.dtype)
            new[: old.size] = old
            setattr(self, name, new)
        self.capacity = cap

    def doc_count(self) -> int:
        return self.n  # reply_id has room for more

    def title(self, doc: int) -> str:
        return self.ftitle.original(doc)

    def body(self, doc: int) -> str:
        return self.fbody.original(doc)

    def _append_many(self, rows: list[dict[str, Any]], order: list[int] | None = None,
                     usage: tuple[np.ndarray, np.ndarray] | None = None
                     ) -> tuple[range, Folded]:
        """Add documents for rows, in ``order`` if given (positions in ``rows``); returns
        their numbers and their folded texts (for the postings; tags are kept in ``codes``
        only). Text work is batched. ``usage``: the rows' team scores and edit times in
        that order, if already computed (``_usage``).

        Each field is read from the rows in their own order and only then put in
        ``order``: the rows lie in memory in the order they were loaded, and reading 100k
        of them in another order cost 0.3 s more of cache misses."""
        first, count = self.n, len(rows)
        self._grow(first + count)

        def col(values: list[Any]) -> list[Any]:
            return values if order is None else [values[i] for i in order]

        titles = col([r["title"] for r in rows])
        bodies = col([r["body"] for r in rows])
        tags = col([tags_text(r.get("tags")) for r in rows])
        shortcuts = col([r.get("shortcut") or "" for r in rows])
        keys = col([r.get("key") or "" for r in rows])
        questions = col([SEP.join(r.get("questions") or ()) for r in rows])
        shorts = [SEP.join(parts) for parts in zip(shortcuts, keys, tags, questions,
                                                   strict=True)]
        folded = Folded(fold_many(titles), fold_many(bodies),
                        fold_many(tags), fold_many(shorts))
        self.ftitle.extend(folded.titles, titles)
        self.fbody.extend(folded.bodies, bodies)
        self._append_codes(first, folded.titles, folded.tags)
        self.fshort.extend(folded.shorts)
        self.shortcut.extend(shortcuts)
        self.key.extend(keys)
        paths = self._paths
        for path in col([tuple(r.get("category_path") or ()) for r in rows]):
            names = paths.get(path)
            if names is None:  # copies: a row's string would pin its memory (texts.py)
                names = [own_copy(name) for name in path]
                paths[tuple(names)] = names
            self.category.append(names)
        sl = slice(first, first + count)
        self.reply_id[sl] = col([r["id"] for r in rows])
        lib_index = self.lib_index
        self.lib[sl] = col([lib_index.get(r["library_id"], -1) for r in rows])
        self.cat[sl] = col([r.get("category_id") or 0 for r in rows])
        self.topcat[sl] = col([r.get("top_category_id") or r.get("category_id") or 0
                               for r in rows])
        self.alive[sl] = True
        self.team[sl], self.updated[sl] = usage if usage is not None else _usage(rows)
        self.n += count
        self._set_prior(sl)
        self.version += 1
        docs = range(first, first + count)
        self.doc_of.add(self.reply_id[sl], np.arange(first, first + count, dtype=np.int32))
        self.by_shortcut.add(fold_many(shortcuts), first)
        self.by_key.add(fold_many(keys), first)
        return docs, folded

    def _append_codes(self, first: int, titles: list[str], tags: list[str]) -> None:
        joined = "".join(t + g for t, g in zip(titles, tags, strict=True))
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        tl = np.fromiter(map(len, titles), dtype=np.int64, count=len(titles))
        gl = np.fromiter(map(len, tags), dtype=np.int64, count=len(tags))
        starts = np.zeros(len(titles), dtype=np.int64)
        np.cumsum((tl + gl)[:-1], out=starts[1:])
        starts += self.codes_n
        sl = slice(first, first + len(titles))
        self.title_off[sl] = starts
        self.tags_off[sl] = starts + tl
        end = self.codes_n + codes.size
        wide = codes.size and int(codes.max()) >= 1 << 16 and self.codes.dtype == np.uint16
        if end > self.codes.size or wide:
            grown = np.zeros(max(end, int(self.codes.size * 1.5) + 1024),
                             dtype=np.uint32 if wide else self.codes.dtype)
            grown[: self.codes_n] = self.codes[: self.codes_n]
            self.codes = grown
        self.codes[self.codes_n:end] = codes
        self.codes_n = end

    def with_char(self, occ: np.ndarray, offset: int, char: str) -> np.ndarray:
        """Those of the pinyin occurrences whose folded character ``offset`` places on is
        ``char`` (the 汉字 typed in mixed input)."""
        return with_char(occ, offset, ord(char), self.title_off, self.tags_off, self.codes,
                         POS_BITS, TAGS_AT)

    def _set_prior(self, sl: slice) -> None:
        self.prior[sl] = _prior(self.team[sl], self.updated[sl])
        if sl.stop <= self._usage.size:  # a use: its document's usage now
            self._usage[sl] = _decayed(self.team[sl], self.updated[sl], self._usage_at)
        if self.rank.ranked:  # after a build: a use, an edit or a new reply
            for doc, prior in enumerate(self.prior[sl].tolist(), start=sl.start):
                self.rank.note(doc, prior)

    def _append(self, row: dict[str, Any]) -> tuple[int, str]:
        docs, folded = self._append_many([row])
        return docs[0], folded.tags[0]

    def build(self, rows: list[dict[str, Any]]) -> None:
        """Fill an empty index from rows (see registry.load_rows for their shape),
        numbering them most used first (rank.py)."""
        team, updated = _usage(rows)
        order = StaticRank.order(_prior(team, updated))
        positions = order.tolist()
        _docs, folded = self._append_many(rows, positions, (team[order], updated[order]))
        self.rank.built(self.prior[: self.n])
        stored = [_stored_keys(r) for r in rows]  # read in the rows' order (_append_many)
        self._build_postings([stored[i] for i in positions], folded)
        del folded
        self.built_at = time.time()
        release_memory()  # after the temporaries of _build_postings are gone

    def _build_postings(self, stored: list[tuple[str | None, str | None]], folded: Folded
                        ) -> None:
        """Postings of the documents just appended (all of them); ``stored``: their pinyin
        keys of title and tags as written with the reply (``_stored_keys``)."""
        def body_grams() -> Postings:
            keys, docs, _sk, _sd = char_gram_keys(folded.bodies, unigrams="tail")
            return Postings.build(keys, docs, n_docs=self.n)

        # The bodies' postings, the largest, on a second core: numpy lets go of the GIL
        # in its array work, so the two halves overlap.
        with ThreadPoolExecutor(1) as pool:
            bodies = pool.submit(body_grams)
            keys, docs, skeys, sdocs = char_gram_keys(folded.titles)
            self.title_grams = Postings.build(keys, docs)
            self.title_start = Postings.build(skeys, sdocs)
            keys, docs, _sk, _sd = char_gram_keys(folded.shorts)
            self.short_grams = Postings.build(keys, docs, n_docs=self.n)  # tags: shared
            del keys, docs
            self._build_pinyin_postings(stored, folded)
            self.body_grams = bodies.result()

    def _build_pinyin_postings(self, stored: list[tuple[str | None, str | None]],
                               folded: Folded) -> None:
        tk, td = pinyin_keys(folded.titles, [t for t, _g in stored], self.vocab)
        gk, gd = pinyin_keys(folded.tags, [g for _t, g in stored], self.vocab, at=TAGS_AT)
        self.pinyin = Postings.build(np.concatenate((tk, gk)), np.concatenate((td, gd)),
                                     value_bits=31)
        at_start = (td & ((1 << POS_BITS) - 1)) == 0
        self.pinyin_start = Postings.build(tk[at_start], td[at_start] >> POS_BITS)

    # --- incremental changes (from the event bus) -----------------------------------

    def remove(self, reply_id: int) -> None:
        with self.lock:
            doc = self.doc_of.pop(reply_id)
            if doc is not None and self.alive[doc]:
                self.alive[doc] = False
                self.dead += 1
                self.version += 1  # shortcut and key lookups skip dead documents

    def upsert(self, row: dict[str, Any]) -> None:
        """Index a new or changed reply (its keys go to the postings' delta)."""
        with self.lock:
            old = self.doc_of.get(row["id"])
            team = self.team[old] if old is not None else None
            self.remove(row["id"])
            if not row.get("is_active", True) or row.get("deleted_at"):
                return
            self.library_of_row(row)
            doc, ftags = self._append(row)
            if team is not None:
                self.team[doc] = team
                self._set_prior(slice(doc, doc + 1))
            keys = search_keys_for(row)
            for postings, text, unigrams in ((self.title_grams, self.ftitle.get(doc), "all"),
                                             (self.short_grams, self.fshort.get(doc), "all"),
                                             (self.body_grams, self.fbody.get(doc), "tail")):
                k, _d, sk, _sd = char_gram_keys([text], unigrams)
                postings.add({int(x) for x in k}, doc)
                if postings is self.title_grams:
                    self.title_start.add({int(x) for x in sk}, doc)
            o1 = token_occurrences(self.ftitle.get(doc), keys["t"], self.vocab, doc, 0)
            o2 = token_occurrences(ftags, keys["g"], self.vocab, doc, TAGS_AT)
            for key, where in o2.items():  # tags after the title: values stay sorted
                o1.setdefault(key, []).extend(where)
            self.pinyin.add_values(o1)
            self.pinyin_start.add({key for key, where in o1.items()
                                   if where[0] & ((1 << POS_BITS) - 1) == 0}, doc)

    def record_use(self, reply_id: int, member_id: int, at: float) -> None:
        with self.lock:
            doc = self.doc_of.get(reply_id)
            if doc is not None:
                self.team[doc] = np.logaddexp(self.team[doc], (at - T0) / TAU)
                self._set_prior(slice(doc, doc + 1))
            mine = self.own.get(member_id)
            if mine is not None:
                mine[reply_id] = mine.get(reply_id, 0.0) + 1.0
            self.usage_epoch += 1

    def usage_now(self, now_offset: float) -> np.ndarray:
        """Every document's team usage, decayed to about now: recomputed when a minute has
        passed (or documents were added), so a search gathers a few values instead of
        computing them. Time decays every document alike, so the order it gives never
        depends on when it was computed; only the shown scores move, by a minute's decay
        at most (under 0.003%)."""
        n, have = self.n, self._usage.size
        if now_offset - self._usage_at > USAGE_REFRESH:
            self._usage = _decayed(self.team[:n], self.updated[:n], now_offset)
            self._usage_at = now_offset
        elif have < n:  # replies added since
            added = _decayed(self.team[have:n], self.updated[have:n], self._usage_at)
            self._usage = np.concatenate((self._usage, added))
        return self._usage

    def own_docs(self, member_id: int) -> tuple[dict[int, float], np.ndarray]:
        """A member's own uses by live document, and those documents sorted: kept until
        replies come or go or someone uses one, not recomputed for every search."""
        found = self._own_docs.get(member_id)
        if found is not None and found[:2] == (self.version, self.usage_epoch):
            return found[2], found[3]
        own = self.own.get(member_id) or {}
        docs = self.doc_of.many(np.fromiter(own, dtype=np.int64, count=len(own)))
        live = docs >= 0
        uses = dict(zip(docs[live].tolist(), np.fromiter(own.values(), dtype=np.float64,
                                                         count=len(own))[live].tolist(),
                        strict=True))
        sorted_docs = np.sort(docs[live]).astype(np.int32)
        self._own_docs[member_id] = (self.version, self.usage_epoch, uses, sorted_docs)
        return uses, sorted_docs

    def needs_rebuild(self) -> bool:
        live = max(1, self.n - self.dead)
        appended = self.n - self.rank.ranked  # numbered in no usage order (rank.py)
        return (self.dead > 2000 or self.dead > live // 2
                or appended > max(2000, self.rank.ranked) or self.rank.stale())

    def nbytes(self) -> int:
        arrays = sum(p.nbytes() for p in (self.title_grams, self.title_start, self.short_grams,
                                           self.body_grams, self.pinyin, self.pinyin_start))
        return arrays + self.capacity * 53 + self.codes.nbytes


def initial_team_score(count: int, last_used: Any) -> float:
    """Seed the decayed sum from a reply's counters: all its uses at its last use (a
    slight overestimate for old uses, corrected as new uses arrive)."""
    if not count or last_used is None:
        return -math.inf
    return math.log(count) + (last_used.timestamp() - T0) / TAU


def _usage(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Team scores and edit times (seconds) of rows."""
    team = np.array([initial_team_score(r.get("usage_count") or 0, r.get("last_used_at"))
                     for r in rows], dtype=np.float64)
    updated = np.array([r["updated_at"].timestamp() if r.get("updated_at") else 0.0
                        for r in rows], dtype=np.float64)
    return team, updated


def _decayed(team: np.ndarray, updated: np.ndarray, now_offset: float) -> np.ndarray:
    """Team usage decayed to ``now_offset`` ((now - T0) / TAU), on the scale of search
    scores: log(1 + uses), plus recency of edit as a tie-breaker."""
    score = team - now_offset
    np.exp(score, out=score)
    np.log1p(score, out=score)
    score += updated * 1e-12
    return score


def _prior(team: np.ndarray, updated: np.ndarray) -> np.ndarray:
    """The static ranking key: team usage (its order never changes as time passes), then
    recency of edit."""
    return np.where(np.isfinite(team), team, -1e6) + updated * 1e-12


def _stored_keys(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The pinyin keys of title and tags stored with a reply, unless from an older version
    of keys.py (then the build computes them)."""
    keys = row.get("search_keys") or {}
    if keys.get("v") != KEYS_VERSION:
        return None, None
    return keys.get("t"), keys.get("g")
