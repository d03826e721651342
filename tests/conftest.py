"""Shared fixtures: a tiny corpus you can check by eye, and a fake embedder."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.answer.records import Answer
from app.config import Paths
from app.corpus.load import load_corpus
from app.corpus.records import Corpus, Locale, Scope
from app.errors import IndexProblem
from app.index.build import build_index
from app.index.calibration import Settings
from app.index.embed import FakeEmbedder
from app.reading.input import question_text

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent
# The answer's JSON contract, in order: what `kbqa ask --json`, /ask and the page's state hold.
ANSWER_KEYS = [
    "question",
    "verdict",
    "headline",
    "claim",
    "quotes",
    "confidence",
    "related",
    "clarify",
    "language",
]


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


@pytest.fixture
def engine(index_dir: Path, corpus_dir: Path, fake: FakeEmbedder) -> Engine:
    """An engine over the fixture index, refusing below a fused score of 0.2."""
    paths = Paths(corpus_dir=corpus_dir, index_dir=index_dir, feedback_dir=index_dir.parent)
    return Engine(paths, embedder=fake, settings=Settings(threshold=0.2))


@functools.cache
def repo_corpus() -> Corpus:
    """The repository's corpus, parsed once per test run."""
    return load_corpus(REPO / "corpus")


class StubEngine:
    """An engine that gives one fixed answer, for what the real one can't be made to say, with
    the words of the repository's corpus (English, and Russian for ``ru``)."""

    main_language = "en"

    def __init__(self, answer: Answer):
        self.answer = answer

    def ask_with_hits(self, question: object) -> tuple[Answer, list]:
        question_text(question)  # the one rule, as the real engine applies it
        return self.answer, []

    def ask(self, question: object) -> Answer:
        return self.ask_with_hits(question)[0]

    def labels(self, language: str) -> dict[str, str]:
        view = _view(language)
        assert view.language is not None
        return dict(view.language.labels)

    def scope(self, language: str) -> Scope:
        return _view(language).scope

    def load(self):
        raise IndexProblem("a stub answers from no index")


def _view(language: str) -> Corpus | Locale:
    corpus = repo_corpus()
    return next((loc for loc in corpus.locales if loc.code == language), corpus)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder and its bytes, to prove a failed build changed nothing."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`kbqa serve` in a subprocess on a free loopback port, with feedback in a temp folder."""

    def __init__(self, feedback_dir: Path, index_dir: Path | None = None):
        import os
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.feedback_dir = feedback_dir
        env = {**os.environ, "KBQA_FEEDBACK_DIR": str(feedback_dir)}
        if index_dir is not None:
            env["KBQA_INDEX_DIR"] = str(index_dir)
        self.log = feedback_dir.parent / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"server not ready after {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - a stuck server is killed, whatever the cause
            self.process.kill()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("feedback"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
