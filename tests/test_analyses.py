"""Annotated questions' readings: stored at build, read back equal, in a stable JSON form."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.corpus.load import load_corpus
from app.index.readings import annotated, read_question
from app.index.store import load_index
from app.reading.question import Analysis
from tests.conftest import FIXTURES, GOLDEN

QUESTION = "Should I close the dispute before the parcel arrives, 10 days in?"


def golden_record() -> dict:
    """The record the golden file holds (``scripts/update_golden.py`` writes it)."""
    corpus = load_corpus(FIXTURES / "corpus")
    return read_question(QUESTION, corpus.language, corpus.conditions, corpus.lexicon)[0].to_json()


def test_serialised_analysis_matches_golden():
    assert golden_record() == json.loads((GOLDEN / "analysis.json").read_text())


def test_analysis_round_trips_through_json_text():
    stated = replace(Analysis.from_json(golden_record()), states=(("days-since-closed", "within"),))
    assert Analysis.from_json(json.loads(json.dumps(stated.to_json()))) == stated


def test_unknown_fields_are_refused():
    with pytest.raises(TypeError):
        Analysis.from_json({**golden_record(), "mood": "hopeful"})


def test_index_stores_the_readings_a_fresh_read_gives(index_dir: Path, corpus_dir: Path):
    index = load_index(index_dir, corpus_dir=corpus_dir)
    corpus = load_corpus(corpus_dir)
    assert index.analyses == annotated(
        corpus.passages, corpus.language, corpus.conditions, corpus.lexicon
    )
    assert sum(len(a) for a in index.analyses.values()) == sum(
        len(p.questions) for p in corpus.passages
    )
