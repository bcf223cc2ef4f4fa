"""The compiled operations on sorted lists (search/_sorted.pyx) against plain Python sets,
on seeded random lists of the shapes a search meets: empty, one element, a short list
against a long one (the galloping side), lists of equal length (the merge side), pinyin
occurrences. (Values shifted into occurrences, as pinyin chains look them up, are checked
through the chain matcher: test_search_chains_compiled.py.)"""

from __future__ import annotations

import random

import numpy as np
import pytest

from kefu.replies.search import _sorted as S
from kefu.replies.search.build import POS_BITS


def _sorted_list(rng: random.Random, size: int, top: int, dtype: type = np.int32
                 ) -> np.ndarray:
    return np.array(sorted(rng.sample(range(top), min(size, top))), dtype=dtype)


SHAPES = [(0, 10), (1, 1), (1, 5000), (7, 5000), (300, 400), (2000, 2500), (3000, 20)]


@pytest.mark.parametrize(("small", "large"), SHAPES)
def test_intersect_and_member_agree_with_sets(small: int, large: int):
    rng = random.Random(small * 7919 + large)
    for top in (small + large + 1, 4 * (small + large) + 1, 1 << 22):
        a, b = _sorted_list(rng, small, top), _sorted_list(rng, large, top)
        both = sorted(set(a.tolist()) & set(b.tolist()))
        for x, y in ((a, b), (b, a)):
            got = S.intersect(x, y)
            assert got.tolist() == both
            assert got.dtype == np.int32
            assert S.member(x, y).tolist() == [v in set(y.tolist()) for v in x.tolist()]


def test_other_dtypes_and_read_only_lists_are_read_as_they_are():
    a = np.array([1, 5, 9, 2**30], dtype=np.int64)
    b = np.array([5, 6, 2**30], dtype=np.int32)
    b.flags.writeable = False
    assert S.intersect(a, b).tolist() == [5, 2**30]
    assert S.member(a[::2], b).tolist() == [False, False]  # a strided view: 1 and 9
    assert S.union([a, b]).tolist() == [1, 5, 6, 9, 2**30]


def test_union_merges_sorted_lists_and_sorts_any_other():
    rng = random.Random(4)
    for count in range(6):
        lists = [_sorted_list(rng, rng.randrange(0, 50), 120) for _ in range(count)]
        expected = sorted(set().union(*(set(x.tolist()) for x in lists)))
        assert S.union(lists).tolist() == expected
    one = np.array([3, 4], dtype=np.int32)
    assert S.union([S.EMPTY, one, S.EMPTY]) is one  # the only list, as it is
    unsorted = [np.array([9, 2, 2, 5], dtype=np.int32), np.array([5, 1], dtype=np.int32)]
    assert S.union(unsorted).tolist() == [1, 2, 5, 9]


def test_firsts_keeps_each_documents_first_occurrence_and_its_chains_length():
    def occ(doc: int, pos: int) -> int:
        return doc << POS_BITS | pos

    two = np.array([occ(1, 3), occ(1, 5), occ(4, 0)], dtype=np.int32)
    three = np.array([occ(1, 3), occ(2, 7), occ(4, 1)], dtype=np.int32)
    docs, pos, length = S.firsts([two, three], [2, 3], POS_BITS)
    assert docs.tolist() == [1, 2, 4]
    assert pos.tolist() == [3, 7, 0]
    assert length.tolist() == [2, 3, 2]  # doc 1: both chains at 3, the first one's length
    docs, pos, length = S.firsts([three, two], [3, 2], POS_BITS)
    assert length.tolist() == [3, 3, 2]
    assert [a.tolist() for a in S.firsts([], [], POS_BITS)] == [[], [], []]


def test_where_pos_keeps_the_entries_in_a_range_of_positions():
    docs = np.array([1, 2, 4, 8], dtype=np.int32)
    pos = np.array([0, 256, 3, 0], dtype=np.int32)
    length = np.array([2, 2, 3, 1], dtype=np.int32)
    assert [a.tolist() for a in S.where_pos(docs, pos, length, 0, 1)] == \
        [[1, 8], [0, 0], [2, 1]]
    assert [a.tolist() for a in S.where_pos(docs, pos, length, 256, 512)] == [[2], [256], [2]]
    assert [a.tolist() for a in S.where_pos(docs, pos, length, 0, 512)] == \
        [docs.tolist(), pos.tolist(), length.tolist()]


def test_allowed_keeps_the_documents_the_mask_lets_through():
    mask = np.zeros(10, dtype=bool)
    mask[[1, 4, 9]] = True
    assert S.allowed(np.array([0, 1, 4, 5, 9], dtype=np.int32), mask).tolist() == [1, 4, 9]
    with pytest.raises(IndexError):  # never a read past the mask
        S.allowed(np.array([3, 10], dtype=np.int32), mask)


@pytest.mark.parametrize("n", [0, 1, 5, 64, 300])
def test_by_usage_orders_by_score_then_by_the_order_given(n: int):
    rng = random.Random(n)
    usage = np.array([rng.choice((0.5, 1.0, 2.0, 12.0)) for _ in range(400)])
    docs = _sorted_list(rng, n, 400)
    add = np.array([rng.choice((0.0, 1.5)) for _ in range(n)])
    for extra in (None, add):
        scores = [min(usage[d] + (0.0 if extra is None else extra[i]), 9.99)
                  for i, d in enumerate(docs.tolist())]
        expected = sorted(zip(docs.tolist(), scores, strict=True), key=lambda p: -p[1])
        got_docs, got_scores = S.by_usage(docs, usage, extra, 9.99)
        assert list(zip(got_docs, got_scores, strict=True)) == expected  # sorted() is stable


def test_positions_gives_each_wanted_documents_entry_or_minus_one():
    docs = np.array([2, 5, 9], dtype=np.int32)
    pos = np.array([0, 4, 300], dtype=np.int32)
    length = np.array([2, 3, 1], dtype=np.int32)
    assert S.positions(docs, pos, length, [9, 2, 3, 5, 10]) == \
        ([300, 0, -1, 4, -1], [1, 2, 0, 3, 0])
    assert S.positions(S.EMPTY, S.EMPTY, S.EMPTY, [1]) == ([-1], [0])


def test_in_bitmaps_reads_every_bitmap_and_nothing_past_their_end():
    rng = random.Random(8)
    marks = [np.array([rng.random() < 0.5 for _ in range(64)]) for _ in range(3)]
    bitmaps = [np.packbits(m, bitorder="little") for m in marks]
    docs = np.array([0, 3, 7, 8, 31, 63, 64, 1000], dtype=np.int32)
    for k in (1, 2, 3):
        expected = [d < 64 and all(m[d] for m in marks[:k]) for d in docs.tolist()]
        assert S.in_bitmaps(bitmaps[:k], docs).tolist() == expected


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32])
def test_with_char_reads_the_character_in_the_title_or_the_tags(dtype: type):
    # Document 0: title 退款 (codes 0-1), tags 款式 (2-3); document 1: title 款退 (4-5).
    codes = np.array([ord(c) for c in "退款款式款退"], dtype=dtype)
    title_off = np.array([0, 4], dtype=np.int64)
    tags_off = np.array([2, 6], dtype=np.int64)
    tags_at = 256

    def occ(doc: int, pos: int) -> int:
        return doc << POS_BITS | pos

    found = np.array([occ(0, 0), occ(0, tags_at), occ(1, 0)], dtype=np.int32)
    args = (title_off, tags_off, codes, POS_BITS, tags_at)
    # One place on: 款 after 退 in document 0's title, 式 in its tags, 退 in document 1.
    assert S.with_char(found, 1, ord("款"), *args).tolist() == [occ(0, 0)]
    assert S.with_char(found, 0, ord("款"), *args).tolist() == [occ(0, tags_at), occ(1, 0)]
    with pytest.raises(IndexError):
        S.with_char(np.array([occ(2, 0)], dtype=np.int32), 0, ord("退"), *args)
