"""How a latin run splits into pinyin units: the chains every pinyin search starts from."""

from __future__ import annotations

import pytest

from kefu.replies.search import query as Q
from kefu.replies.search.index import Vocabulary

VOCAB = Vocabulary()


def _every_split(run: str, mode: int) -> list[list[Q.Unit]]:
    """The splits of ``run`` one by one, depth first, longer pieces first, as the matcher
    reads them: what _run_units must give, in the same order, up to MAX_CHAINS."""
    out: list[list[Q.Unit]] = []

    def walk(pos: int, acc: list[Q.Unit]) -> None:
        if pos == len(run):
            out.append(list(acc))
            return
        for end in range(min(pos + 6, len(run)), pos, -1):
            unit = Q._unit(run[pos:end], end == len(run), VOCAB, mode)
            if unit is not None:
                walk(end, [*acc, unit])

    walk(0, [])
    return out[:Q.MAX_CHAINS]


@pytest.mark.parametrize("run", ["tuikuan", "tuik", "thh", "zhangq", "xianzai", "xian",
                                 "tuikuandao3qx", "wuliuyichangz8925q", "fhsj2x", "iu",
                                 "shangchangfahuoshijian", "aaaaaa", "xl", "v"])
@pytest.mark.parametrize("mode", [Q.EXACT, Q.FUZZY])
def test_a_run_splits_into_every_reading_in_order(run: str, mode: int):
    got = Q._run_units(run, VOCAB, mode)
    assert got == _every_split(run, mode)
    assert Q._run_units(run, VOCAB, mode) == got  # pieces met before give the same units


def test_readings_of_a_typed_word_come_whole_syllables_first():
    chains = Q.unit_chains(Q.Atoms(("tuikuan",)), VOCAB)
    ids = VOCAB.syllable_ids
    # tui + kuan first, kuan perhaps unfinished (kuang); tu + i… never (i starts no
    # reading); t + … with initials later
    assert [u.tokens for u in chains[0]] == [frozenset({ids["tui"]}),
                                             frozenset({ids["kuan"], ids["kuang"]})]
    assert all(len(c) >= 2 for c in chains)
    assert len(chains) <= Q.MAX_KEPT
    assert Q.unit_chains(Q.Atoms(("iu",)), VOCAB) == []  # no reading starts with i
