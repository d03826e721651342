"""A second language as data: detection, lexical tokens and question reading.

Tiny word lists written here, checkable by eye; the repository's Russian files are tested
in tests/test_repo_russian.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.corpus.language_file import parse_language
from app.reading.actions import Action, Lexicon
from app.reading.language import Language, detect
from app.reading.question import read
from app.reading.stemmers import tokens


def _tiny() -> Language:
    """tests/fixtures/tiny-language.md: a few Russian question words, checkable by eye."""
    language, issues = parse_language(Path(__file__).parent / "fixtures" / "tiny-language.md", "ru")
    assert language is not None, issues
    return language


RU = _tiny()


LEXICON = Lexicon(
    actions=(
        Action("close", True, ("закрыть", "закрою", "отмен*"), ("оставить … открыт*",), ()),
        Action("confirm", True, ("подтверд*",), (), ()),
    ),
    bad=("развод", "поздно"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Можно ли отменить спор?", "ru"),
        ("продавец предлагает вернуть через PayPal, закрывать спор?", "ru"),
        ("Can I cancel the dispute?", "en"),
        ("spor zakryt?", "en"),  # transliterated: no Cyrillic letter to go by
        ("12345 ???", "en"),
        ("AliExpress PayPal refund спор", "en"),  # mostly Latin letters
    ],
)
def test_a_question_is_in_the_language_most_of_its_letters_are(text, expected):
    assert detect(text, (RU,), "en") == expected


def test_russian_tokens_are_stemmed_so_inflections_meet():
    assert tokens("спора", RU) == tokens("спор", RU)
    assert tokens("Отменить споры и ёлки", RU) == tokens("отменю спор елка", RU)
    assert "paypal" in tokens("через PayPal", RU)


def test_a_russian_should_i_question_reads_its_action_and_form():
    analysis = read("Продавец просит закрыть спор. Стоит ли закрыть?", RU, LEXICON)
    assert (analysis.form, analysis.kind, analysis.polarity) == ("yesno", "close", 1)
    assert analysis.asks_to_act


def test_a_negated_action_is_asked_the_other_way_round():
    analysis = read("можно ли мне не закрыть спор?", RU, LEXICON)
    assert analysis.polarity == -1
    keep = read("стоит ли оставить спор открытым?", RU, LEXICON)
    assert keep.polarity == -1


def test_a_judgement_turns_the_polarity_and_open_words_make_an_open_question():
    assert read("это развод, если подтвердить получение?", RU, LEXICON).polarity == -1
    # Without an action a judgement still says the question is asked the other way round.
    assert read("апелляцию подавать уже поздно?", RU, LEXICON).polarity == -1
    how = read("как отменить спор", RU, LEXICON)
    assert (how.form, how.kind) == ("open", "close")
    assert read("сколько дней на апелляцию?", RU, LEXICON).asks_amount


def test_an_action_no_list_knows_leaves_the_polarity_unread():
    analysis = read("можно ли мне аннулировать диспут?", RU, LEXICON)
    assert analysis.polarity is None
    assert analysis.asks_to_act  # the guard then asks for a near paraphrase before a yes


def test_a_language_file_problem_names_its_file(tmp_path: Path):
    path = tmp_path / "language.md"
    path.write_text(
        "# X\n\n- name: X\n- letters: абв\n- stemmer: klingon\n\n"
        "| form | where | words |\n| --- | --- | --- |\n| opne | anywhere | как |\n"
        "| yesno | sentence middle | ли |\n| act | anywhere | {verb} ли |\n",
        encoding="utf-8",
    )
    language, issues = parse_language(path, "xx")
    assert language is None
    messages = [str(i) for i in issues]
    assert any("unknown form 'opne'" in m and ":9:" in m for m in messages), messages
    assert any("'yesno' counts" in m and ":10:" in m for m in messages), messages
    assert any("{verb} names no class" in m and ":11:" in m for m in messages), messages
    assert any("no 'klingon' stemmer" in m for m in messages), messages
    assert any("labels missing: yes, no" in m for m in messages), messages


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("когда можно подать апелляцию?", "open"),
        # After a comma "когда" is relative, and "как только" is no question word.
        ("это развод, когда продавец просит подтвердить получение?", "yesno"),
        ("продавец получит деньги, как только я подтвержу получение?", "yesno"),
        ("спор закрыли, как подать апелляцию?", "open"),
    ],
)
def test_question_words_that_only_open_a_question_at_its_start(question, form):
    assert read(question, RU, LEXICON).form == form
