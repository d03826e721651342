"""Buyers' questions end to end (real model, committed index), tuning and held-out apart.

The floors below are regression guards at or just under what kbqa measures today (see the
README); the issue's targets are higher and are reported, not asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.corpus import MAX_WORDS, load_corpus
from app.engine import Engine
from app.evaluate import default_sets, load_items, metrics, run
from app.text import normalize_ws, word_count
from tests.conftest import REPO

EVAL = Path(__file__).parent / "eval"
SETS = default_sets(EVAL)
TUNING = [p for p in SETS if p.stem.startswith("tune")]
HELD_OUT = [p for p in SETS if p.stem.startswith("heldout")]

FLOORS = {
    "tuning": {
        "hit@1": 0.85,
        "hit@3": 0.94,
        "mrr": 0.90,
        "verdict": 0.92,
        "refused_oos": 0.95,
        "fact": 0.90,
    },
    "held-out": {
        "hit@1": 0.78,
        "hit@3": 0.90,
        "mrr": 0.87,
        "verdict": 0.76,
        "refused_oos": 0.92,
        "fact": 0.95,
    },
}
CEILINGS = {
    "tuning": {"refused_answerable": 0.03, "dangerous": 0, "risky": 0},
    "held-out": {"refused_answerable": 0.07, "risky": 0},
}


def test_question_sets_are_well_formed():
    ids = {p.id for p in load_corpus(REPO / "corpus").passages}
    items = [item for path in SETS for item in load_items(path)]
    assert len(items) >= 100
    held_out = sum(len(load_items(p)) for p in HELD_OUT)
    assert held_out >= len(items) / 3
    for item in items:
        assert item.verdict in ("yes", "no", "depends", "info", "not_covered"), item.id
        assert set(item.passages) <= ids, item.id
        assert bool(item.passages) == item.answerable, item.id
    assert len({item.id for item in items}) == len(items)


@pytest.fixture(scope="module")
def outcomes():
    engine = Engine()
    return {
        "tuning": [o for p in TUNING for o in run(engine, load_items(p))],
        "held-out": [o for p in HELD_OUT for o in run(engine, load_items(p))],
    }


@pytest.mark.integration
@pytest.mark.parametrize("split", ["tuning", "held-out"])
def test_metrics_stay_above_floors(outcomes, split):
    measured = metrics(outcomes[split])
    low = {k: round(measured[k], 3) for k, floor in FLOORS[split].items() if measured[k] < floor}
    high = {k: measured[k] for k, cap in CEILINGS[split].items() if measured[k] > cap}
    assert low == {}, f"{split} below floor: {low}"
    assert high == {}, f"{split} above ceiling: {high}"


@pytest.mark.integration
def test_every_quote_is_verbatim_and_short(outcomes):
    guide = " ".join(load_corpus(REPO / "corpus").source_lines)
    for outcome in outcomes["tuning"] + outcomes["held-out"]:
        for quote in outcome.answer.quotes:
            assert normalize_ws(quote.text) in guide
            assert quote.highlight in quote.text
            assert word_count(quote.text) <= MAX_WORDS


@pytest.mark.integration
def test_refusals_quote_nothing_and_name_the_scope(outcomes):
    for outcome in outcomes["tuning"] + outcomes["held-out"]:
        if outcome.answer.verdict == "not_covered":
            assert outcome.answer.quotes == ()
            assert outcome.answer.headline.startswith("The guide doesn't cover this.")
