"""Exact below a size, IVF above it, with nprobe tuned to a recall target."""

from __future__ import annotations

import functools
from pathlib import Path

import faiss
import numpy as np
import pytest

import app.index.build
from app.answer.engine import Engine
from app.config import Paths
from app.index.ann import RECALL_TARGET, build_dense, ready, recall_at_k
from app.index.build import build_index
from app.index.calibration import Settings
from app.index.embed import FakeEmbedder
from app.index.store import load_index


def clustered(n: int, dim: int = 32, centers: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around fixed cluster middles; seed varies only the points."""
    middles = np.random.default_rng(0).normal(size=(centers, dim))
    rng = np.random.default_rng(seed)
    x = middles[rng.integers(0, centers, n)] + rng.normal(0, 0.3, (n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_small_collections_stay_exact():
    index, description = build_dense(clustered(500))
    assert isinstance(index, faiss.IndexFlatIP)
    assert description["type"] == "IndexFlatIP"


def test_large_collections_switch_to_ivf_and_meet_the_recall_target(tmp_path: Path):
    vectors = clustered(4000)
    index, description = build_dense(vectors, ann_threshold=1000)
    assert description["type"] == "IndexIVFFlat"
    assert description["recall_at_10"] >= RECALL_TARGET
    assert index.nprobe == description["nprobe"]

    faiss.write_index(index, str(tmp_path / "ivf.faiss"))
    loaded = ready(faiss.read_index(str(tmp_path / "ivf.faiss")), description)
    assert loaded.nprobe == description["nprobe"]
    assert np.allclose(loaded.reconstruct(7), vectors[7])
    fresh = clustered(200, seed=1)
    assert recall_at_k(loaded, vectors, fresh) >= RECALL_TARGET


def test_an_ivf_index_answers_through_the_engine(
    tmp_path: Path, corpus_dir: Path, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(
        app.index.build, "build_dense", functools.partial(build_dense, ann_threshold=5)
    )
    build_index(corpus_dir, tmp_path / "index", fake)
    index = load_index(tmp_path / "index")
    assert index.manifest["faiss"]["type"] == "IndexIVFFlat"
    engine = Engine(
        Paths(corpus_dir, tmp_path / "index", tmp_path),
        embedder=fake,
        settings=Settings(threshold=0.2),
    )
    answer = engine.ask("Should I close the dispute before I am paid?")
    assert answer.quotes[0].id == "keep-open-until-paid"
