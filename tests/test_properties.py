"""Any string in, a valid answer or a clear refusal out: never another exception."""

from __future__ import annotations

import io
import shutil
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import app.engine
from app.cli import main
from app.compose import VERDICTS, Answer
from app.config import Paths
from app.corpus import load_corpus
from app.embed import FakeEmbedder
from app.engine import Engine
from app.errors import InputError
from app.index import build_index
from app.retrieve import Settings
from tests.conftest import FIXTURES

NASTY = [
    "",
    " \t\n",
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "🙂🔥 dispute?? 🙃",
    "هل يجب أن أغلق النزاع؟",
    "מה לעשות עם המחלוקת",
    "Продавец просит закрыть спор, что делать?",
    "'; DROP TABLE passages; --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\u202eesolc I dluohs",
    "\ufeff\u200b\u200d",
    "x" * 200_000,
    "close dispute " * 20_000,
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("prop")
    shutil.copytree(FIXTURES / "corpus", root / "corpus")
    build_index(root / "corpus", root / "index", FakeEmbedder())
    return Engine(
        Paths(root / "corpus", root / "index", root),
        embedder=FakeEmbedder(),
        settings=Settings(threshold=0.2),
    )


@pytest.fixture(scope="module")
def source() -> str:
    return " ".join(load_corpus(FIXTURES / "corpus").source_lines)


def check(engine: Engine, source: str, question: str) -> None:
    try:
        answer = engine.ask(question)
    except InputError as err:
        refusal = str(err)
    else:
        refusal = None
    if refusal is not None:
        assert "empty" in refusal or "must be text" in refusal
        return
    assert isinstance(answer, Answer)
    assert answer.verdict in VERDICTS
    assert answer.headline
    assert len(answer.question) <= 1000
    for quote in answer.quotes:
        assert quote.text in source
        assert quote.highlight in quote.text
    assert (answer.verdict == "not_covered") == (answer.quotes == ())


@settings(
    max_examples=300,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(question=st.text(max_size=3000))
@example(question=NASTY[-2])
@example(question=NASTY[-1])
def test_any_text_gets_an_answer_or_a_refusal(engine, source, question):
    check(engine, source, question)


@pytest.mark.parametrize("question", NASTY, ids=range(len(NASTY)))
def test_nasty_inputs(engine, source, question):
    check(engine, source, question)


@pytest.mark.parametrize("question", NASTY, ids=range(len(NASTY)))
def test_cli_answers_or_refuses_with_exit_0_or_2(engine, monkeypatch, capsys, question):
    monkeypatch.setenv("KBQA_CORPUS_DIR", str(engine.paths.corpus_dir))
    monkeypatch.setenv("KBQA_INDEX_DIR", str(engine.paths.index_dir))
    monkeypatch.setattr(app.engine, "get_embedder", lambda device="cpu": FakeEmbedder())
    code = main(["ask", "--json", question])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert (code == 2) == (out == "")
    assert "Traceback" not in err


def test_stdin_batch_survives_every_nasty_line(engine, monkeypatch, capsys):
    monkeypatch.setenv("KBQA_CORPUS_DIR", str(engine.paths.corpus_dir))
    monkeypatch.setenv("KBQA_INDEX_DIR", str(engine.paths.index_dir))
    monkeypatch.setattr(app.engine, "get_embedder", lambda device="cpu": FakeEmbedder())
    lines = [n.replace("\n", " ") for n in NASTY]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["ask", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(lines)
