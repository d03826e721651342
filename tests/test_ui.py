"""The UI's plain functions, without a server: replies, clarifying options, the API contract,
escaping, feedback, and the page's wiring (called directly, no browser)."""

from __future__ import annotations

import json
import logging
from html import escape
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.answer.records import Answer, Claim, Clarify, Confidence, Note, Option, Quote, Why
from app.config import Paths
from app.index.embed import FakeEmbedder
from app.reading.conditions import MAX_OPTIONS
from app.serve.ask import Asker
from app.serve.feedback import FeedbackLog
from app.serve.page import build_app
from app.serve.render import render_html, render_text
from app.serve.replies import choose, respond
from tests.conftest import ANSWER_KEYS, StubEngine, repo_corpus

NOT_COVERED = "The guide doesn't cover this."
ENGLISH = StubEngine.labels(None, "en")  # type: ignore[arg-type]
RUSSIAN = StubEngine.labels(None, "ru")  # type: ignore[arg-type]
# What the fixture corpus's page says in an empty answer area (its scope's prompt).
PROMPT = "Type a question about returns, or pick an example above."

SCOPE = "The guide covers AliExpress disputes: when to keep one open and when to cancel it."


def quote(passage_id: str, section: str, matched: str, matched_text: str) -> Quote:
    text = f"The guide's words about {passage_id}. A second sentence."
    return Quote(
        id=passage_id,
        section=section,
        text=text,
        highlight=text.split(". ")[0] + ".",
        score=0.8,
        why=Why(
            matched=matched,
            matched_text=matched_text,
            dense=0.9,
            lexical=0.3,
            dense_rank=1,
            lexical_rank=3,
        ),
    )


def appeal_answer(clarify: bool = True) -> Answer:
    """A hand-made "it depends" answer, as the engine gives for "can I still appeal?"."""
    options = (
        Option(
            label="15 days or fewer",
            verdict="yes",
            headline="You can still appeal. You can appeal within 15 days of the dispute closing.",
            claim=Claim(text="You can still appeal", holds=True, says="You can still appeal"),
            quotes=("appeal-window",),
        ),
        Option(
            label="More than 15 days",
            verdict="no",
            headline="You can no longer appeal. After 15 days the decision is final.",
            claim=Claim(text="You can still appeal", holds=False, says="You can no longer appeal"),
            quotes=("appeal-late", "appeal-window"),
        ),
    )
    return Answer(
        question="can I still appeal my dispute?",
        verdict="depends",
        headline="It depends. You can appeal a closed dispute within 15 days.",
        claim=None,
        quotes=(
            quote("appeal-window", "Appeals", "question", "How long do I have to appeal?"),
            quote("appeal-late", "Late appeals", "rule", "After 15 days the decision is final."),
        ),
        confidence=Confidence(band="medium", score=0.55),
        related=("How do I cancel a dispute?",),
        clarify=Clarify(question="How many days ago did the dispute close?", options=options)
        if clarify
        else None,
        language="en",
    )


def refusal() -> Answer:
    return Answer(
        question="what's the weather in Paris?",
        verdict="not_covered",
        headline=f"{NOT_COVERED} {SCOPE}",
        claim=None,
        quotes=(),
        confidence=Confidence(band="none", score=0.1),
        related=("Should I close the dispute if the seller offers a PayPal refund?",),
        clarify=None,
        language="en",
    )


def asker(engine) -> Asker:
    return Asker(engine)


def test_reply_for_a_question(engine: Engine):
    reply = respond(asker(engine), "Should I close the dispute before I am paid?")
    assert 'class="kbqa-badge kbqa-no"' in reply.html
    assert "<mark>" in reply.html
    assert reply.answer["verdict"] == "no"
    assert reply.notice == ""
    assert len(reply.related) <= 3


@pytest.mark.parametrize("question", ["", "   ", None, 42])
def test_empty_or_odd_input_gets_a_friendly_prompt_once(engine: Engine, question):
    reply = respond(asker(engine), question)
    assert reply.answer is None
    assert reply.result is None
    assert reply.options == ()
    assert PROMPT in reply.html
    assert reply.notice == ""  # said once, in the answer area, not again above it


def test_the_prompt_points_up_to_the_examples():
    # The examples are above the answer area, where the prompt shows.
    prompt = repo_corpus().scope.word("prompt")
    assert "above" in prompt
    assert "below" not in prompt


def test_a_long_question_is_refused_with_a_friendly_line(engine: Engine):
    reply = respond(asker(engine), "Should I close the dispute before I am paid? " * 40)
    assert reply.answer is None
    assert "Your question is 1,800 characters long" in reply.html
    assert "1000 characters or fewer" in reply.html


def test_api_returns_the_json_contract(engine: Engine):
    answer = asker(engine).ask("How long do I have to appeal?").to_dict()
    assert list(answer) == ANSWER_KEYS
    json.dumps(answer)  # plain JSON types only
    assert asker(engine).ask("  ").to_dict() == {
        "question": "  ",
        "error": "the question is empty: type a question",
        "status": 400,
    }


def test_html_escapes_everything():
    evil = "<img src=x onerror=alert(1)>"
    answer = Answer(
        question=evil,
        verdict="info",
        headline=f"headline {evil}",
        claim=None,
        quotes=(
            Quote(
                id="x\"'",
                section=evil,
                text=f"before {evil} after",
                highlight=evil,
                score=0.5,
                why=Why(
                    matched="question",
                    matched_text=evil,
                    dense=0.5,
                    lexical=0.5,
                    dense_rank=1,
                    lexical_rank=1,
                ),
                notes=(Note(term=evil, means=evil),),
            ),
        ),
        confidence=Confidence(band="high", score=0.5),
        related=(evil,),
        clarify=Clarify(
            question=evil,
            options=(
                Option(label=evil, verdict="yes", headline=evil, claim=None, quotes=("x\"'",)),
            ),
        ),
        language="en",
    )
    html = render_html(answer, ENGLISH)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<mark>&lt;img" in html
    assert '<p class="kbqa-clarify">&lt;img src=x onerror=alert(1)&gt;</p>' in html
    assert "<img" not in render_html(answer.choose(0), ENGLISH)


def test_text_lists_the_clarifying_question_and_its_options_after_the_confidence():
    lines = render_text(appeal_answer(), ENGLISH).splitlines()
    assert lines[0].startswith("IT DEPENDS  It depends.")
    assert lines[1].startswith("confidence: medium")
    at = lines.index("How many days ago did the dispute close?")
    assert at < lines.index("[1] Appeals  (appeal-window)")
    assert lines[at + 1 : at + 5] == [  # each option wrapped under its number
        "  1. 15 days or fewer: YES  You can still appeal. You can appeal within 15 days of the",
        "     dispute closing.",
        "  2. More than 15 days: NO  You can no longer appeal. After 15 days the decision is",
        "     final.",
    ]
    assert "How many days" not in render_text(appeal_answer(clarify=False), ENGLISH)


def test_html_asks_the_clarifying_question_after_the_quotes_next_to_the_buttons():
    html = render_html(appeal_answer(), ENGLISH)
    assert '<p class="kbqa-clarify">How many days ago did the dispute close?</p>' in html
    assert html.index("kbqa-clarify") > html.rindex("kbqa-quote")
    assert "kbqa-clarify" not in render_html(appeal_answer(clarify=False), ENGLISH)


def test_why_names_the_guides_question_and_leaves_the_numbers_to_the_json():
    html = render_html(appeal_answer(), ENGLISH)
    why = html[html.index('<details class="kbqa-why">') :]
    assert "Your question is closest to the guide's question “How long do I have to appeal?”" in (
        why
    )
    assert "<b>Second passage</b>: Your question matches this passage's summary: “After 15" in why
    for number in ("dense", "lexical", "#1", "#3", "0.90", "0.30", "0.80"):
        assert number not in why
    assert appeal_answer().to_dict()["quotes"][0]["why"]["dense_rank"] == 1  # still in the JSON


def test_why_for_a_sentence_or_the_whole_text():
    answer = appeal_answer(clarify=False)
    sentence = quote("a", "S", "sentence", "A second sentence.")
    text = quote("b", "T", "text", "The guide's words about b. A second sentence.")
    html = render_html(answer.model_copy(update={"quotes": (sentence, text)}), ENGLISH)
    assert "this sentence of the passage: “A second sentence.”" in html
    assert "Your question matches the words of this passage." in html


def test_a_refusal_is_one_short_line_without_the_scope_or_the_examples_again():
    reply = respond(asker(StubEngine(refusal())), "what's the weather in Paris?")
    assert f'<p class="kbqa-headline">{escape(NOT_COVERED)}</p>' in reply.html
    assert "covers AliExpress disputes" not in reply.html  # the page's top shows the scope
    assert "examples above" in reply.html
    assert reply.related == ()  # a refusal's related questions are the page's examples
    assert reply.answer["headline"].endswith(SCOPE)  # the JSON keeps the whole headline
    assert SCOPE in render_text(refusal(), ENGLISH)  # and so does the terminal, which has no intro


def test_a_clarifying_answer_offers_its_options():
    answer = appeal_answer()
    reply = respond(asker(StubEngine(answer)), "can I still appeal my dispute?")
    assert reply.options == ("15 days or fewer", "More than 15 days")
    assert reply.result == answer
    assert reply.answer["clarify"]["question"] == "How many days ago did the dispute close?"
    assert respond(asker(StubEngine(appeal_answer(clarify=False))), "q").options == ()


def test_at_most_four_options_get_a_button():
    answer = appeal_answer()
    many = Clarify(
        question="Which?",
        options=tuple(
            Option(label=f"o{n}", verdict="yes", headline="h", claim=None, quotes=())
            for n in range(6)
        ),
    )
    reply = respond(asker(StubEngine(answer.model_copy(update={"clarify": many}))), "q")
    assert reply.options == ("o0", "o1", "o2", "o3")
    assert len(reply.options) == MAX_OPTIONS


def test_choosing_an_option_answers_for_that_side():
    reply = choose(appeal_answer(), 1, ENGLISH)
    assert 'class="kbqa-badge kbqa-no"' in reply.html
    assert "You can no longer appeal. After 15 days the decision is final." in reply.html
    assert "kbqa-clarify" not in reply.html
    assert reply.options == ()
    assert reply.answer["verdict"] == "no"
    assert reply.answer["claim"] == {
        "text": "You can still appeal",
        "holds": False,
        "says": "You can no longer appeal",
    }
    assert reply.answer["clarify"] is None
    assert [q["id"] for q in reply.answer["quotes"]] == ["appeal-late", "appeal-window"]
    assert reply.related == ("How do I cancel a dispute?",)

    assert choose(appeal_answer(), 0, ENGLISH).answer["verdict"] == "yes"


def test_a_stale_option_click_never_fails():
    answer = appeal_answer(clarify=False)
    assert choose(answer, 0, ENGLISH).answer == answer.to_dict()  # the options already went
    assert choose(appeal_answer(), 7, ENGLISH).options == ("15 days or fewer", "More than 15 days")


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
    app = build_app(asker(engine), FeedbackLog(tmp_path))
    endpoints = app.get_api_info()["named_endpoints"]
    assert "/ask" in endpoints
    assert [p["parameter_name"] for p in endpoints["/ask"]["parameters"]] == ["question"]


def page_events(app) -> dict[tuple[str, str], object]:
    """The page's event handlers by (what triggers them, the trigger's label or class)."""
    events = {}
    for fn in app.fns.values():
        for block_id, trigger in fn.targets:
            block = app.blocks[block_id]
            name = " ".join(block.elem_classes or []) or block.elem_id or str(block_id)
            events.setdefault((trigger, name), []).append(fn)
    return events


def test_option_buttons_answer_in_one_click_and_feedback_gets_the_json(tmp_path: Path):
    feedback = FeedbackLog(tmp_path)
    app = build_app(asker(StubEngine(appeal_answer())), feedback)
    events = page_events(app)
    (ask,) = events[("click", "kbqa-ask")]
    shown = ask.fn("can I still appeal my dispute?")
    html, status, state, *_, options_row = shown[:-MAX_OPTIONS]
    options = shown[-MAX_OPTIONS:]
    assert "kbqa-clarify" in html
    assert state.answer == appeal_answer()  # the Answer itself, to choose from
    assert status["visible"] is False
    assert options_row["visible"] is True
    assert [o.get("value") for o in options] == [
        "15 days or fewer",
        "More than 15 days",
        None,
        None,
    ]
    assert [o["visible"] for o in options] == [True, True, False, False]

    option_clicks = events[("click", "kbqa-option")]
    assert len(option_clicks) == MAX_OPTIONS
    assert all(len(fn.inputs) == 1 for fn in option_clicks)  # the state: nothing to retype
    chosen = option_clicks[0].fn(state)
    assert 'class="kbqa-badge kbqa-yes"' in chosen[0]
    assert chosen[2].answer.verdict == "yes"
    assert chosen[-MAX_OPTIONS - 1]["visible"] is False  # the options go once one is chosen

    (helpful,) = events[("click", "kbqa-helpful")]
    thanks, *_ = helpful.fn(chosen[2], "clear")
    assert thanks == "Thanks for the feedback!"
    entry = json.loads((tmp_path / "feedback.jsonl").read_text())
    assert (entry["verdict"], entry["quotes"]) == ("yes", ["appeal-window", "appeal-late"])


def test_no_page_event_announces_gradios_untranslated_status(engine: Engine, tmp_path: Path):
    # Any other show_progress makes Gradio's status tracker tell screen readers
    # "common.complete" when an event ends.
    app = build_app(asker(engine), FeedbackLog(tmp_path))
    page = [fn for fn in app.fns.values() if fn.targets and fn.name != "ask_api"]
    assert page
    assert {fn.show_progress for fn in page} == {"hidden"}


def test_api_reports_an_unusable_index_as_an_error_not_a_crash(tmp_path: Path, fake: FakeEmbedder):
    broken = Engine(Paths(tmp_path / "no-corpus", tmp_path / "no-index", tmp_path), embedder=fake)
    assert asker(broken).ask("How long do I have to appeal?").to_dict() == {
        "question": "How long do I have to appeal?",
        "error": "kbqa cannot answer right now: its index is unavailable; try again in a moment",
        "status": 503,
    }
    reply = respond(asker(broken), "How long do I have to appeal?")
    assert reply.answer is None
    assert "cannot answer right now" in reply.html
    assert reply.notice == ""  # said once


def test_a_russian_answer_is_labelled_in_russian_around_the_english_quote():
    answer = appeal_answer().model_copy(update={"language": "ru", "verdict": "yes"})
    reply = respond(asker(StubEngine(answer)), "можно ещё подать апелляцию?")
    assert 'class="kbqa-badge kbqa-yes" role="status">Да</span>' in reply.html
    assert "Уверенность: <b>средняя</b>" in reply.html
    assert "<summary>Почему такой ответ</summary>" in reply.html
    assert "<b>Первый фрагмент</b>" in reply.html
    assert "After 15 days the decision is final." in reply.html  # the quote stays the guide's
    assert reply.answer["language"] == "ru"
    # A clarifying option clicked keeps the Russian labels.
    assert "Да</span>" in choose(answer, 0, RUSSIAN).html
    text = render_text(answer, RUSSIAN)
    assert text.startswith("ДА  ")
    assert "уверенность: средняя" in text
