"""The sound view of a message: same-sounding typos and other ways of asking still match."""

from __future__ import annotations

import pytest

from kefu.replies.libraryset import LibraryInfo
from kefu.suggestions.model import OrgModel, Weights
from kefu.suggestions.understanding import sound_features, understand

REPLIES = [("A", "话费充值多久到账"), ("B", "化妆品可以退货吗"), ("C", "运费怎么算"),
           ("D", "如何开通花呗"), ("E", "花呗为什么不能用了"), ("F", "花呗的额度怎么提高")]


def test_same_sounding_characters_and_question_words_read_the_same() -> None:
    assert sound_features("花被") == sound_features("花呗") == sound_features("花贝")
    assert sound_features("咋激活") == sound_features("如何开通")
    assert sound_features("为啥不可以") == sound_features("为什么不能")
    assert sound_features("") == []


def _model(w_sound: float) -> OrgModel:
    model = OrgModel(1, None, Weights(w_sound=w_sound))
    model.set_libraries([LibraryInfo(1, "company", None, None)])
    for i, (key, title) in enumerate(REPLIES, 1):
        model.upsert_reply({"id": i, "library_id": 1, "title": title, "body": "", "key": key})
    return model


def _first(model: OrgModel, message: str) -> str:
    return model.key[model.rank(understand(message), frozenset({1}), 3).results[0].slot]


@pytest.mark.parametrize("message", [
    "咋激活花呗",  # 咋 = 如何, 激活 = 开通: no word of reply D but 花呗
    "花被怎样激活",  # and a same-sounding typo of 花呗
])
def test_a_paraphrase_finds_the_reply_that_only_the_sound_view_links(message: str) -> None:
    assert _first(_model(0.0), message) != "D"  # characters alone go elsewhere
    assert _first(_model(1.0), message) == "D"


def test_a_removed_reply_leaves_both_views() -> None:
    model = _model(1.0)
    model.remove_reply(4)
    assert _first(model, "咋激活花呗") != "D"
