"""`kbqa ask` and `kbqa eval` from the outside: output shapes, stdin batches, exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app.answer.engine
from app.cli.main import main
from app.index.embed import FakeEmbedder
from tests.conftest import ANSWER_KEYS, REPO

CONTRACT = ANSWER_KEYS


@pytest.fixture
def fixture_env(monkeypatch, index_dir: Path, corpus_dir: Path):
    """Point the CLI at the fixture index, answered with the fake embedder."""
    monkeypatch.setenv("KBQA_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("KBQA_INDEX_DIR", str(index_dir))
    monkeypatch.setattr(app.answer.engine, "get_embedder", lambda device="cpu": FakeEmbedder())


def test_json_answer_has_exactly_the_contract(fixture_env, capsys):
    assert main(["ask", "--json", "Should I close the dispute before I am paid?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert list(answer) == CONTRACT
    assert answer["question"] == "Should I close the dispute before I am paid?"
    assert answer["verdict"] in ("yes", "no", "depends", "info", "not_covered")
    quote = answer["quotes"][0]
    assert {"id", "section", "text", "highlight", "score", "why"} <= set(quote)
    assert quote["highlight"] in quote["text"]


def test_text_answer_marks_the_highlight(fixture_env, capsys):
    assert main(["ask", "How long do I have to appeal?"]) == 0
    out = capsys.readouterr().out
    assert "confidence:" in out
    assert "»" in out and "«" in out  # noqa: PT018 - the two markers of one highlight


def test_stdin_gives_json_lines_one_per_question(fixture_env, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("How long to appeal?\n\n  \nrefund broken?\n"))
    assert main(["ask", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 4
    assert list(lines[0]) == CONTRACT
    assert lines[1] == {"question": "", "error": lines[1]["error"], "status": 400}
    assert "empty" in lines[1]["error"]
    assert lines[3]["question"] == "refund broken?"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
        timeout=600,
    )


@pytest.mark.parametrize("question", ["", "   ", "\t"])
def test_empty_question_exits_2_without_traceback(question: str):
    result = run_cli("ask", question)
    assert result.returncode == 2
    assert "the question is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_index_without_corpus_names_the_build_command(tmp_path: Path):
    result = run_cli(
        "ask",
        "--index-dir",
        str(tmp_path / "none"),
        "--corpus-dir",
        str(tmp_path / "nothing"),
        "How do I cancel a dispute?",
    )
    assert result.returncode == 1
    assert "run `kbqa build`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_missing_index_is_built_when_the_corpus_is_there(tmp_path: Path, corpus_dir: Path):
    index = tmp_path / "built"
    result = run_cli(
        "ask",
        "--json",
        "--index-dir",
        str(index),
        "--corpus-dir",
        str(corpus_dir),
        "How long do I have to appeal?",
    )
    assert result.returncode == 0, result.stderr
    assert f"no index in {index}: building it" in result.stderr
    assert (index / "manifest.json").exists()
    assert json.loads(result.stdout)["quotes"][0]["id"] == "appeal-window"


@pytest.mark.integration
def test_real_answer_for_a_buyer_question():
    result = run_cli("ask", "--json", "seller offers a paypal refund if I close the dispute, ok?")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["verdict"] in ("no", "depends")
    assert answer["quotes"][0]["id"] in (
        "paypal-refund-scam",
        "sign-paypal-offer",
        "ignore-offers-to-cancel",
    )


@pytest.mark.integration
def test_eval_prints_the_report_table():
    result = run_cli("eval", "--set", str(REPO / "tests" / "eval" / "heldout2.yaml"))
    assert result.returncode == 0, result.stderr
    assert "right passage quoted first" in result.stdout
    assert "heldout2" in result.stdout


def test_serve_on_a_busy_port_says_so_before_loading_anything():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["abc", "0", "70000"])
def test_serve_refuses_a_bad_port(port: str):
    result = run_cli("serve", "--port", port)
    assert result.returncode == 2
    assert "port must be" in result.stderr
