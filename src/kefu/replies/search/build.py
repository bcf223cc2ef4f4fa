"""Vectorised key extraction for building an index in one pass (numpy, no per-character
Python loops): character n-grams and pinyin-token n-grams with their document numbers."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from kefu.replies.search.text import fold_table

if TYPE_CHECKING:
    from kefu.replies.search.index import Vocabulary

SEP = "\x00"
BATCH_SEP = "\uffff"  # a Unicode non-character: never in replies, safe to split on
TOKEN_BITS = 11
U64 = np.uint64
# Trigram keys lie above every bigram key (code points end below 0x110000), so the bigrams
# of a character stay contiguous in key order (Postings.range_docs); and below 2**42, as
# Postings.build packs a key with 22 bits of document.
TRIGRAM_BASE = 0x110000 << 21
TRIGRAM = U64(TRIGRAM_BASE)
# Pinyin occurrences: document and position in 31 bits. Titles at positions 0..255, tags
# at 256..511, so one posting list serves both and a position tells the field.
POS_BITS = 9
TAGS_AT = 256
FIELD_MAX = 256


def _codes(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code points of all texts joined by \\x00 (and one at the end), the document of each
    position, and where each text starts."""
    n = len(texts)
    joined = SEP.join(texts) + SEP
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lens = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=n)
    doc_of = np.repeat(np.arange(n, dtype=np.uint32), lens)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    return codes, doc_of, starts


@functools.cache
def _fold_lookup() -> tuple[np.ndarray, dict[int, int]]:
    """text.fold's table as an array over the BMP, plus the few characters beyond it."""
    lut = np.arange(1 << 16, dtype=np.uint32)
    wide: dict[int, int] = {}
    for code, to in fold_table().items():
        if code < 1 << 16:
            lut[code] = to
        else:
            wide[code] = to
    return lut, wide


def fold_many(texts: list[str]) -> list[str]:
    """``text.fold`` of many strings at once, as one array lookup over their code points
    (``str.translate`` with a dict looks each character up in Python's dict: at 100k
    replies it took 0.9 s of a 4.5 s build)."""
    if not texts:
        return []
    lut, wide = _fold_lookup()
    codes = np.frombuffer(BATCH_SEP.join(texts).encode("utf-32-le"), dtype=np.uint32)
    bmp = codes < 1 << 16
    if bmp.all():
        folded = lut[codes]
    else:
        folded = codes.copy()
        folded[bmp] = lut[codes[bmp]]
        for i in np.flatnonzero(~bmp).tolist():
            folded[i] = wide.get(int(codes[i]), int(codes[i]))
    return folded.tobytes().decode("utf-32-le").split(BATCH_SEP)


def trigram_key(text: str) -> int | None:
    """The key of three folded ASCII letters or digits, None for any other three. (Called
    per query: string methods only, no loop in Python.)"""
    if len(text) == 3 and text.isascii() and text.isalnum() and \
            (text.islower() or text.isdigit()):
        a, b, c = text.encode()
        return TRIGRAM_BASE + (a << 14 | b << 7 | c)
    return None


def char_gram_keys(texts: list[str], unigrams: str = "all"
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unigram and bigram keys ``(a << 21) | b`` of every text, skipping whitespace and
    separators, trigram keys of ASCII letters and digits (``trigram_key``); plus the keys
    at each text's start.

    Bigrams make a poor filter for Latin text: every body with XXL holds the bigrams of
    "xxxl", and verifying thousands of them one by one to find no XXXL took 10 ms at 100k
    replies. Latin trigrams are few (sizes, model numbers, prices, shortcuts), so they
    cost little to index and settle such terms at once.

    ``unigrams="tail"`` keeps a character's unigram only where it starts no bigram (before
    whitespace or at the end): every occurrence is then under its unigram or under one of
    its ``(a, *)`` bigrams, which are contiguous in key order (see Postings.range_docs).
    Bodies are indexed so: their unigrams were half of all postings."""
    if not texts:
        e = np.empty(0, U64)
        return e, e, e, e
    codes, doc_of, starts = _codes(texts)
    ok = (codes > 32) & (codes != 0x3000)
    pair = ok[:-1] & ok[1:]
    if unigrams == "tail":
        uni = ok.copy()
        uni[:-1] &= ~pair
    else:
        uni = ok
    alnum = ((codes >= 0x61) & (codes <= 0x7A)) | ((codes >= 0x30) & (codes <= 0x39))
    tri = alnum[:-2] & alnum[1:-1] & alnum[2:]
    # One output array filled in place: the body of 100k replies has ~10M positions, and
    # each temporary copy of them costs more than the arithmetic.
    n_uni = int(np.count_nonzero(uni))
    n_bi = int(np.count_nonzero(pair))
    n_tri = int(np.count_nonzero(tri))
    keys = np.empty(n_uni + n_bi + n_tri, dtype=U64)
    docs = np.empty(n_uni + n_bi + n_tri, dtype=doc_of.dtype)
    keys[:n_uni] = codes[uni]
    docs[:n_uni] = doc_of[uni]
    grams = keys[: n_uni + n_bi]
    bi = keys[n_uni: n_uni + n_bi]
    bi[:] = codes[:-1][pair]
    np.left_shift(grams, U64(21), out=grams)
    np.bitwise_or(bi, codes[1:][pair], out=bi, casting="unsafe")
    docs[n_uni: n_uni + n_bi] = doc_of[:-1][pair]
    if n_tri:
        t = keys[n_uni + n_bi:]
        t[:] = codes[:-2][tri]
        for rest in (codes[1:-1][tri], codes[2:][tri]):
            np.left_shift(t, U64(7), out=t)
            np.bitwise_or(t, rest, out=t, casting="unsafe")
        t += TRIGRAM
        docs[n_uni + n_bi:] = doc_of[:-2][tri]
    first = codes[starts]
    second = codes[np.minimum(starts + 1, codes.size - 1)]
    has1 = (first > 32) & (first != 0x3000)
    has2 = has1 & (second > 32) & (second != 0x3000)
    ids = np.arange(len(texts), dtype=np.uint32)
    skeys = np.concatenate((first[has1].astype(U64) << U64(21),
                            (first[has2].astype(U64) << U64(21)) | second[has2].astype(U64)))
    sdocs = np.concatenate((ids[has1], ids[has2]))
    return keys, docs, skeys, sdocs


def token_table(texts: list[str], stored: list[str | None], codes: np.ndarray,
                vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct character, its pinyin tokens as a padded matrix (0 = none), taking the
    readings stored with each reply where they line up with the text."""
    aligned_text: list[str] = []
    aligned_parts: list[str] = []
    for text, readings in zip(texts, stored, strict=True):
        if readings is not None and readings.count(" ") + 1 == len(text) and text:
            aligned_text.append(text)
            aligned_parts.append(readings)
    readings_of = dict(zip("".join(aligned_text), " ".join(aligned_parts).split(" "),
                           strict=True)) if aligned_text else {}
    uniq, inverse = np.unique(codes, return_inverse=True)
    rows = [vocab.tokens(chr(c), readings_of.get(chr(c))) if c else () for c in uniq.tolist()]
    width = max((len(r) for r in rows), default=0) or 1
    table = np.zeros((len(rows), width), dtype=np.uint32)
    for i, toks in enumerate(rows):
        table[i, : len(toks)] = toks
    return table, inverse


def pinyin_keys(texts: list[str], stored: list[str | None], vocab: Vocabulary,
                at: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pinyin-token unigram and pair keys of every text with where they occur.

    Occurrences are ``doc << POS_BITS | at + position``: positions make a posting list
    answer "which documents have these tokens side by side here", so a query's chain of
    pinyin units is matched exactly by a few array lookups, with no per-document check.
    A field is indexed up to FIELD_MAX characters (titles are shorter; long tag lists lose
    their tail)."""
    if not texts:
        return np.empty(0, U64), np.empty(0, np.uint32)
    codes, doc_of, starts = _codes(texts)
    pos = np.arange(codes.size, dtype=np.int64) - starts[doc_of]
    occ = doc_of << np.uint32(POS_BITS)  # below 2**31: documents have 22 bits
    occ += (pos + at).astype(np.uint32)
    in_field = pos < FIELD_MAX
    table, inverse = token_table(texts, stored, codes, vocab)
    per_pos = table[inverse]  # positions × tokens; a row's tokens fill its first slots
    width = per_pos.shape[1]
    keys: list[np.ndarray] = []
    occs: list[np.ndarray] = []
    # Positions holding a k1-th token, narrowed as k1 grows (most characters have one or
    # two tokens, a few polyphones eight), and so their followers for k2: the work follows
    # the keys made. Masks over every position for each of the width² slot pairs took
    # twice as long (100k titles: 1.05 s against 0.50 s).
    # The separator ending the texts has no token, so ``live + 1`` stays in range.
    live = np.flatnonzero(in_field & (per_pos[:, 0] > 0))
    for k1 in range(width):
        if k1:
            live = live[per_pos[live, k1] > 0]
        if live.size == 0:
            break
        head = per_pos[live, k1].astype(U64)
        head <<= U64(TOKEN_BITS)
        keys.append(head)
        occs.append(occ[live])
        follow = np.flatnonzero(in_field[live + 1])  # indexes into live
        nxt = live[follow] + 1
        for k2 in range(width):
            b = per_pos[nxt, k2]
            keep = b > 0
            if not keep.all():
                follow, nxt, b = follow[keep], nxt[keep], b[keep]
            if follow.size == 0:
                break
            pair_keys = head[follow]
            np.bitwise_or(pair_keys, b, out=pair_keys, casting="unsafe")
            keys.append(pair_keys)
            occs.append(occ[nxt - 1])

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype)

    return cat(keys, U64), cat(occs, np.uint32)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def release_memory() -> None:
    """Hand freed memory back to the system. A build at 100k replies allocates and frees
    several hundred MB of temporaries; glibc keeps freed heap pages mapped unless asked
    (measured at 100k replies: the process grew by 327 MB without this, 208 MB with it)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
