"""The index's packed texts: documents joined into blocks must read, match and show exactly
as the separate strings did, and the originals must come back character for character."""

from __future__ import annotations

import random

import numpy as np

from kefu.replies.search import engine
from kefu.replies.search.build import fold_many
from kefu.replies.search.index import DocMap, gram_key
from kefu.replies.search.match import GapVerify, TextVerify
from kefu.replies.search.postings import Bits, Postings, distinct, intersect, member
from kefu.replies.search.text import fold, fold_table
from kefu.replies.search.texts import BLOCK, Texts
from tests.replies.test_search_engine import NOW, build, build_rows


def _originals(n: int) -> list[str]:
    rnd = random.Random(7)
    pieces = ["退款", "ＡＢＣ", "，", "。", "發貨", "Tk", "😊", "", "亲", "x", "！", "運費"]
    return ["".join(rnd.choice(pieces) for _ in range(rnd.randrange(0, 9))) for _ in range(n)]


def test_packed_texts_read_and_match_like_the_strings_they_replace():
    originals = _originals(3 * BLOCK + 17)  # three sealed blocks and an open one
    folded = [fold(t) for t in originals]
    col = Texts(keep_originals=True)
    col.extend(folded[:100], originals[:100])  # several appends, as edits arrive
    col.extend(folded[100:], originals[100:])
    assert len(col) == len(folded)
    probes = ["退款", "abc", ",", "发货", "tk", "😊", "亲x", "!", "运费退"]
    for doc, (f, o) in enumerate(zip(folded, originals, strict=True)):
        assert col.get(doc) == f
        assert col.original(doc) == o  # full width, capitals, traditional, emoji as typed
        for p in probes:
            assert _found(col, p, doc) == f.find(p)
            assert (_found(col, p, doc, prefix=True) == 0) == f.startswith(p)
    # A match never runs from one document into the next one of its block
    joined_at = next(d for d in range(BLOCK - 1) if folded[d].endswith("亲")
                     and folded[d + 1].startswith("x"))
    assert _found(col, "亲x", joined_at) == -1


def _found(col: Texts, term: str, doc: int, prefix: bool = False) -> int:
    """Where the engine's verifier finds ``term`` in a document of the column (-1: not),
    asked for that document alone and within a list of documents around it."""
    verify = TextVerify(col, term, 4, "title", "title", prefix=prefix)
    m = verify(doc)
    alone = m.title[0][0] if m is not None else -1
    around = [d for d in (doc - 1, doc + 1) if 0 <= d < len(col)]
    skipped = {d for d in around if verify(d) is not None}  # so that doc's is the first
    listed = verify.first([*around, doc], [0.0] * (len(around) + 1), 1, skipped)
    assert listed == ([(doc, 0.0, alone)] if alone >= 0 else [])
    return alone


def test_a_column_without_originals_shows_the_text_itself():
    col = Texts()
    col.extend(["/tk1", "", "编号7"] * BLOCK)
    assert [col.get(d) for d in (0, 1, 2, len(col) - 1)] == ["/tk1", "", "编号7", "编号7"]
    assert col.original(2) == "编号7"
    assert col.nbytes() > 0


def test_results_in_a_packed_block_keep_their_highlights_and_punctuation():
    # Given more replies than one block, each title and body with full-width punctuation
    titles = [(f"第{i}号：退款说明（ＶＩＰ）", 1) for i in range(2 * BLOCK)]
    ix = build(titles)
    viewer = engine.Viewer(7, frozenset({1}))
    # When a title deep inside a sealed block is searched by a part of it
    hits = engine.search(ix, viewer, "700号退款", limit=3)
    # Then it is found (the full-width colon between is a character left out), the
    # highlight covers exactly that part of the shown title, and the title is shown as
    # written, not as folded
    assert hits, "no result"
    top = hits[0]
    title = ix.title(top.doc)
    assert title == "第700号：退款说明（ＶＩＰ）"
    (a, b), = top.match.title
    assert title[a:b] == "700号：退款"
    # And searched with the punctuation typed half width, the words are found as they
    # stand together, highlighted whole
    top = engine.search(ix, viewer, "700号:退款", limit=3)[0]
    assert [title[a:b] for a, b in top.match.title] == ["700号：退款"]
    # And with a space between, each word is highlighted
    top = engine.search(ix, viewer, "700号 退款", limit=3)[0]
    assert [title[a:b] for a, b in top.match.title] == ["700号", "退款"]
    # And a body match points into the body as written
    body_hits = engine.search(ix, viewer, "详见页面", limit=1)
    (a, b), = body_hits[0].match.body
    assert ix.body(body_hits[0].doc)[a:b] == "详见页面"


def test_edits_after_a_build_fill_new_blocks_and_stay_searchable():
    ix = build([(f"旧标题{i}", 0) for i in range(2 * BLOCK)])  # reply id = i + 1
    # When more than a block of replies is edited through the bus's path
    for rid in range(1, BLOCK + 40):
        ix.upsert({"id": rid, "title": f"新標題{rid}号，已改", "body": "內容", "library_id": 1,
                   "updated_at": NOW})
    viewer = engine.Viewer(7, frozenset({1}))
    # Then every edited reply is found under its new title, shown as written
    for rid in (1, BLOCK, BLOCK + 39):
        hits = engine.search(ix, viewer, f"新标题{rid}号", limit=1)
        assert hits
        assert int(ix.reply_id[hits[0].doc]) == rid
        assert ix.title(hits[0].doc) == f"新標題{rid}号，已改"
        assert ix.body(hits[0].doc) == "內容"
    # And not under its old one, while an untouched reply still is
    assert 5 not in [int(ix.reply_id[h.doc]) for h in engine.search(ix, viewer, "旧标题4")]
    hits = engine.search(ix, viewer, f"旧标题{BLOCK + 100}")
    assert ix.title(hits[0].doc) == f"旧标题{BLOCK + 100}"


def test_a_character_found_in_many_bodies_finds_a_reply_added_after_it_was_searched():
    # Given 5,000 replies whose bodies hold 箱 (整箱, 箱子…: its merged list is kept), and a
    # search that needed it
    ix = build_rows([{"id": i, "title": f"说明{i}", "body": f"整箱{i}号" if i % 2 else f"箱子{i}",
                      "usage_count": 0} for i in range(1, 5001)])
    viewer = engine.Viewer(7, frozenset({1}))
    assert len(engine.search(ix, viewer, "说明 箱")) == 10
    assert ix.body_grams.merged  # kept
    # When a reply is added with 箱 in its body
    ix.upsert({"id": 9001, "title": "新品上架", "body": "按箱发货", "library_id": 1,
               "updated_at": NOW})
    # Then a search needing 箱 in bodies finds it, holding both terms
    hits = engine.search(ix, viewer, "新品 箱")
    assert [(ix.title(h.doc), h.match.kind) for h in hits] == [("新品上架", "title_prefix+body")]


def test_reply_ids_map_to_their_live_documents():
    m = DocMap()
    m.add(np.array([30, 10, 20], np.int64), np.array([0, 1, 2], np.int32))
    assert [m.get(r) for r in (10, 20, 30, 40)] == [1, 2, 0, None]
    m.add(np.array([20], np.int64), np.array([3], np.int32))  # edited: a new document
    assert m.pop(10) == 1
    assert m.get(10) is None
    assert m.pop(10) is None
    assert m.many(np.array([10, 20, 30, 40], np.int64)).tolist() == [-1, 3, 0, -1]


def test_shortcuts_and_keys_are_found_through_their_hashes_and_edits():
    # Given a library built with shortcuts and keys (some shared, full width, upper case)
    rows = [{"id": i, "title": f"标题{i}", "body": "正文", "library_id": 1, "updated_at": NOW,
             "shortcut": f"/tk{i % 300}" if i % 3 else "", "key": f"K{i}" if i % 5 == 0 else ""}
            for i in range(1, 2001)]
    rows[9]["shortcut"] = "／ＴＫ９９９"  # typed in full width
    ix = build([])
    ix.build(rows)
    viewer = engine.Viewer(7, frozenset({1}))

    def codes(q: str) -> list[int]:
        return sorted(int(ix.reply_id[h.doc]) for h in engine.search(ix, viewer, q, limit=50)
                      if h.match.kind == "shortcut")

    # Then a shortcut lists every reply that has it, a key its reply, folded either way
    assert codes("/tk1") == [i for i in range(1, 2001) if i % 3 and i % 300 == 1]
    assert codes("k25") == [25]
    assert codes("/tk999") == [10]
    assert codes("tk999") == [10]  # the slash may be left out
    # When a reply's shortcut is edited, the old one no longer finds it and the new one does
    ix.upsert({**rows[0], "shortcut": "/新的"})
    assert 1 not in codes("/tk1")
    assert codes("/新的") == [1]
    ix.remove(25)
    assert codes("k25") == []
    # And a removed reply's bare code no longer hides a live one's slashed code
    ix.upsert({**rows[1], "shortcut": "zz9"})
    ix.upsert({**rows[2], "shortcut": "/zz9"})
    assert codes("zz9") == [2]
    ix.remove(2)
    assert codes("zz9") == [3]


def test_a_title_beyond_the_basic_plane_keeps_pinyin_checks_exact():
    # Given titles stored as 16-bit characters, then one with a character beyond them
    ix = build([("退款流程", 1), ("推广活动", 1)])
    ix.upsert({"id": 3, "title": "𠮷退款说明", "body": "正文", "library_id": 1,
               "updated_at": NOW})
    viewer = engine.Viewer(7, frozenset({1}))
    # Then mixed input still checks the 汉字 at its place in every title
    got = [ix.title(h.doc) for h in engine.search(ix, viewer, "退kuan")]
    assert got[:2] == ["退款流程", "𠮷退款说明"] or got[:2] == ["𠮷退款说明", "退款流程"]
    assert "推广活动" not in got
    assert ix.codes.dtype == np.uint32


def test_tags_shared_by_many_replies_still_rank_by_use():
    # Given ten thousand replies, most tagged 物流 (kept as a bitmap), titles without it
    rows = [{"id": i, "title": f"说明{i}", "body": "正文", "library_id": 1, "updated_at": NOW,
             "tags": ["物流"] if i % 4 else ["售后"], "usage_count": 1 + (i == 4001) * 99,
             "last_used_at": NOW} for i in range(1, 10_001)]
    ix = build([])
    ix.build(rows)
    assert ix.short_grams.dense  # the common tag's characters are bitmaps
    viewer = engine.Viewer(7, frozenset({1}))
    # Then searching the tag finds tagged replies, the most used first
    hits = engine.search(ix, viewer, "物流", limit=5)
    assert int(ix.reply_id[hits[0].doc]) == 4001
    assert all(h.match.kind == "tags_questions" for h in hits)
    assert all(int(ix.reply_id[h.doc]) % 4 for h in hits)


def test_folding_many_texts_at_once_folds_each_like_fold():
    table = fold_table()
    wide = [chr(k) for k in table if k > 0xFFFF][:20]  # traditional forms beyond the BMP
    narrow = [chr(k) for k in list(table)[:: max(1, len(table) // 200)] if k <= 0xFFFF]
    texts = ["", "退款ＡＢＣ，Tk😊", "".join(wide), "".join(narrow), "發貨" + "".join(wide[:3])]
    texts += _originals(300)
    assert fold_many(texts) == [fold(t) for t in texts]
    assert fold_many(["", ""]) == ["", ""]
    assert fold_many([]) == []


def test_mixed_input_checks_the_character_in_tags_too():
    # Given two replies whose titles do not match, tagged 退换货 and 推换货 (same sounds)
    rows = [{"id": 1, "title": "说明一", "body": "正文", "library_id": 1, "updated_at": NOW,
             "tags": ["物流", "退换货"]},
            {"id": 2, "title": "说明二", "body": "正文", "library_id": 1, "updated_at": NOW,
             "tags": ["推换货"], "usage_count": 50, "last_used_at": NOW}]
    ix = build([])
    ix.build(rows)
    viewer = engine.Viewer(7, frozenset({1}))
    # Then 退huan finds the reply tagged 退换货 through its tags first, and the more used 推换货
    # only as a sound-alike below it
    hits = engine.search(ix, viewer, "退huan")
    assert [int(ix.reply_id[h.doc]) for h in hits] == [1, 2]
    assert hits[0].match.kind == "pinyin_tags"
    assert not hits[1].match.kind.startswith("pinyin")


def test_an_index_keeps_no_string_of_the_rows_it_was_built_from():
    # A kept string of a row would keep the allocator's memory around it (the other rows,
    # long freed) in the process: hundreds of MB at 100k replies (texts.own_copy).
    rows = [{"id": i, "title": f"退款ＶＩＰ{i}", "body": f"亲，{i}号說明", "library_id": 1,
             "shortcut": f"/tk{i}", "key": f"编号{i}", "tags": [f"售后{i % 3}"],
             "category_path": [f"一级{i % 4}", f"二级{i % 5}"], "usage_count": i % 7,
             "last_used_at": NOW, "updated_at": NOW} for i in range(1, BLOCK + 200)]
    ix = build([])
    ix.build(rows)
    given = {id(v) for r in rows for v in (r["title"], r["body"], r["shortcut"], r["key"],
                                           *r["tags"], *r["category_path"])}
    kept = [*ix.ftitle.open, *ix.fbody.open, *ix.fshort.open, *ix.shortcut.open,
            *ix.key.open, *ix.ftitle._open_originals.values(),
            *ix.fbody._open_originals.values(), *(n for path in ix.category for n in path),
            *(n for key in ix._paths for n in key)]
    assert len(ix.shortcut.open) == 199
    assert ix.ftitle._open_originals
    assert not {id(s) for s in kept} & given
    # and what the index shows is still the rows' text
    doc = int(ix.doc_of.get(rows[-1]["id"]))
    assert ix.title(doc) == rows[-1]["title"]
    assert ix.category[doc] == rows[-1]["category_path"]


def test_documents_in_several_dense_lists_include_those_added_since_the_build():
    # Given bigram postings over 2,000 documents where 退款, 款到 and 到账 are common
    # enough to be kept as bitmaps, and documents added after the build
    rnd = random.Random(11)
    grams = [gram_key(ord(a), ord(b)) for a, b in ("退款", "款到", "到账")]
    held = {g: {d for d in range(2000) if rnd.random() < 0.5} for g in grams}
    keys = np.array([g for g in grams for _d in held[g]], dtype=np.uint64)
    docs = np.array([d for g in grams for d in sorted(held[g])], dtype=np.uint64)
    postings = Postings.build(keys, docs, n_docs=2000)
    assert all(isinstance(postings.lookup(g), Bits) for g in grams)
    postings.add(set(grams), 2000)  # holds all three
    postings.add(set(grams[:2]), 2001)  # not 到账
    # Then the documents that may hold 退款到账 are exactly those in all three lists
    expected = set.intersection(*held.values()) | {2000}
    got = engine.rarest_gram(postings, "退款到账")
    assert got.tolist() == sorted(expected)


def test_distinct_documents_are_sorted_and_each_listed_once():
    rnd = np.random.default_rng(5)
    for size in (0, 1, 7, 30_000):
        docs = rnd.integers(0, 1000, size).astype(np.int32)
        assert distinct(docs).tolist() == sorted(set(docs.tolist()))


def test_membership_and_intersection_agree_with_numpy_for_every_length_mix():
    # Short in long, long in short, and two long lists of similar length take different
    # ways; each must give the same answer
    rnd = np.random.default_rng(9)
    for a_size, b_size in [(0, 5), (3, 40_000), (40_000, 3), (600, 900), (5_000, 4_000),
                           (600, 20_000), (1, 1)]:
        a = np.unique(rnd.integers(0, 50_000, a_size)).astype(np.int32)
        b = np.unique(rnd.integers(0, 50_000, b_size)).astype(np.int32)
        assert member(a, b).tolist() == np.isin(a, b).tolist()
        assert intersect(a, b).tolist() == np.intersect1d(a, b).tolist()


def test_a_characters_bigram_count_bounds_its_documents_without_merging_them():
    # Given bigram postings over 12,000 documents: some bigrams starting with 退 common
    # enough to be bitmaps, others short lists, one added to after the build
    rnd = random.Random(3)
    pairs = ["退款", "退货", "退还", "退运", "款到", "货到"]
    held = {p: {d for d in range(12000) if rnd.random() < (0.4 if p in ("退款", "退货")
                                                              else 0.01)} for p in pairs}
    keys = np.array([gram_key(ord(p[0]), ord(p[1])) for p in pairs for _d in held[p]],
                    dtype=np.uint64)
    docs = np.array([d for p in pairs for d in sorted(held[p])], dtype=np.uint64)
    postings = Postings.build(keys, docs, n_docs=12000)
    assert isinstance(postings.lookup(gram_key(ord("退"), ord("款"))), Bits)
    postings.add({gram_key(ord("退"), ord("运"))}, 12000)
    lo, hi = gram_key(ord("退")) + 1, gram_key(ord("退") + 1)
    # Then the estimate lies between the documents holding a bigram of 退 and its entries
    entries = sum(len(held[p]) for p in pairs if p[0] == "退") + 1
    size = postings.range_size(lo, hi)
    assert len(postings.range_docs(lo, hi)) <= size == entries
    # And once those documents were merged and kept (over 4,096), it is their number
    assert postings.range_size(lo, hi) == len(postings.range_docs(lo, hi))
    # And a character starting no bigram has none
    assert postings.range_size(gram_key(ord("到")) + 1, gram_key(ord("到") + 1)) == 0


def test_documents_in_every_bitmap_are_found_at_once_as_one_by_one():
    # Given three bitmaps over 5,000 documents and documents added to two of them since
    rnd = np.random.default_rng(8)
    lists = []
    for extra in ([5001, 5003], [5001], []):
        marks = rnd.random(5000) < 0.5
        lists.append(Bits(np.packbits(marks, bitorder="little"), int(marks.sum()),
                          np.array(extra, dtype=np.int32)))
    docs = np.array([*sorted(rnd.choice(5000, 800, replace=False).tolist()), 5001, 5003],
                    dtype=np.int32)
    # Then the documents in all of them are those each one holds
    each = np.logical_and.reduce([b.has(docs) for b in lists])
    assert Bits.has_all(lists, docs).tolist() == each.tolist()
    assert Bits.has_all(lists[:2], docs).tolist() == (lists[0].has(docs)
                                                      & lists[1].has(docs)).tolist()
    assert Bits.has_all(lists[:2], docs)[-2:].tolist() == [True, False]


def test_a_long_terms_candidates_hold_all_its_bigrams_when_its_rarest_are_common():
    # Given 300 bodies sharing a sentence's start, one ending it otherwise, 350 holding
    # its end's bigrams alone, and 5,000 others (so that these lists stay lists)
    rows = [{"id": i, "title": f"西裤{i}", "body": f"西裤采用牛仔布面料，舒适{i}",
             "usage_count": 1} for i in range(1, 301)]
    rows += [{"id": 301, "title": "透气说明", "body": "西裤采用牛仔布面料，透气", "usage_count": 1}]
    rows += [{"id": 400 + i, "title": f"其他{i}", "body": "其他，透气好", "usage_count": 1}
             for i in range(350)]
    rows += [{"id": 1000 + i, "title": f"说明{i}", "body": f"详见页面{i}", "usage_count": 1}
             for i in range(5000)]
    ix = build_rows(rows)
    term = fold("西裤采用牛仔布面料，透气")
    # Then its candidates are the bodies holding every one of its bigrams: one reply,
    # not the 301 its three rarest bigrams leave (each would be verified)
    got = engine.rarest_gram(ix.body_grams, term)
    assert [ix.reply_id[d] for d in got.tolist()] == [301]


def test_a_long_list_asked_as_a_bitmap_holds_its_documents_and_those_added_since():
    keys = np.array([1] * 5000 + [2] * 10, dtype=np.uint64)
    docs = np.concatenate((np.arange(0, 10000, 2), np.arange(10))).astype(np.uint64)
    p = Postings.build(keys, docs)
    p.add({1}, 10001)  # a reply added after the build
    bits = p.bitmap(1)
    assert isinstance(bits, Bits)
    assert bits.size == 5001
    probe = np.arange(0, 10010, dtype=np.int32)
    assert bits.has(probe).tolist() == [(d % 2 == 0 and d < 10000) or d == 10001
                                        for d in probe.tolist()]
    assert p.bitmap(1).bits is bits.bits  # made once
    assert p.bitmap(2).tolist() == list(range(10))  # a short list as it is
    assert p.bitmap(3).size == 0


def test_a_term_with_a_character_left_out_is_found_in_packed_texts_like_in_strings():
    originals = _originals(BLOCK + 40)  # a sealed block and an open part
    folded = [fold(t) for t in originals]
    col = Texts()
    col.extend(folded)
    found = 0
    for term in ["退款发", "款亲", "发货x", "tk运", "亲退款"]:
        splits = [(term[:i], term[i:]) for i in range(1, len(term))]
        verify = GapVerify(col, splits, 1.2, "edit_missing_char")
        for doc, text in enumerate(folded):
            # the first split that matches, at its first place (as the engine marks it)
            first = next((span for left, right in splits
                          if (span := _gap_in(text, left, right)) is not None), None)
            assert verify.find(doc) == first
            found += first is not None
        docs = list(range(len(folded)))
        listed = verify.first(docs, [0.0] * len(docs), 5, set())
        assert [(d, span) for d, _u, span in listed] == \
            [(d, verify.find(d)) for d in docs if verify.find(d) is not None][:5]
    assert found > 20  # the texts hold such terms


def _gap_in(text: str, left: str, right: str) -> tuple[int, int] | None:
    pos = text.find(left)
    while pos >= 0:
        if text.startswith(right, pos + len(left) + 1):
            return pos, pos + len(left) + 1 + len(right)
        pos = text.find(left, pos + 1)
    return None
