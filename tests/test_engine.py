"""The engine on the fixture corpus with the fake embedder: input handling and answering."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.config import Paths
from app.errors import IndexProblem, InputError
from app.index.build import build_index
from app.index.embed import FakeEmbedder
from app.reading.input import MAX_QUESTION_CHARS, question_text


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x01", "\u200b\u200b"])
def test_empty_questions_are_refused(question: str):
    with pytest.raises(InputError, match="empty"):
        question_text(question)


def test_non_text_is_refused():
    with pytest.raises(InputError, match="must be text, not a number"):
        question_text(42)


def test_questions_are_cleaned_and_a_long_one_is_refused_not_cut():
    assert question_text("  how\x00 long\n\tto appeal?  ") == "how long to appeal?"
    assert len(question_text("word " * 200)) <= MAX_QUESTION_CHARS
    # Cut, it would lose what it asks, which comes last: refused with a length to aim for.
    with pytest.raises(InputError, match="2,018 characters long; the limit is 1,000"):
        question_text("word " * 400 + "should I close it?")


def test_ask_answers_from_the_fixture(engine: Engine):
    answer = engine.ask("Should I close the dispute before I am paid?")
    assert answer.verdict == "no"
    assert answer.quotes[0].id == "keep-open-until-paid"
    # The claim comes through the index: the stored passage carries it.
    assert answer.headline.startswith("Don't close the dispute yet. Don't close the dispute ")
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("Don't close the dispute yet", True)


def test_ask_is_deterministic(engine: Engine):
    question = "How long do I have to appeal?"
    assert engine.ask(question) == engine.ask(question)


def test_ranking_is_sorted_with_stated_tie_breaks(engine: Engine):
    _, ranking = engine.ask_with_hits("refund broken parcel")
    keys = [(-h.score, -h.dense, h.position) for h in ranking]
    assert keys == sorted(keys)
    assert len(ranking) == 5


def test_engine_loads_nothing_until_asked(index_dir: Path, corpus_dir: Path, fake: FakeEmbedder):
    (index_dir / "passages.json").write_text("[")  # torn: loading it would fail
    engine = Engine(Paths(corpus_dir, index_dir, index_dir.parent), embedder=fake)
    with pytest.raises(IndexProblem):
        engine.ask("How long do I have to appeal?")


def test_engine_reloads_after_a_rebuild(engine: Engine, corpus_dir: Path, fake: FakeEmbedder):
    before = engine.load().index.version
    b = corpus_dir / "b.md"
    b.write_text(b.read_text().replace("Is there an appeal deadline?", "Appeal by when?"))
    build_index(corpus_dir, engine.paths.index_dir, fake)
    after = engine.load().index
    assert after.version != before
    assert after.passages[-1].questions[1].text == "Appeal by when?"


def test_loads_wait_while_held_and_the_holder_may_load(engine: Engine):
    """The server imports gradio inside ``loads_held``; a load in another thread waits."""
    loaded = threading.Event()

    def load() -> None:
        engine.load()
        loaded.set()

    with engine.loads_held():
        other = threading.Thread(target=load, daemon=True)
        other.start()
        assert not loaded.wait(1.0)
        assert engine.load().index.passages  # the holder itself loads (reentrant)
        assert not loaded.is_set()
    assert loaded.wait(10)


@pytest.mark.parametrize(
    "question", ["Can I return it to Amazon.", "my ebay seller won't refund me", "AMAZON refund?"]
)
def test_questions_naming_another_marketplace_are_not_covered(engine: Engine, question: str):
    assert engine.ask(question).verdict == "not_covered"


def test_undecodable_characters_are_dropped(engine: Engine):
    answer = engine.ask("caf\udce9 how long do I have to appeal?")
    assert answer.question == "caf how long do I have to appeal?"


def test_the_collector_waits_while_an_index_loads_and_comes_back_after(engine: Engine):
    import gc

    from app.answer.engine import collector_paused

    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(IndexProblem), collector_paused():
        raise IndexProblem("a load that fails")
    assert gc.isenabled()
    gc.disable()  # someone else's choice is kept
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    engine.load()
    assert gc.isenabled()
