"""Shared fixtures: a tiny corpus you can check by eye, and a fake embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.embed import FakeEmbedder
from app.index import build_index

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", target)
    return target


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def index_dir(tmp_path: Path, corpus_dir: Path, fake: FakeEmbedder) -> Path:
    """The fixture corpus built with the fake embedder."""
    target = tmp_path / "index"
    build_index(corpus_dir, target, fake)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder and its bytes, to prove a failed build changed nothing."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
