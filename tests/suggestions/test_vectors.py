"""Reply vectors kept in the database: a restart reads them instead of encoding the library
again, an edited reply is encoded anew, and one organization never reads another's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from kefu.core.models import Member, Organization
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Reply, Scope
from kefu.suggestions.models import EncodedText
from kefu.suggestions.registry import REGISTRY
from kefu.suggestions.semantic import normalize_rows, set_encoder
from kefu.suggestions.semantic_scores import _VECTORS
from kefu.suggestions.vectors import digest, reply_vectors


class RecordingEncoder:
    """Encoder double: vectors from character codes; records every text it encodes."""

    def __init__(self, name: str = "test-recording") -> None:
        self.name = name
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        return normalize_rows([[sum(map(ord, t)) % 97 + 1.0, len(t) + 1.0, t.count("货") + 0.5]
                               for t in texts])


def restart() -> None:
    """What a new process starts with: no model, no vectors in memory."""
    REGISTRY.clear()
    _VECTORS.clear()


@pytest.fixture
def recording() -> RecordingEncoder:
    encoder = RecordingEncoder()
    set_encoder(encoder)
    return encoder


@pytest.mark.django_db
def test_a_restart_reads_the_reply_vectors_instead_of_encoding_the_library_again(
        library: dict[str, Reply], agent: Member, api: Any,
        recording: RecordingEncoder) -> None:
    client = api(agent)
    before = client.post("suggest", {"message": "东西哪天寄出", "limit": 7}).json()
    assert len(recording.encoded) == len(library) + 1  # every reply, then the message
    restart()
    recording.encoded.clear()

    after = client.post("suggest", {"message": "东西哪天寄出", "limit": 7}).json()

    assert recording.encoded == ["东西哪天寄出"]
    before.pop("took_ms")
    after.pop("took_ms")
    assert after == before  # the stored vectors rank exactly as the computed ones


@pytest.mark.django_db
def test_an_edited_reply_is_encoded_anew_and_its_old_vector_deleted(
        library: dict[str, Reply], supervisor: Member, agent: Member, api: Any,
        recording: RecordingEncoder) -> None:
    client = api(agent)
    client.post("suggest", {"message": "发货"})
    reply = library["FH-01"]
    actions.do_edit_reply(supervisor, reply, reply.version, {"title": "发货时间说明"})
    restart()
    recording.encoded.clear()

    client.post("suggest", {"message": "发货"})

    assert len(recording.encoded) == 2  # the edited reply's new text, and the message
    assert "发货时间说明" in recording.encoded[0]
    assert EncodedText.objects.filter(organization=agent.organization).count() == len(library)


@pytest.mark.django_db
def test_another_model_encodes_the_library_itself(
        library: dict[str, Reply], agent: Member, api: Any) -> None:
    set_encoder(RecordingEncoder("model-a"))
    api(agent).post("suggest", {"message": "发货"})
    restart()
    other = RecordingEncoder("model-b")
    set_encoder(other)

    api(agent).post("suggest", {"message": "发货"})

    assert len(other.encoded) == len(library) + 1
    assert set(EncodedText.objects.values_list("model", flat=True)) == {"model-a", "model-b"}


@pytest.mark.django_db
def test_one_organization_never_reads_the_vectors_of_another(
        org: Organization, other_org: Organization, supervisor: Member,
        outsider: Member) -> None:
    for member in (supervisor, outsider):
        actions.do_create_reply(member, get_library(member, Scope.COMPANY),
                                {"key": "FH-01", "title": "发货时间", "body": "48小时内发货"},
                                None)
    text = "发货时间 48小时内发货"
    mine = RecordingEncoder()
    reply_vectors(org.id, mine, [text])
    restart()  # a process that has not encoded it itself
    theirs = RecordingEncoder()

    reply_vectors(other_org.id, theirs, [text])

    assert theirs.encoded == [text]  # the same text, encoded for its own organization
    assert EncodedText.objects.filter(digest=digest(text)).count() == 2


@pytest.mark.django_db
def test_identical_texts_are_encoded_once(org: Organization) -> None:
    encoder = RecordingEncoder()
    vectors = reply_vectors(org.id, encoder, ["好的", "好的", "发货"])
    assert encoder.encoded == ["好的", "发货"]
    assert np.array_equal(vectors[0], vectors[1])
    assert EncodedText.objects.filter(organization=org).count() == 2
