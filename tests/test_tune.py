"""The encoder tuned on the annotations: its training data, when it retunes, and that the
torch-free query encoder gives the tuned model's vectors."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from app.corpus.load import load_corpus
from app.index.build import build_index
from app.index.embed import MiniLMEmbedder
from app.index.onnx_encoder import ONNX_FILE, query_encoder
from app.index.store import load_index
from app.index.tune import (
    TUNING_FILE,
    Pair,
    Recipe,
    batches,
    changed_share,
    text_hashes,
    training_pairs,
)
from app.index.tuned import for_index
from tests.conftest import FIXTURES


def test_each_annotated_question_pairs_with_a_sibling_and_an_out_of_scope_negative():
    corpus = load_corpus(FIXTURES / "corpus")
    pairs = training_pairs(corpus)
    assert len(pairs) == sum(len(p.questions) for p in corpus.passages if len(p.questions) > 1)
    first = corpus.passages[0]
    mine = [p for p in pairs if p.passage == 0]
    assert [p.anchor for p in mine] == [q.text for q in first.questions]
    assert {p.positive for p in mine} == {q.text for q in first.questions}
    assert all(p.anchor != p.positive for p in mine)
    out_of_scope = {q for t in corpus.out_of_scope for q in t.questions}
    assert all(p.negative in out_of_scope for p in pairs)
    with_rules = training_pairs(corpus, Recipe(positives=("rule",), out_of_scope_negatives=False))
    assert {p.positive for p in with_rules if p.passage == 0} == {first.rule}
    assert all(p.negative is None for p in with_rules)


def test_no_batch_holds_two_pairs_of_one_passage_and_none_is_lost():
    pairs = [Pair(f"q{n}", f"r{n % 5}", n % 5) for n in range(23)]
    made = batches(pairs, 4, random.Random(0))
    assert all(len({p.passage for p in batch}) == len(batch) <= 4 for batch in made)
    assert sorted(p.anchor for batch in made for p in batch) == sorted(p.anchor for p in pairs)
    assert made == batches(pairs, 4, random.Random(0))  # seeded: the same every time


def test_the_share_of_changed_texts_counts_new_and_gone(tmp_path):
    pairs = [Pair(f"q{n}", "rule", 0) for n in range(9)]  # ten texts: nine questions, a rule
    assert changed_share(pairs, tmp_path) is None  # no tuning there
    (tmp_path / "encoder-tuning.json").write_text(json.dumps(text_hashes(pairs)))
    assert changed_share(pairs, tmp_path) == 0.0
    edited = [*pairs[:8], Pair("q8 edited", "rule", 0)]
    assert changed_share(edited, tmp_path) == 0.0  # two texts: under RETUNE_MIN, kept
    rewritten = [Pair(f"new {n}", "rule", 0) for n in range(3)] + pairs[3:]
    assert changed_share(rewritten, tmp_path) == pytest.approx(6 / 13)


@pytest.mark.integration
def test_a_tuned_build_records_its_tuning_and_keeps_it_for_a_small_edit(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    cache = tmp_path / "cache"
    built = build_index(corpus, tmp_path / "index", MiniLMEmbedder(), cache_dir=cache)
    manifest = built.manifest
    tuning = manifest["encoder_tuning"]
    assert tuning["base"]["weights_sha256"] == MiniLMEmbedder().weights_hash()
    assert (tuning["seed"], tuning["precision"]) == (0, "float16")
    assert manifest["model"]["weights_sha256"] != tuning["base"]["weights_sha256"]
    assert "word_embeddings" not in " ".join(tuning["tensors"])  # half the model stays
    encoder = manifest["query_encoder"]
    assert encoder["exported_from"] == tuning["base"]["weights_sha256"]
    assert encoder["tuning"]["checked_max_abs_diff"] <= 1e-5

    # The torch-free encoder (the base export, the tuning in place) is the tuned model.
    index = load_index(tmp_path / "index")
    onnx = query_encoder(index.path, index.manifest)
    tuned = for_index(index.path, index.manifest, MiniLMEmbedder())
    questions = ["can I still appeal?", "seller ghosted me, close it?"]
    assert np.abs(onnx.encode(questions) - tuned.encode(questions)).max() < 1e-5
    untuned = MiniLMEmbedder().encode(questions)
    assert np.abs(onnx.encode(questions) - untuned).max() > 1e-3  # it did learn something

    # Reproducible: the same corpus tuned again elsewhere gives the same tensors.
    again = build_index(corpus, tmp_path / "again", MiniLMEmbedder(), cache_dir=cache)
    assert again.manifest["files"][TUNING_FILE] == manifest["files"][TUNING_FILE]

    # One question edited: under the retune share, the tuning is kept and the export too.
    first = next(corpus.glob("a.md"))
    text = first.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("  - ") and "?" in ln)
    first.write_text(text.replace(line, line.replace("?", ", please?"), 1))
    assert changed_share(training_pairs(load_corpus(corpus)), tmp_path / "index") == 0.0
    messages: list[str] = []
    edited = build_index(
        corpus, tmp_path / "index", MiniLMEmbedder(), cache_dir=cache, log=messages.append
    )
    assert edited.built
    assert edited.manifest["files"][TUNING_FILE] == manifest["files"][TUNING_FILE]
    assert edited.manifest["files"][ONNX_FILE] == manifest["files"][ONNX_FILE]
    assert any("tuning kept" in m for m in messages)
    assert edited.embedded <= 3  # the edited question (and at most its neighbours' pairs)
