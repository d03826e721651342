"""A second corpus, a made-up gym membership policy, answered with no change to the code.

tests/fixtures/policy declares its own quantity (days since joining: a full refund within
14 days) and situation (the membership card returned or not) in its conditions.md. The
engine must decide by what the member says, or ask when they say nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.answer.records import Answer, Claim
from app.config import Paths
from app.corpus.load import coverage, load_corpus
from app.index.build import build_index
from app.index.calibration import Settings
from app.index.embed import FakeEmbedder
from tests.conftest import FIXTURES

POLICY = FIXTURES / "policy"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("policy")
    corpus_dir = root / "corpus"
    shutil.copytree(POLICY, corpus_dir)
    index_dir = root / "index"
    fake = FakeEmbedder()
    build_index(corpus_dir, index_dir, fake)
    paths = Paths(corpus_dir=corpus_dir, index_dir=index_dir, feedback_dir=root)
    # Retrieval is not under test here: nothing is refused, so every answer is composed.
    settings = Settings(threshold=0.0, out_of_scope_margin=1.0)
    return Engine(paths, embedder=fake, settings=settings)


def test_the_policy_corpus_is_valid_and_fully_covered():
    corpus = load_corpus(POLICY)
    assert len(corpus.passages) == 11
    report = coverage(corpus)
    assert report.uncovered == ()
    assert report.overlapping == ()
    assert [v.id for v in corpus.conditions.variables] == ["days-since-joining", "card-returned"]
    points = {p.id: p.point for p in corpus.passages if p.point}
    assert points == {
        "full-refund-within-14-days": "refund-window",
        "no-refund-after-14-days": "refund-window",
        "refund-needs-card": "card-before-refund",
    }


def quoted_first(answer: Answer) -> str:
    return answer.quotes[0].id


# --- the refund window: days since joining ---------------------------------------------

INSIDE = "full-refund-within-14-days"
OUTSIDE = "no-refund-after-14-days"


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("I joined 10 days ago, can I cancel and get a full refund?", "10 days"),
        ("I joined yesterday, can I cancel my membership and get a full refund?", "yesterday"),
        ("I joined a week ago, can I cancel and get a full refund?", "a week"),
    ],
)
def test_days_inside_the_window_get_the_yes_side(engine: Engine, question: str, figure: str):
    answer = engine.ask(question)
    assert answer.verdict == "yes", answer.headline
    assert answer.clarify is None
    assert quoted_first(answer) == INSIDE
    assert answer.headline.startswith("You get a full refund. You said ")
    assert answer.claim == Claim(
        text="You get a full refund", holds=True, says="You get a full refund"
    )
    assert figure in answer.headline
    assert "within 14 days of joining" in answer.headline


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("I joined 20 days ago, can I cancel and get a full refund?", "20 days"),
        ("I joined three weeks ago, can I cancel and get a full refund?", "three weeks"),
        ("I joined more than 14 days ago, can I cancel and get a full refund?", "more than 14"),
    ],
)
def test_days_outside_the_window_get_the_no_side(engine: Engine, question: str, figure: str):
    answer = engine.ask(question)
    assert answer.verdict == "no", answer.headline
    assert answer.clarify is None
    assert quoted_first(answer) == OUTSIDE
    # The passage's own claim, which its `no` side makes hold.
    assert answer.headline.startswith("You get no refund. You said ")
    assert answer.claim == Claim(text="You get no refund", holds=True, says="You get no refund")
    assert figure in answer.headline


def test_a_figure_in_weeks_is_said_back_with_its_days(engine: Engine):
    answer = engine.ask("I joined three weeks ago, can I cancel and get a full refund?")
    assert "You said three weeks (21 days);" in answer.headline


def test_the_last_day_is_inside_the_window(engine: Engine):
    answer = engine.ask("I joined 14 days ago, can I cancel and get a full refund?")
    assert answer.verdict == "yes", answer.headline
    assert quoted_first(answer) == INSIDE
    assert answer.headline == (
        "You get a full refund. "
        "You said 14 days; members who cancel within 14 days of joining get a full refund."
    )


def test_unstated_days_are_asked_for(engine: Engine):
    answer = engine.ask("Can I cancel my membership and get a full refund?")
    assert answer.verdict == "depends", answer.headline
    assert answer.clarify is not None
    assert answer.clarify.question == "How many days ago did you join?"
    options = answer.clarify.options
    assert [(o.label, o.verdict, o.quotes) for o in options] == [
        ("14 days or fewer", "yes", (INSIDE,)),
        ("More than 14 days", "no", (OUTSIDE,)),
    ]
    assert options[0].headline == (
        "You get a full refund. Members who cancel within 14 days of joining get a full refund."
    )
    assert options[1].headline == (
        "You get no refund. A full refund is given only within 14 days of joining."
    )
    assert answer.claim is None  # "It depends" asserts nothing; each option does
    assert [(o.claim.text, o.claim.holds) for o in options if o.claim] == [
        ("You get a full refund", True),
        ("You get no refund", True),
    ]
    # Both sides are quoted, so picking an option needs no second retrieval.
    assert {INSIDE, OUTSIDE} <= {q.id for q in answer.quotes}
    chosen = answer.choose(1)
    assert (chosen.verdict, quoted_first(chosen), chosen.clarify) == ("no", OUTSIDE, None)
    assert (chosen.headline, chosen.claim) == (options[1].headline, options[1].claim)


# --- the card: a situation ----------------------------------------------------------------

CARD = "refund-needs-card"


def test_a_returned_card_gets_the_yes_side(engine: Engine):
    answer = engine.ask("I returned the card, will my refund be paid now?")
    assert answer.verdict == "yes", answer.headline
    assert quoted_first(answer) == CARD
    assert answer.headline == (
        "Your refund is paid. You said you have returned your membership card; "
        "the refund is paid once the membership card has been returned."
    )
    assert answer.claim == Claim(text="Your refund is paid", holds=True, says="Your refund is paid")


def test_a_kept_card_gets_the_no_side(engine: Engine):
    answer = engine.ask("I still have the card, will my refund be paid now?")
    assert answer.verdict == "no", answer.headline
    assert quoted_first(answer) == CARD
    # A `depends` passage's `no` side denies its claim: it reads as its claim-not.
    assert answer.headline.startswith(
        "Your refund waits for your card. You said you still have your membership card;"
    )
    assert answer.claim == Claim(
        text="Your refund is paid", holds=False, says="Your refund waits for your card"
    )


def test_an_unstated_card_is_asked_for(engine: Engine):
    answer = engine.ask("Will my refund be paid now?")
    assert answer.verdict == "depends", answer.headline
    assert answer.clarify is not None
    assert answer.clarify.question == "Have you returned your membership card?"
    assert [(o.label, o.verdict) for o in answer.clarify.options] == [
        ("You have returned your membership card", "yes"),
        ("You still have your membership card", "no"),
    ]


# --- plain passages are untouched by conditions -----------------------------------------


def test_the_risky_transfer_is_a_no(engine: Engine):
    answer = engine.ask("Should I sign the transfer form before the new member pays the fee?")
    assert answer.verdict == "no", answer.headline
    assert quoted_first(answer) == "transfer-form-before-fee"
    assert answer.clarify is None
    assert answer.headline.startswith("Don't sign the transfer form yet. Don't sign the transfer")


def test_an_open_question_on_the_window_gets_the_fact(engine: Engine):
    answer = engine.ask("How long do I have to cancel for a full refund?")
    assert answer.verdict == "info", answer.headline
    assert answer.clarify is None
    assert "14 days" in answer.headline


def test_the_policy_answers_without_the_guides_words(engine: Engine):
    answer = engine.ask("Can I freeze my membership?")
    assert quoted_first(answer) == "freeze-membership"
    assert answer.verdict == "yes"
    assert "AliExpress" not in answer.headline


def test_a_corpus_path_is_independent_of_the_checkout(tmp_path: Path):
    # The fixture loads from any folder: nothing refers back to corpus/.
    target = tmp_path / "elsewhere"
    shutil.copytree(POLICY, target)
    assert load_corpus(target).conditions.variable("card-returned") is not None


def test_a_figure_dating_something_else_is_not_taken_as_the_joining_date(engine: Engine):
    # 20 days dates the card's return, not the joining: the days stay unstated, so ask.
    answer = engine.ask("The card came back 20 days ago, can I cancel and get a full refund?")
    assert "You said 20 days" not in answer.headline
    assert answer.verdict != "no"


def test_the_policys_own_action_words_set_the_direction(engine: Engine):
    # "hold off" undoes signing in this corpus's actions.md: asked that way round, yes.
    answer = engine.ask("Should I hold off on signing the transfer form until the fee is paid?")
    assert answer.verdict == "yes", answer.headline
    assert quoted_first(answer) == "transfer-form-before-fee"
    # The verdict turns with the question; the claim it leads with does not.
    assert answer.headline.startswith("Don't sign the transfer form yet. ")
    assert answer.claim is not None
    assert answer.claim.holds


def test_judging_the_risky_action_bad_flips_it(engine: Engine):
    answer = engine.ask("Would it be a mistake to sign the transfer form before the fee is paid?")
    assert answer.verdict == "yes", answer.headline
