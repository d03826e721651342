"""The question log and actionable feedback: the record formats, rotation, a log that cannot
be written, and the page's loop (a question logged, one vote per answer with its log id)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.reading.conditions import MAX_OPTIONS
from app.serve.ask import Asker
from app.serve.feedback import FeedbackLog, read_feedback
from app.serve.page import build_app
from app.serve.querylog import QUESTIONS_FILE, QuestionLog, enabled, entry, read_log
from app.serve.replies import Shown, respond
from tests.conftest import StubEngine
from tests.test_ui import appeal_answer, page_events, refusal

QUESTION = "Should I close the dispute before I am paid?"
LOG_KEYS = [
    "id",
    "time",
    "question",
    "language",
    "verdict",
    "band",
    "score",
    "quotes",
    "runner_up",
    "clarify",
    "corpus_hash",
]
FEEDBACK_KEYS = [
    "time",
    "log_id",
    "question",
    "language",
    "verdict",
    "quotes",
    "band",
    "score",
    "corpus_hash",
    "helpful",
    "comment",
]


def corpus_hash(engine: Engine) -> str:
    return engine.load().index.manifest["corpus"]["hash"]


def test_a_logged_answer_has_the_documented_record(engine: Engine, tmp_path: Path):
    questions = QuestionLog(tmp_path / "fb")
    answer, ranking = engine.ask_with_hits(QUESTION)
    log_id = questions.record(answer, ranking, corpus_hash(engine))
    assert re.fullmatch(r"q-[0-9a-f]{12}", log_id)
    (line,) = (tmp_path / "fb" / QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert list(record) == LOG_KEYS
    assert record["id"] == log_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["time"])
    assert (record["question"], record["language"], record["verdict"]) == (QUESTION, "en", "no")
    assert (record["band"], record["score"]) == (
        answer.confidence.band,
        round(answer.confidence.score, 4),
    )
    assert record["quotes"] == [{"id": q.id, "score": q.score} for q in answer.quotes]
    runner = next(hit for hit in ranking if hit.passage.id != answer.quotes[0].id)
    assert record["runner_up"] == {
        "id": runner.passage.id,
        "verdict": runner.passage.verdict,
        "score": round(runner.score, 4),
    }
    assert record["clarify"] is False
    assert record["corpus_hash"] == corpus_hash(engine)
    assert read_log(tmp_path / "fb") == [record]


def test_a_refusal_logs_the_top_passage_as_runner_up(engine: Engine, tmp_path: Path):
    _, ranking = engine.ask_with_hits(QUESTION)
    questions = QuestionLog(tmp_path)
    questions.record(refusal(), ranking, "h")
    questions.record(refusal(), [], "h")
    refused, alone = read_log(tmp_path)
    assert refused["quotes"] == []
    assert refused["runner_up"]["id"] == ranking[0].passage.id
    assert alone["runner_up"] is None
    assert refused["id"] != alone["id"]


def test_a_clarifying_answer_is_marked():
    record = entry(appeal_answer(), [], "h", "q-000000000000")
    assert record["clarify"] is True
    assert record["verdict"] == "depends"
    assert [q["id"] for q in record["quotes"]] == ["appeal-window", "appeal-late"]


def test_the_log_rotates_by_size_and_keeps_three(tmp_path: Path):
    line_bytes = len(json.dumps(entry(refusal(), [], "h", "q-0123456789ab"))) + 1
    questions = QuestionLog(tmp_path, max_bytes=2 * line_bytes + 40, keep=3)
    ids = [questions.record(refusal(), [], "h") for _ in range(11)]
    assert all(ids)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [QUESTIONS_FILE, *(f"{QUESTIONS_FILE}.{n}" for n in (1, 2, 3))]
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= questions.max_bytes
        assert len(path.read_text().splitlines()) == 2 or path.name == QUESTIONS_FILE
    # Oldest first: .3, .2, .1, then the current file; the oldest lines rotated away.
    assert [r["id"] for r in read_log(tmp_path)] == ids[-7:]


def test_reading_skips_malformed_lines_and_a_missing_folder(tmp_path: Path):
    assert read_log(tmp_path / "none") == []
    assert read_feedback(tmp_path / "none") == []
    (tmp_path / f"{QUESTIONS_FILE}.1").write_text('{"id": "q-1"}\n{"id": "q-2", "ti\n')
    (tmp_path / QUESTIONS_FILE).write_text('[1, 2]\nnot json\n{"id": "q-3"}\n\n{"id": "q-4"')
    assert [r["id"] for r in read_log(tmp_path)] == ["q-1", "q-3"]


def test_an_unwritable_log_warns_once_and_answering_goes_on(engine: Engine, tmp_path, caplog):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    questions = QuestionLog(blocked)  # a folder that is a file: every write fails
    with caplog.at_level(logging.WARNING, logger="kbqa.querylog"):
        first = respond(Asker(engine, questions), QUESTION)
        second = respond(Asker(engine, questions), QUESTION)
        assert Asker(engine, questions).ask(QUESTION).to_dict()["verdict"] == "no"
    assert first.answer["verdict"] == second.answer["verdict"] == "no"
    assert first.log_id is None
    assert len([r for r in caplog.records if "question not logged" in r.message]) == 1


def test_the_api_logs_its_answers_and_not_its_errors(engine: Engine, tmp_path: Path):
    questions = QuestionLog(tmp_path)
    answer = Asker(engine, questions).ask(QUESTION).to_dict()
    assert "id" not in answer  # the JSON contract is unchanged
    refused = Asker(engine, questions).ask("   ").to_dict()
    assert refused["error"].startswith("the question is empty")
    (record,) = read_log(tmp_path)
    assert record["question"] == QUESTION
    assert record["corpus_hash"] == corpus_hash(engine)


def test_respond_without_a_log_logs_nothing():
    reply = respond(Asker(StubEngine(appeal_answer())), "q")
    assert reply.result == appeal_answer()
    assert (reply.log_id, reply.corpus_hash) == (None, "")


def test_a_vote_has_the_documented_record(tmp_path: Path):
    feedback = FeedbackLog(tmp_path)
    answer = appeal_answer(clarify=False)
    assert feedback.record(answer, False, " wrong ", log_id="q-0123456789ab", corpus_hash="h")
    assert feedback.record({"question": "q?"}, True)  # an old-style caller still works
    voted, old = read_feedback(tmp_path)
    assert list(voted) == FEEDBACK_KEYS
    assert voted["log_id"] == "q-0123456789ab"
    assert (voted["question"], voted["language"], voted["verdict"]) == (
        answer.question,
        "en",
        "depends",
    )
    assert voted["quotes"] == ["appeal-window", "appeal-late"]
    assert (voted["band"], voted["score"], voted["corpus_hash"]) == ("medium", 0.55, "h")
    assert (voted["helpful"], voted["comment"]) == (False, "wrong")
    assert (old["log_id"], old["question"], old["helpful"]) == (None, "q?", True)


def outputs(shown: tuple) -> dict:
    """The page's outputs by name (the order of ``build_app``'s ``outputs``)."""
    comment, helpful, unhelpful = shown[-MAX_OPTIONS - 4 : -MAX_OPTIONS - 1]
    return {
        "html": shown[0],
        "state": shown[2],
        "thanks": shown[4],
        "comment": comment,
        "helpful": helpful,
        "unhelpful": unhelpful,
    }


def test_the_page_logs_a_question_and_takes_one_vote_per_answer(engine: Engine, tmp_path: Path):
    questions, feedback = QuestionLog(tmp_path), FeedbackLog(tmp_path)
    app = build_app(Asker(engine, questions), feedback)
    events = page_events(app)
    (ask,) = events[("click", "kbqa-ask")]
    (helpful,) = events[("click", "kbqa-helpful")]
    (unhelpful,) = events[("click", "kbqa-unhelpful")]

    page = outputs(ask.fn(QUESTION))
    state = page["state"]
    assert isinstance(state, Shown)
    (logged,) = read_log(tmp_path)
    assert state.log_id == logged["id"]
    assert state.corpus_hash == logged["corpus_hash"] == corpus_hash(engine)
    assert page["helpful"]["interactive"] is page["unhelpful"]["interactive"] is True

    thanks, comment, state, *buttons = unhelpful.fn(state, "it quoted the wrong passage")
    assert thanks == "Thanks for the feedback!"
    assert all(b["interactive"] is False for b in buttons)  # one vote per answer
    assert comment["interactive"] is False
    assert "value" not in comment
    assert state.voted
    (vote,) = read_feedback(tmp_path)
    assert vote["log_id"] == logged["id"]
    assert (vote["helpful"], vote["comment"]) == (False, "it quoted the wrong passage")
    assert (vote["band"], vote["score"]) == (logged["band"], logged["score"])
    assert vote["corpus_hash"] == logged["corpus_hash"]

    # A second click on the same answer (had it raced the disabling) is ignored.
    again = helpful.fn(state, "")
    assert all(b["interactive"] is False for b in again[3:])
    unhelpful.fn(state, "")
    assert len(read_feedback(tmp_path)) == 1

    # The next answer gets its own log id and both buttons back.
    page = outputs(ask.fn("How long do I have to appeal?"))
    assert page["helpful"]["interactive"] is page["unhelpful"]["interactive"] is True
    assert page["comment"]["interactive"] is True
    assert page["comment"]["value"] == ""
    assert page["thanks"] == ""
    assert not page["state"].voted
    first, second = read_log(tmp_path)
    assert page["state"].log_id == second["id"] != first["id"]
    helpful.fn(page["state"], "")
    assert [v["log_id"] for v in read_feedback(tmp_path)] == [first["id"], second["id"]]


def test_a_clarifying_option_keeps_the_log_id_and_the_vote(tmp_path: Path):
    questions, feedback = QuestionLog(tmp_path), FeedbackLog(tmp_path)
    app = build_app(Asker(StubEngine(appeal_answer()), questions), feedback)
    events = page_events(app)
    (ask,) = events[("click", "kbqa-ask")]
    (helpful,) = events[("click", "kbqa-helpful")]
    option = events[("click", "kbqa-option")][1]

    state = outputs(ask.fn("can I still appeal my dispute?"))["state"]
    _, _, voted, *_ = helpful.fn(state, "")
    page = outputs(option.fn(voted))
    assert page["state"].answer.verdict == "no"  # the side chosen
    assert page["state"].log_id == state.log_id
    assert page["helpful"]["interactive"] is page["unhelpful"]["interactive"] is False
    assert page["thanks"] == {"__type__": "update"}  # the thanks stays

    # Without a vote first, the side chosen is voted on with the question's log id.
    state = outputs(ask.fn("can I still appeal my dispute?"))["state"]
    page = outputs(option.fn(state))
    assert page["helpful"]["interactive"] is True
    helpful.fn(page["state"], "")
    votes = read_feedback(tmp_path)
    assert [(v["log_id"], v["verdict"]) for v in votes] == [
        (read_log(tmp_path)[0]["id"], "depends"),
        (state.log_id, "no"),
    ]


def test_a_page_without_a_log_still_takes_votes(engine: Engine, tmp_path: Path):
    app = build_app(Asker(engine), FeedbackLog(tmp_path))
    events = page_events(app)
    (ask,) = events[("click", "kbqa-ask")]
    (helpful,) = events[("click", "kbqa-helpful")]
    state = outputs(ask.fn(QUESTION))["state"]
    assert state.log_id is None
    helpful.fn(state, "")
    (vote,) = read_feedback(tmp_path)
    assert vote["log_id"] is None
    assert vote["corpus_hash"] == corpus_hash(engine)
    assert not (tmp_path / QUESTIONS_FILE).exists()


@pytest.mark.parametrize(
    ("flag", "env", "logged"),
    [
        (False, {}, True),
        (True, {}, False),
        (False, {"KBQA_LOG": "0"}, False),
        (False, {"KBQA_LOG": "off"}, False),
        (False, {"KBQA_LOG": "1"}, True),
    ],
)
def test_no_log_and_kbqa_log_0_turn_the_log_off(flag, env, logged):
    assert enabled(flag, env) is logged


def test_serve_gets_the_log_unless_it_is_off(monkeypatch, tmp_path: Path):
    from app.cli import main as cli
    from app.cli import serve as command
    from tests.conftest import free_port

    served = []
    monkeypatch.setattr(command, "serve", lambda engine, **kwargs: served.append(kwargs))
    monkeypatch.setattr(command, "engine_for", lambda args, build_missing=False: object())
    monkeypatch.delenv("KBQA_LOG", raising=False)
    base = ["serve", "--port", str(free_port()), "--feedback-dir", str(tmp_path)]
    assert cli.main(base) == 0
    assert cli.main([*base, "--no-log"]) == 0
    monkeypatch.setenv("KBQA_LOG", "0")
    assert cli.main(base) == 0
    on, flag_off, env_off = served
    assert on["questions"].path == tmp_path / QUESTIONS_FILE
    assert on["feedback"].path == tmp_path / "feedback.jsonl"
    assert flag_off["questions"] is None
    assert env_off["questions"] is None
