"""`kbqa build` and scripts/build_index.py from the outside: messages, exit codes, paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import app.cli.build
import app.index.embed
from app.cli.main import main
from app.index.embed import FakeEmbedder
from tests.conftest import REPO, snapshot


def run_kbqa(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Writable copies of the real corpus/ and committed index/."""
    shutil.copytree(REPO / "corpus", tmp_path / "corpus")
    shutil.copytree(REPO / "index", tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


def test_duplicated_corpus_file_fails_and_changes_nothing(repo_copy):
    corpus, index = repo_copy
    shutil.copy(corpus / "04-unfair-sellers.md", corpus / "newname.md")
    before = snapshot(index)

    result = run_kbqa("build", "--corpus-dir", str(corpus), "--index-dir", str(index))

    assert result.returncode == 1
    assert "newname.md:3: duplicate id 'why-sellers-push-to-cancel'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "was not changed" in result.stderr
    assert snapshot(index) == before


def test_paths_come_from_environment(repo_copy, monkeypatch, capsys):
    corpus, index = repo_copy
    (corpus / "02-when-not-to-close.md").unlink()  # a smaller, different corpus
    monkeypatch.setenv("KBQA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("KBQA_INDEX_DIR", str(index))
    monkeypatch.setattr(app.cli.build, "get_embedder", lambda device="cpu": FakeEmbedder())

    assert main(["build"]) == 0
    assert capsys.readouterr().out.startswith(f"built {index}:")
    assert main(["build"]) == 0
    assert "index is up to date" in capsys.readouterr().out
    manifest = json.loads((index / "manifest.json").read_text())
    assert "02-when-not-to-close.md" not in manifest["corpus"]["files"]


def test_flags_override_environment(repo_copy, tmp_path, monkeypatch, capsys):
    corpus, _ = repo_copy
    monkeypatch.setenv("KBQA_INDEX_DIR", str(tmp_path / "from-env"))
    monkeypatch.setattr(app.cli.build, "get_embedder", lambda device="cpu": FakeEmbedder())
    assert main(["build", "--corpus-dir", str(corpus), "--index-dir", str(tmp_path / "flag")]) == 0
    assert (tmp_path / "flag" / "manifest.json").exists()
    assert not (tmp_path / "from-env").exists()


@pytest.mark.integration
def test_build_script_rebuilds_with_the_real_model(repo_copy):
    corpus, index = repo_copy
    result = subprocess.run(
        [sys.executable, "scripts/build_index.py", "--force"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "KBQA_CORPUS_DIR": str(corpus), "KBQA_INDEX_DIR": str(index)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"built {index}: 62 passages")
    rebuilt = json.loads((index / "manifest.json").read_text())
    committed = json.loads((REPO / "index" / "manifest.json").read_text())
    assert rebuilt["model"] == committed["model"]
    assert rebuilt["counts"] == committed["counts"]
    assert rebuilt["files"]["passages.json"] == committed["files"]["passages.json"]
