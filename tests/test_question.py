"""Reading questions: form, polarity, arrival; cases in tests/cases/analysis.yaml.

English's question words come from the repo corpus's language.md, actions and judgements
from its actions.md, arrival from its conditions.md (the item-arrived situation), as the
engine reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.corpus.actions_file import parse_actions
from app.corpus.conditions_file import parse_conditions
from app.corpus.language_file import parse_language
from app.reading.actions import Lexicon
from app.reading.question import read
from app.reading.situation import read_situation
from tests.conftest import REPO

ENGLISH, _ = parse_language(REPO / "corpus" / "language.md", None)
LEXICON, _ = parse_actions(REPO / "corpus" / "actions.md")
CONDITIONS, _ = parse_conditions(REPO / "corpus" / "conditions.md")
ARRIVED = {1: "yes", -1: "no", None: None}
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "analysis.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["q"][:60] for c in CASES])
def test_analysis(case):
    reading = read(case["q"], ENGLISH, LEXICON)
    assert reading.form == case["form"]
    if "polarity" in case:
        assert reading.polarity == case["polarity"]
    arrived = read_situation(case["q"], CONDITIONS, ENGLISH.folds).values.get("item-arrived")
    assert arrived == ARRIVED[case.get("arrived")]
    assert reading.asks_amount == case.get("asks_amount", False)
    assert reading.choice == case.get("choice", False)


def test_analysis_is_deterministic():
    question = "Is it safe to cancel the dispute if the seller promises PayPal?"
    assert read(question, ENGLISH, LEXICON) == read(question, ENGLISH, LEXICON)


def test_a_corpus_without_actions_reads_no_action():
    reading = read("Should I close the dispute?", ENGLISH, Lexicon())
    assert (reading.form, reading.action, reading.polarity) == ("yesno", None, None)
