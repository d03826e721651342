"""A language kbqa has no line of code for, added as a folder and annotations, end to end.

tests/fixtures/policy-zz is the gym policy (tests/fixtures/policy) plus ``zz/``: a made-up
language, Zeta, written in Greek letters with made-up words, its own question words,
durations and labels (``zz/language.md``, ``zz/conditions.md``…), and ``zz-rule``,
``zz-questions`` and ``zz-when`` on every passage. Nothing in app/ names it: its question is
read with its words, answered with its wording, asked back in it, and an English question is
still answered in English. The fake embedder serves both languages (bag-of-words hashing
matches a Zeta question to the Zeta annotated questions it shares words with).
"""

from __future__ import annotations

import shutil

import pytest

from app.answer.engine import Engine
from app.config import Paths
from app.corpus.load import load_corpus
from app.index.build import build_index
from app.index.calibration import Settings
from app.index.embed import FakeEmbedder
from tests.conftest import FIXTURES, REPO

ZETA = FIXTURES / "policy-zz"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("policy-zz")
    corpus_dir = root / "corpus"
    shutil.copytree(ZETA, corpus_dir)
    fake = FakeEmbedder()
    build_index(corpus_dir, root / "index", fake, multilingual=fake)
    paths = Paths(corpus_dir=corpus_dir, index_dir=root / "index", feedback_dir=root)
    settings = Settings(threshold=0.0, out_of_scope_margin=1.0)  # nothing refused
    return Engine(paths, embedder=fake, settings=settings, multilingual=fake)


def test_the_folder_is_a_language_of_the_corpus():
    corpus = load_corpus(ZETA)
    (zeta,) = corpus.locales
    assert (zeta.code, zeta.language.name, zeta.language.stemmer) == ("zz", "Ζετα", "greek")
    assert [v.id for v in zeta.conditions.variables] == ["days-since-joining", "card-returned"]
    assert all(p.translations[0].language == "zz" for p in corpus.passages)


def test_no_line_of_code_names_it():
    code = " ".join(p.read_text(encoding="utf-8") for p in (REPO / "app").rglob("*.py"))
    assert "Ζετα" not in code
    assert '"zz"' not in code


def test_a_question_in_it_is_read_and_answered_in_it(engine: Engine):
    answer = engine.ask("Σολα εγω σιγνα το τρανσα φορμο πριν το φιο?")
    assert answer.language == "zz"
    assert answer.quotes[0].id == "transfer-form-before-fee"
    assert answer.verdict == "no"
    # Its claim, then its rule: both in its words.
    assert answer.headline.startswith("δοντ σιγν τχε τρανσφερ φορμ υετ. Νε σιγνα το τρανσα φορμο")
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("δοντ σιγν τχε τρανσφερ φορμ υετ", True)
    # The quote stays the policy's own English text.
    assert answer.quotes[0].text.startswith("Do not sign the transfer form")
    assert engine.labels("zz")["depends"] == "Ντιπεντα"


def test_its_words_turn_the_question_round(engine: Engine):
    answer = engine.ask("Σολα εγω βαιτα το φιο πριν σιγνα?")  # wait (undoes signing)
    assert (answer.language, answer.verdict) == ("zz", "yes")


def test_its_durations_decide_a_conditional_answer_in_its_wording(engine: Engine):
    inside = engine.ask("Ζοινατ τρια διας αγκο, δαρα κανσα ανδ γκετα φουλ ρεφουνο?")
    assert inside.verdict == "yes"
    assert inside.headline.startswith("υου γετ α φυλλ ρεφυνδ. Εγω λεγα τρια διας;")
    outside = engine.ask("Ζοινατ δυο μονθος αγκο, δαρα κανσα ανδ γκετα ρεφουνο?")
    assert outside.verdict == "no"
    assert outside.headline.startswith("υου γετ νο ρεφυνδ. Εγω λεγα δυο μονθος (60 διας);")


def test_a_missing_condition_is_asked_back_in_it(engine: Engine):
    answer = engine.ask("Δαρα εγω κανσα μεμπα ανδ γκετα φουλ ρεφουνο?")
    assert answer.verdict == "depends"
    assert answer.clarify is not None
    assert answer.clarify.question == "Ποσο διας αγκο ζοινατ?"
    assert [o.label for o in answer.clarify.options] == ["14 διας ορ λιγα", "Πανω 14 διας"]


def test_english_is_still_answered_in_english(engine: Engine):
    answer = engine.ask("Should I sign the transfer form before the new member pays the fee?")
    assert (answer.language, answer.verdict) == ("en", "no")
    assert answer.headline.startswith("Don't sign the transfer form yet. Don't sign the transfer")
    assert answer.claim is not None
    assert answer.claim.text == "Don't sign the transfer form yet"
