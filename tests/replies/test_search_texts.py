"""The index's packed texts: documents joined into blocks must read, match and show exactly
as the separate strings did, and the originals must come back character for character."""

from __future__ import annotations

import random

import numpy as np

from kefu.replies.search import engine
from kefu.replies.search.index import DocMap
from kefu.replies.search.text import fold
from kefu.replies.search.texts import BLOCK, Texts
from tests.replies.test_search_engine import NOW, build


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
            assert col.find(doc, p) == f.find(p)
            assert col.startswith(doc, p) == f.startswith(p)
    # A match never runs from one document into the next one of its block
    joined_at = next(d for d in range(BLOCK - 1) if folded[d].endswith("亲")
                     and folded[d + 1].startswith("x"))
    assert col.find(joined_at, "亲x") == -1


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
    hits = engine.search(ix, viewer, "700号:退款", limit=3)
    # Then it is found, the highlight covers exactly that part of the shown title, and the
    # title is shown as written, not as folded
    assert hits, "no result"
    top = hits[0]
    title = ix.title(top.doc)
    assert title == "第700号：退款说明（ＶＩＰ）"
    (a, b), = top.match.title
    assert title[a:b] == "700号：退款"
    # And a body match points into the body as written
    body_hits = engine.search(ix, viewer, "详见页面", limit=1)
    (a, b), = body_hits[0].match.body
    assert ix.body(body_hits[0].doc)[a:b] == "详见页面"


def test_edits_after_a_build_fill_new_blocks_and_stay_searchable():
    ix = build([(f"旧标题{i}", 0) for i in range(2 * BLOCK)])  # reply id = i + 1
    # When more than a block of replies is edited through the bus's path
    for rid in range(1, BLOCK + 40):
        ix.upsert({"id": rid, "title": f"新標題{rid}，已改", "body": "內容", "library_id": 1,
                   "updated_at": NOW})
    viewer = engine.Viewer(7, frozenset({1}))
    # Then every edited reply is found under its new title, shown as written
    for rid in (1, BLOCK, BLOCK + 39):
        hits = engine.search(ix, viewer, f"新标题{rid},", limit=1)
        assert hits
        assert int(ix.reply_id[hits[0].doc]) == rid
        assert ix.title(hits[0].doc) == f"新標題{rid}，已改"
        assert ix.body(hits[0].doc) == "內容"
    # And not under its old one, while an untouched reply still is
    assert 5 not in [int(ix.reply_id[h.doc]) for h in engine.search(ix, viewer, "旧标题4")]
    hits = engine.search(ix, viewer, f"旧标题{BLOCK + 100}")
    assert ix.title(hits[0].doc) == f"旧标题{BLOCK + 100}"


def test_reply_ids_map_to_their_live_documents():
    m = DocMap()
    m.add(np.array([30, 10, 20], np.int64), np.array([0, 1, 2], np.int32))
    assert [m.get(r) for r in (10, 20, 30, 40)] == [1, 2, 0, None]
    m.add(np.array([20], np.int64), np.array([3], np.int32))  # edited: a new document
    assert m.pop(10) == 1
    assert m.get(10) is None
    assert m.pop(10) is None
    assert m.many(np.array([10, 20, 30, 40], np.int64)).tolist() == [-1, 3, 0, -1]
