"""Composing answers from evidence: verdicts, polarity, risk, refusal, headline facts."""

from __future__ import annotations

import json

import pytest

from app.answer.compose import compose
from app.answer.evidence import Evidence
from app.answer.records import VERDICTS
from app.answer.retrieve import Hit
from app.corpus.load import load_corpus
from app.index.calibration import Settings
from app.reading.labels import LABELS
from app.reading.question import read
from tests.conftest import ANSWER_KEYS, FIXTURES, GOLDEN

CORPUS = load_corpus(FIXTURES / "corpus")
PASSAGES = {p.id: p for p in CORPUS.passages}
SETTINGS = Settings(threshold=0.4, high=0.7, medium=0.55, quote_margin=0.1)


def evidence(passage_id: str, score: float, question_sims=(), sentence_sims=()) -> Evidence:
    """Evidence for one fixture passage; question_sims gives a cosine per annotated question."""
    passage = PASSAGES[passage_id]
    hit = Hit(
        passage=passage,
        position=list(PASSAGES).index(passage_id),
        score=score,
        dense=score,
        lexical=score,
        dense_rank=1,
        lexical_rank=1,
        matched_kind="question",
        matched_text=passage.questions[0].text,
    )
    return Evidence(
        hit=hit,
        question_similarity=dict(enumerate(question_sims or [0.5] * len(passage.questions))),
        question_analysis=tuple(
            read(q.text, CORPUS.language, CORPUS.lexicon) for q in passage.questions
        ),
        sentence_similarity=dict(enumerate(sentence_sims)),
    )


def answer(question: str, *items: Evidence, out_of_scope: float = -1.0):
    return compose(
        question,
        read(question, CORPUS.language, CORPUS.lexicon),
        list(items),
        SETTINGS,
        CORPUS.glossary,
        CORPUS.scope,
        out_of_scope,
        language=CORPUS.language,
    )


def test_yes_no_question_gets_the_passage_verdict():
    result = answer(
        "Should I close the dispute before the seller pays?",
        evidence("keep-open-until-paid", 0.9, [0.9, 0.6, 0.3, 0.2]),
    )
    assert result.verdict == "no"
    # The headline leads with the passage's claim, then its rule as the reason.
    assert result.headline == (
        "Don't close the dispute yet. "
        "Don't close the dispute until the seller pays; the seller has 5 days to answer."
    )
    assert result.claim is not None
    assert (result.claim.text, result.claim.holds) == ("Don't close the dispute yet", True)
    assert result.confidence.band == "high"


def test_opposite_polarity_flips_the_verdict():
    result = answer(
        "Should I keep the dispute open until the seller pays?",
        evidence("keep-open-until-paid", 0.9, [0.9, 0.6, 0.3, 0.2]),
    )
    assert result.verdict == "yes"
    # The verdict turns with the question; the claim, which the question does not word,
    # does not: it holds either way.
    assert result.headline == (
        "Don't close the dispute yet. "
        "Don't close the dispute until the seller pays; the seller has 5 days to answer."
    )
    assert result.claim is not None
    assert (result.claim.text, result.claim.holds) == ("Don't close the dispute yet", True)


def test_open_question_gets_info_and_the_rule():
    result = answer(
        "How long does the seller have to answer?",
        evidence("keep-open-until-paid", 0.9, [0.4, 0.3, 0.95, 0.2]),
    )
    assert result.verdict == "info"
    assert result.headline == (
        "Don't close the dispute until the seller pays; the seller has 5 days to answer."
    )
    assert result.claim is None  # an open question gets the rule, no claim


def test_tagged_question_answers_with_its_own_verdict():
    result = answer(
        "Can I still appeal after a month?", evidence("appeal-window", 0.9, [0.3, 0.5, 0.95])
    )
    assert result.verdict == "no"


def test_a_yes_from_a_risky_passage_needs_a_known_action_or_a_near_paraphrase():
    # "nix" is in no actions.md: the question names no action kbqa knows, yet it asks
    # whether to do something, on a passage that rules on closing. Fail closed.
    from dataclasses import replace

    base = evidence("dispute-protects", 0.9, [0.2, 0.2, 0.6])
    risky = replace(base, risks=frozenset({"close"}))
    question = "Should I nix the dispute, does it protect me?"
    # It asks whether to act; the passage's questions ask a fact: a yes would answer
    # another question than the buyer's, so the answer states the claim instead.
    stated = answer(question, base)
    assert stated.verdict == "info"
    assert stated.claim is not None
    assert stated.claim.holds
    assert stated.headline.startswith(f"{stated.claim.says}. ")
    assert answer(question, risky).verdict == "depends"
    near = replace(risky, question_similarity={0: 0.2, 1: 0.2, 2: 0.9})
    assert answer(question, near).verdict == "info"
    # A fact question ("do I get…") does not ask whether to act: its yes stands.
    assert answer("Does a dispute protect me, do I get covered?", risky).verdict == "yes"


def test_below_threshold_is_not_covered():
    result = answer("What is the capital of France?", evidence("late-parcel", 0.2))
    assert result.verdict == "not_covered"
    assert result.claim is None
    assert result.quotes == ()
    assert result.headline == (
        "The guide doesn't cover this. The guide covers returns and appeals."
    )
    assert result.related == CORPUS.scope.examples[:3]
    assert result.confidence.band == "none"


def test_nearer_an_out_of_scope_question_is_not_covered():
    result = answer("Will it rain tomorrow?", evidence("late-parcel", 0.6), out_of_scope=0.8)
    assert result.verdict == "not_covered"


def test_risky_yes_needs_high_confidence_or_a_near_paraphrase():
    question = "Can I close the dispute once the seller has paid?"
    close = [0.5, 0.5, 0.1, 0.95]  # closest to the tagged `yes` question, nearly the same
    loose = [0.5, 0.5, 0.1, 0.7]  # closest to it, but not a paraphrase
    assert answer(question, evidence("keep-open-until-paid", 0.9, loose)).verdict == "yes"
    assert answer(question, evidence("keep-open-until-paid", 0.6, close)).verdict == "yes"
    assert answer(question, evidence("keep-open-until-paid", 0.6, loose)).verdict == "depends"
    assert answer(question, evidence("keep-open-until-paid", 0.45, close)).verdict == "depends"


def test_risky_yes_with_a_conflicting_runner_up_becomes_depends_and_quotes_it():
    question = "Can I close the dispute once the seller has paid?"
    top = evidence("keep-open-until-paid", 0.9, [0.5, 0.5, 0.1, 0.95])
    appeal = evidence("appeal-window", 0.89)
    other = evidence("keep-open-until-paid", 0.88, [0.95, 0.5, 0.1, 0.2])  # reads as "no"
    result = answer(question, top, appeal, other)
    assert result.verdict == "depends"
    assert result.headline.startswith("It depends. ")
    assert result.claim is None  # "It depends" asserts no claim
    assert len(result.quotes) == 3


def test_no_to_keeping_it_open_is_as_risky_as_yes_to_closing():
    # "Should I keep it open once paid?" answered "no" tells the buyer to close.
    question = "Should I keep the dispute open once the seller has paid?"
    sims = [0.5, 0.5, 0.1, 0.7]
    assert answer(question, evidence("keep-open-until-paid", 0.9, sims)).verdict == "no"
    assert answer(question, evidence("keep-open-until-paid", 0.6, sims)).verdict == "depends"


def test_a_fact_question_is_not_answered_by_an_action_question():
    # "Can I get a refund…" names no action; the only yes/no question it may use must not
    # be about closing: broken-parcel's questions are all fact questions, so yes.
    result = answer("Do I get a refund for a broken parcel?", evidence("broken-parcel", 0.9))
    assert result.verdict == "yes"
    closing = answer("Should I close my claim now?", evidence("broken-parcel", 0.9))
    assert closing.verdict == "info"


def test_question_asking_for_a_number_gets_one_in_the_headline():
    result = answer(
        "How long can a late parcel take?",
        evidence("broken-parcel", 0.9),
        evidence("late-parcel", 0.85),
    )
    assert result.verdict == "info"
    assert result.headline == (
        "Ask for a refund when the parcel arrives broken. (60 days: longest wait for a parcel.)"
    )


def test_highlight_is_the_closest_sentence_and_notes_explain_garble():
    result = answer(
        "Should I close the dispute before I am paid?",
        evidence("keep-open-until-paid", 0.9, [0.9, 0.5, 0.5, 0.2], sentence_sims=[0.8, 0.3]),
    )
    quote = result.quotes[0]
    assert quote.highlight == "Do not close the spores until the seller pays."
    assert [(n.term, n.means) for n in quote.notes] == [("spores", "dispute")]
    assert quote.text in " ".join(CORPUS.source_lines)


def test_further_quotes_must_be_close_to_the_first():
    result = answer(
        "Should I close the dispute before I am paid?",
        evidence("keep-open-until-paid", 0.9, [0.9, 0.5, 0.5, 0.2]),
        evidence("appeal-window", 0.85),
        evidence("late-parcel", 0.5),
    )
    assert [q.id for q in result.quotes] == ["keep-open-until-paid", "appeal-window"]
    assert "What does a dispute do?" not in result.related


def test_answer_serialises_to_the_golden_json():
    result = answer(
        "Should I keep the dispute open until the seller pays?",
        evidence("keep-open-until-paid", 0.9, [0.9, 0.6, 0.3, 0.2], sentence_sims=[0.8, 0.3]),
        evidence("appeal-window", 0.85, [0.2, 0.7, 0.1]),
        evidence("late-parcel", 0.5, [0.6, 0.3, 0.2]),
    )
    golden = json.loads((GOLDEN / "answer.json").read_text())
    assert result.to_dict() == golden
    assert list(golden) == ANSWER_KEYS


@pytest.mark.parametrize("verdict", VERDICTS)
def test_every_verdict_is_a_label_every_language_must_have(verdict):
    assert verdict in LABELS


def test_keyword_queries_get_info_unless_they_name_an_action():
    assert answer("broken parcel refund", evidence("broken-parcel", 0.9)).verdict == "info"
    closing = answer(
        "close dispute before paid?", evidence("keep-open-until-paid", 0.9, [0.9, 0.5, 0.1, 0.2])
    )
    assert closing.verdict == "no"
