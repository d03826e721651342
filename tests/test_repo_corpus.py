"""The real corpus in corpus/ and the committed index in index/."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from app.corpus.files import content_hash
from app.corpus.load import coverage, load_corpus
from app.corpus.passages import MAX_WORDS
from app.index.store import load_index
from app.reading.text import normalize_ws, source_lines, word_count
from tests.conftest import REPO

CORPUS = REPO / "corpus"
INDEX = REPO / "index"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def test_every_guide_sentence_is_in_exactly_one_passage(corpus):
    result = coverage(corpus)
    assert result.uncovered == ()
    assert result.overlapping == ()
    assert result.sentences > 100


def test_passages_are_verbatim_and_short(corpus):
    guide = " ".join(source_lines((CORPUS / "source" / "aliexpress-dispute-guide.txt").read_text()))
    for passage in corpus.passages:
        assert normalize_ws(passage.text) in guide, passage.id
        assert word_count(passage.text) <= MAX_WORDS, passage.id


def test_ids_are_unique(corpus):
    assert [i for i, n in Counter(p.id for p in corpus.passages).items() if n > 1] == []


def test_every_section_of_the_guide_is_present(corpus):
    assert len(corpus.sections) == 11
    assert {p.section for p in corpus.passages} == set(corpus.sections) - {"Comments"}


def test_committed_index_is_fresh():
    manifest = json.loads((INDEX / "manifest.json").read_text())
    assert manifest["corpus"]["hash"] == content_hash(CORPUS), (
        "index/ is stale against corpus/: run `kbqa build` and commit index/"
    )
    index = load_index(INDEX, corpus_dir=CORPUS)
    assert [p.id for p in index.passages] == [p.id for p in load_corpus(CORPUS).passages]


@pytest.mark.integration
def test_committed_index_matches_the_installed_model():
    from app.index.embed import MiniLMEmbedder
    from app.index.tuned import for_index

    manifest = json.loads((INDEX / "manifest.json").read_text())
    tuned = for_index(INDEX, manifest, MiniLMEmbedder())  # the base model, the tuning on top
    index = load_index(INDEX, corpus_dir=CORPUS, embedder=tuned)
    assert index.manifest["model"]["dim"] == index.dense.d == 384


def test_committed_calibration_belongs_to_the_committed_index():
    calibration = json.loads((INDEX / "calibration.json").read_text())
    manifest = json.loads((INDEX / "manifest.json").read_text())
    assert calibration["corpus_hash"] == manifest["corpus"]["hash"], (
        "index/calibration.json predates the corpus: run `kbqa eval --calibrate`"
    )
    tuning = {p.name for p in (REPO / "tests" / "eval").glob("tune*.yaml")}
    # Every tuning set, each under its language: English at the top, Russian under languages.
    used = set(calibration["question_sets"])
    for code, entry in calibration["languages"].items():
        assert code in manifest["languages"], code
        used |= set(entry["question_sets"])
    assert used == tuning, "recalibrate: `kbqa eval --calibrate`"
    assert "tune-ru.yaml" in calibration["languages"]["ru"]["question_sets"]
