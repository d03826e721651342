"""The UI's plain functions, without a server: replies, the API contract, escaping, feedback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app.compose import Answer, Confidence, Note, Quote, Why
from app.config import Paths
from app.embed import FakeEmbedder
from app.engine import Engine
from app.feedback import FeedbackLog
from app.render import render_html
from app.retrieve import Settings
from app.ui import PROMPT, api_ask, build_app, respond


@pytest.fixture
def engine(index_dir: Path, corpus_dir: Path, fake: FakeEmbedder) -> Engine:
    paths = Paths(corpus_dir=corpus_dir, index_dir=index_dir, feedback_dir=index_dir.parent)
    return Engine(paths, embedder=fake, settings=Settings(threshold=0.2))


def test_reply_for_a_question(engine: Engine):
    reply = respond(engine, "Should I close the dispute before I am paid?")
    assert 'class="kbqa-badge kbqa-no"' in reply.html
    assert "<mark>" in reply.html
    assert reply.answer["verdict"] == "no"
    assert reply.notice == ""
    assert len(reply.related) <= 3


@pytest.mark.parametrize("question", ["", "   ", None, 42])
def test_empty_or_odd_input_gets_a_friendly_prompt(engine: Engine, question):
    reply = respond(engine, question)
    assert reply.answer is None
    assert reply.notice == PROMPT
    assert PROMPT in reply.html


def test_long_question_is_cut_with_a_notice(engine: Engine):
    reply = respond(engine, "Should I close the dispute before I am paid? " * 40)
    assert "first 1,000 characters" in reply.notice
    assert len(reply.answer["question"]) <= 1000


def test_api_returns_the_json_contract(engine: Engine):
    answer = api_ask(engine, "How long do I have to appeal?")
    assert list(answer) == ["question", "verdict", "headline", "quotes", "confidence", "related"]
    json.dumps(answer)  # plain JSON types only
    assert api_ask(engine, "  ") == {
        "question": "  ",
        "error": "the question is empty: type a question about your AliExpress dispute",
    }


def test_html_escapes_everything():
    evil = "<img src=x onerror=alert(1)>"
    answer = Answer(
        question=evil,
        verdict="info",
        headline=f"headline {evil}",
        quotes=(
            Quote(
                id="x\"'",
                section=evil,
                text=f"before {evil} after",
                highlight=evil,
                score=0.5,
                why=Why("question", evil, 0.5, 0.5, 1, 1),
                notes=(Note(evil, evil),),
            ),
        ),
        confidence=Confidence("high", 0.5),
        related=(evil,),
    )
    html = render_html(answer)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<mark>&lt;img" in html


def test_feedback_is_appended_as_json_lines(tmp_path: Path):
    log = FeedbackLog(tmp_path / "fb")
    answer = {"question": "q?", "verdict": "no", "quotes": [{"id": "a"}, {"id": "b"}]}
    assert log.record(answer, True, " great ")
    assert log.record(answer, False)
    lines = [
        json.loads(line) for line in (tmp_path / "fb" / "feedback.jsonl").read_text().splitlines()
    ]
    assert [
        (r["question"], r["verdict"], r["quotes"], r["helpful"], r["comment"]) for r in lines
    ] == [
        ("q?", "no", ["a", "b"], True, "great"),
        ("q?", "no", ["a", "b"], False, ""),
    ]
    assert all(r["time"].endswith("Z") for r in lines)


def test_unwritable_feedback_is_logged_once_and_never_raises(tmp_path: Path, caplog):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    log = FeedbackLog(blocked)  # a folder that is a file: every write fails
    with caplog.at_level(logging.WARNING, logger="kbqa.feedback"):
        assert not log.record({"question": "q"}, True)
        assert not log.record({"question": "q"}, False)
    assert len([r for r in caplog.records if "feedback not saved" in r.message]) == 1


def test_app_builds_with_the_ask_endpoint(engine: Engine, tmp_path: Path):
    app = build_app(engine, FeedbackLog(tmp_path), ("How long to appeal?",), "Scope.")
    endpoints = app.get_api_info()["named_endpoints"]
    assert "/ask" in endpoints
    assert [p["parameter_name"] for p in endpoints["/ask"]["parameters"]] == ["question"]


def test_api_reports_an_unusable_index_as_an_error_not_a_crash(tmp_path: Path, fake: FakeEmbedder):
    broken = Engine(Paths(tmp_path / "no-corpus", tmp_path / "no-index", tmp_path), embedder=fake)
    assert api_ask(broken, "How long do I have to appeal?") == {
        "question": "How long do I have to appeal?",
        "error": "kbqa cannot answer right now; try again in a moment",
    }
    reply = respond(broken, "How long do I have to appeal?")
    assert reply.answer is None
    assert "cannot answer right now" in reply.notice
