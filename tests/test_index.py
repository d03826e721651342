"""Index build and load: manifest, no-op rebuilds, atomic replacement, refusal of bad indexes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

import app.index.build
import app.index.store
from app.corpus.load import load_corpus
from app.errors import CorpusError, IndexProblem
from app.index.build import build_index
from app.index.embed import FakeEmbedder
from app.index.npzfile import write_npz
from app.index.store import load_index
from app.index.vectors import VectorRef, VectorRefs
from tests.conftest import GOLDEN, snapshot

FIXED_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_manifest_matches_golden(tmp_path: Path, corpus_dir: Path, fake: FakeEmbedder):
    build_index(corpus_dir, tmp_path / "index", fake, now=lambda: FIXED_TIME)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    # FAISS's binary layout is FAISS's business; the rest of the manifest is ours.
    for name in ("dense.faiss", "out-of-scope.faiss"):
        manifest["files"][name]["sha256"] = "<faiss>"
    assert manifest == json.loads((GOLDEN / "manifest.json").read_text())


def test_load_round_trips(index_dir: Path, corpus_dir: Path):
    index = load_index(index_dir, corpus_dir=corpus_dir)
    corpus = load_corpus(corpus_dir)
    assert index.passages == corpus.passages
    assert index.glossary == corpus.glossary
    # Each passage embeds its text, its rule, each question, and its sentences when it has
    # several (two passages have two).
    assert len(index.vectors) == sum(2 + len(p.questions) for p in corpus.passages) + 4 == 30
    assert index.dense.ntotal == 30
    first_question = next(v for v in index.vectors if v.kind == "question")
    assert (first_question.passage, first_question.ordinal) == (0, 0)


def test_vector_references_round_trip_as_columns(tmp_path: Path):
    refs = [VectorRef(0, "text"), VectorRef(0, "question", 2), VectorRef(3, "sentence", 1)]
    VectorRefs.of(refs).save(tmp_path / "vectors.npz")
    loaded = VectorRefs.load(tmp_path / "vectors.npz")
    assert list(loaded) == refs
    assert loaded[1] == VectorRef(0, "question", 2)
    assert loaded[1:] == refs[1:]
    assert loaded.passage.tolist() == [0, 0, 3]


def test_vector_columns_that_do_not_fit_are_refused(tmp_path: Path):
    one = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="columns of 1, 2, 1 rows"):
        VectorRefs(one, np.zeros(2, dtype=np.uint8), one)
    with pytest.raises(ValueError, match="kinds outside"):
        VectorRefs(one, np.array([4], dtype=np.uint8), one)
    (tmp_path / "vectors.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"vectors\.npz is unreadable"):
        VectorRefs.load(tmp_path / "vectors.npz")
    write_npz(tmp_path / "vectors.npz", {"passage": one, "kind": one})
    with pytest.raises(ValueError, match=r"vectors\.npz lacks ordinal, kinds"):
        VectorRefs.load(tmp_path / "vectors.npz")


def test_unchanged_corpus_is_a_no_op(index_dir: Path, corpus_dir: Path, fake: FakeEmbedder):
    before = snapshot(index_dir)
    again = build_index(corpus_dir, index_dir, fake)
    assert not again.built
    assert snapshot(index_dir) == before
    forced = build_index(corpus_dir, index_dir, fake, force=True)
    assert forced.built
    assert (
        json.loads(snapshot(index_dir)["manifest.json"])["built_at"] == forced.manifest["built_at"]
    )


def test_changed_corpus_rebuilds(index_dir: Path, corpus_dir: Path, fake: FakeEmbedder):
    (corpus_dir / "b.md").write_text(
        (corpus_dir / "b.md").read_text().replace("Is there an appeal deadline?", "Appeal when?")
    )
    assert build_index(corpus_dir, index_dir, fake).built
    assert load_index(index_dir, corpus_dir=corpus_dir).passages[-1].questions[1].text == (
        "Appeal when?"
    )


class ExplodingEmbedder(FakeEmbedder):
    """Fails part-way, as a crash or Ctrl-C during the slow embedding step would."""

    def __init__(self, error: BaseException):
        super().__init__()
        self.error = error

    def encode(self, texts, *, progress=False) -> np.ndarray:
        raise self.error


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_build_keeps_the_old_index(index_dir: Path, corpus_dir: Path, error):
    before = snapshot(index_dir)
    # A new question: a text the embedding cache does not hold, so the model is called.
    (corpus_dir / "b.md").write_text(
        (corpus_dir / "b.md").read_text().replace("Is there an appeal deadline?", "Appeal when?")
    )
    with pytest.raises(type(error)):
        build_index(corpus_dir, index_dir, ExplodingEmbedder(error), force=True)
    assert snapshot(index_dir) == before
    assert load_index(index_dir).passages
    assert not list(index_dir.parent.glob(".index.tmp-*"))


def test_crash_while_writing_keeps_the_old_index(
    index_dir: Path, corpus_dir: Path, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
):
    before = snapshot(index_dir)
    real_write = app.index.build.write_tables

    def half_write(folder, *args, **kwargs):
        real_write(folder, *args, **kwargs)
        (folder / "passages.json").write_text("[")  # a torn file, then the crash
        raise KeyboardInterrupt

    monkeypatch.setattr(app.index.build, "write_tables", half_write)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus_dir, index_dir, fake, force=True)
    assert snapshot(index_dir) == before
    assert not list(index_dir.parent.glob(".index.tmp-*"))


def test_bad_corpus_leaves_the_index_untouched(index_dir: Path, corpus_dir: Path, fake):
    before = snapshot(index_dir)
    (corpus_dir / "copy.md").write_text((corpus_dir / "b.md").read_text())
    with pytest.raises(CorpusError, match=r"copy\.md:3: duplicate id 'appeal-window'"):
        build_index(corpus_dir, index_dir, fake, force=True)
    assert snapshot(index_dir) == before


def test_stale_index_is_refused(index_dir: Path, corpus_dir: Path):
    (corpus_dir / "b.md").write_text((corpus_dir / "b.md").read_text() + "\n")
    with pytest.raises(IndexProblem, match=r"stale.*run `kbqa build`"):
        load_index(index_dir, corpus_dir=corpus_dir)


def test_index_from_another_model_is_refused(index_dir: Path):
    with pytest.raises(IndexProblem, match=r"built with fake/hashing-bow.*kbqa build --force"):
        load_index(index_dir, embedder=FakeEmbedder(dim=32))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _edit_json(path: Path) -> None:
    path.write_text(path.read_text().replace("A dispute protects you.", "Always close."))


CORRUPTIONS = [
    pytest.param(
        "dense.faiss", _truncate, r"dense\.faiss does not match manifest\.json", id="faiss"
    ),
    pytest.param("passages.json", _edit_json, r"passages\.json does not match", id="passages"),
    pytest.param("manifest.json", _truncate, r"manifest\.json is not valid JSON", id="manifest"),
    pytest.param("manifest.json", Path.unlink, r"no index in .*run `kbqa build`", id="missing"),
    pytest.param("vectors.npz", Path.unlink, r"vectors\.npz is missing", id="vectors"),
]


@pytest.mark.parametrize(("name", "damage", "message"), CORRUPTIONS)
def test_corrupt_index_is_refused(index_dir: Path, name: str, damage, message: str):
    damage(index_dir / name)
    with pytest.raises(IndexProblem, match=message) as caught:
        load_index(index_dir)
    assert "kbqa build" in str(caught.value)


def test_missing_index_folder(tmp_path: Path):
    with pytest.raises(IndexProblem, match=r"no index in .*nowhere.*run `kbqa build`"):
        load_index(tmp_path / "nowhere")


def test_swap_exchanges_folders(tmp_path: Path):
    old, new = tmp_path / "index", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "which").write_text("old")
    (new / "which").write_text("new")
    app.index.build._swap_into_place(new, old)
    assert (old / "which").read_text() == "new"
    assert (new / "which").read_text() == "old"
