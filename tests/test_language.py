"""A second language as data: detection, lexical tokens and question reading.

Tiny word lists written here, checkable by eye; the repository's Russian files are tested
in tests/test_repo_russian.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.reading.actions import Action, Lexicon
from app.reading.grammar import analyze_in
from app.reading.language import Grammar, Language, detect, parse_language
from app.reading.text import tokens_in

RU = Language("ru", "Русский", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "russian")
GRAMMAR = Grammar(
    open=("как", "сколько"),
    open_start=("когда",),
    not_open=("как только",),
    yesno=("ли", "можно", "стоит"),
    act=("стоит ли", "можно ли мне"),
    permission=("можно ли", "не поздно"),
    amount=("сколько", "срок*"),
    negation=("не",),
    choice=("или",),
    stopwords=("и", "в", "ли"),
)
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
    assert detect(text, (RU,)) == expected


def test_russian_tokens_are_stemmed_so_inflections_meet():
    stops = frozenset(GRAMMAR.stopwords)
    assert tokens_in("спора", None, "russian", stops) == tokens_in("спор", None, "russian", stops)
    assert tokens_in("Отменить споры и ёлки", None, "russian", stops) == tokens_in(
        "отменю спор елка", None, "russian", stops
    )
    assert "paypal" in tokens_in("через PayPal", None, "russian", stops)


def test_a_russian_should_i_question_reads_its_action_and_form():
    analysis = analyze_in("Продавец просит закрыть спор. Стоит ли закрыть?", LEXICON, GRAMMAR)
    assert (analysis.form, analysis.kind, analysis.polarity) == ("yesno", "close", 1)
    assert analysis.asks_to_act


def test_a_negated_action_is_asked_the_other_way_round():
    analysis = analyze_in("можно ли мне не закрыть спор?", LEXICON, GRAMMAR)
    assert analysis.polarity == -1
    keep = analyze_in("стоит ли оставить спор открытым?", LEXICON, GRAMMAR)
    assert keep.polarity == -1


def test_a_judgement_turns_the_polarity_and_open_words_make_an_open_question():
    assert analyze_in("это развод, если подтвердить получение?", LEXICON, GRAMMAR).polarity == -1
    # Without an action a judgement still says the question is asked the other way round.
    assert analyze_in("апелляцию подавать уже поздно?", LEXICON, GRAMMAR).polarity == -1
    how = analyze_in("как отменить спор", LEXICON, GRAMMAR)
    assert (how.form, how.kind) == ("open", "close")
    assert analyze_in("сколько дней на апелляцию?", LEXICON, GRAMMAR).asks_amount


def test_an_action_no_list_knows_leaves_the_polarity_unread():
    analysis = analyze_in("можно ли мне аннулировать диспут?", LEXICON, GRAMMAR)
    assert analysis.polarity is None
    assert analysis.asks_to_act  # the guard then asks for a near paraphrase before a yes


def test_a_language_file_problem_names_its_file(tmp_path: Path):
    path = tmp_path / "language.md"
    path.write_text(
        "# X\n\n- name: X\n- letters: абв\n- stemmer: klingon\n\n"
        "| form | words |\n| --- | --- |\n| opne | как |\n",
        encoding="utf-8",
    )
    language, issues = parse_language(path, "xx")
    assert language is None
    messages = [str(i) for i in issues]
    assert any("unknown form 'opne'" in m and ":9:" in m for m in messages), messages
    assert any("no 'klingon' stemmer" in m for m in messages), messages


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
    assert analyze_in(question, LEXICON, GRAMMAR).form == form
