"""The gym policy with Russian added as data, answered with no change to the code.

tests/fixtures/policy-ru is tests/fixtures/policy plus a language folder (``ru/``: its
language.md, the same variables and actions in Russian words, its glossary, scope and
out-of-scope) and ``ru-rule`` / ``ru-questions`` / ``ru-when`` on every passage. A Russian
question must be read with the Russian words and answered in Russian (the quotes stay the
policy's English text); an English question must still be answered in English. The fake
embedder serves both languages: bag-of-words hashing matches a Russian question to the
Russian annotated questions it shares words with.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.answer.records import Answer
from app.config import Paths
from app.corpus.load import load_corpus
from app.corpus.markdown import shown
from app.errors import CorpusError
from app.index.build import build_index
from app.index.calibration import Settings
from app.index.embed import FakeEmbedder
from app.index.store import manifest_path
from tests.conftest import FIXTURES

POLICY = FIXTURES / "policy"
POLICY_RU = FIXTURES / "policy-ru"

INSIDE = "full-refund-within-14-days"
OUTSIDE = "no-refund-after-14-days"
CARD = "refund-needs-card"


def make_engine(corpus_dir: Path, root: Path) -> Engine:
    index_dir = root / "index"
    fake = FakeEmbedder()
    build_index(corpus_dir, index_dir, fake, multilingual=fake)
    paths = Paths(corpus_dir=corpus_dir, index_dir=index_dir, feedback_dir=root)
    # Retrieval is not under test here: nothing is refused, so every answer is composed.
    settings = Settings(threshold=0.0, out_of_scope_margin=1.0)
    return Engine(paths, embedder=fake, settings=settings, multilingual=fake)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("policy-ru")
    corpus_dir = root / "corpus"
    shutil.copytree(POLICY_RU, corpus_dir)
    return make_engine(corpus_dir, root)


def quoted_first(answer: Answer) -> str:
    return answer.quotes[0].id


def english_text(passage_id: str) -> str:
    """The passage's verbatim quote in the English-only policy."""
    return next(p.text for p in load_corpus(POLICY).passages if p.id == passage_id)


# --- the corpus and its locale ------------------------------------------------------------


def test_the_corpus_loads_with_its_russian_locale():
    corpus = load_corpus(POLICY_RU)
    assert [locale.code for locale in corpus.locales] == ["ru"]
    (ru,) = corpus.locales
    assert ru.language.name == "Русский"
    assert ru.language.stemmer == "russian"
    assert dict(ru.language.labels)["yes"] == "Да"
    # The same variables and values as the main conditions.md, in Russian words.
    assert [v.id for v in ru.conditions.variables] == ["days-since-joining", "card-returned"]
    days = ru.conditions.variable("days-since-joining")
    card = ru.conditions.variable("card-returned")
    assert days is not None
    assert card is not None
    assert days.ask == "Сколько дней назад вы вступили в клуб?"
    assert card.ask == "Вы вернули клубную карту?"
    assert [(v.name, v.label) for v in card.values] == [
        ("yes", "вы вернули клубную карту"),
        ("no", "клубная карта все еще у вас"),
    ]
    # A yes or a no leads with its claim (``headline-claim``); "It depends" with its words.
    assert ru.language.label("headline-claim") == "{claim}. {reason}"
    assert ru.language.claimed("Деньги вам вернут", "Причина.") == "Деньги вам вернут. Причина."
    assert ru.language.headline("depends") == "Зависит от ситуации."
    assert ru.language.headline("yes") == ""
    # The same actions, with the same risk.
    assert [(a.kind, a.risky) for a in ru.lexicon.actions] == [("sign", True)]
    assert [t.id for t in ru.out_of_scope] == ["nutrition", "weather"]
    assert ru.scope.text.startswith("Правила описывают")


def test_every_passage_carries_its_russian_annotations():
    corpus = load_corpus(POLICY_RU)
    assert len(corpus.passages) == 11
    for passage in corpus.passages:
        (translation,) = passage.translations
        assert translation.language == "ru"
        assert re.search("[а-я]", translation.rule), passage.id
        assert 3 <= len(translation.questions) <= 12, passage.id
        for fact in passage.facts:
            assert fact.amount.split()[0] in translation.rule, passage.id
        # The Russian sides are the English ones with Russian reasons.
        assert [(s.verdict, s.conditions) for s in translation.sides] == [
            (s.verdict, s.conditions) for s in passage.sides
        ], passage.id
        assert all(re.search("[а-я]", s.because) for s in translation.sides), passage.id
        # A passage with a claim has its Russian claim (and claim-not where it has one).
        claim, ru_claim = passage.claims.claim, translation.claims.claim
        assert (claim is None) == (ru_claim is None), passage.id
        if claim is not None and ru_claim is not None:
            assert re.search("[а-я]", ru_claim.text), passage.id
            assert (claim.negated is None) == (ru_claim.negated is None), passage.id


def test_the_english_annotations_are_the_policys():
    # policy-ru is the policy plus Russian: nothing English changed in the copy.
    def english(corpus):
        return [
            (p.id, p.text, p.verdict, p.rule, p.claims, p.questions, p.sides)
            for p in corpus.passages
        ]

    assert english(load_corpus(POLICY_RU)) == english(load_corpus(POLICY))


# --- a Russian question gets a Russian answer, with the English quote ----------------------


@pytest.mark.parametrize(
    ("question", "verdict", "prefix", "passage"),
    [
        (
            "Можно ли заморозить абонемент?",
            "yes",
            "Абонемент можно заморозить. ",
            "freeze-membership",
        ),
        (
            "Стоит ли подписать форму передачи до оплаты взноса?",
            "no",
            "Не подписывайте заявление о передаче. ",
            "transfer-form-before-fee",
        ),
    ],
)
def test_a_russian_question_is_answered_in_russian(
    engine: Engine, question: str, verdict: str, prefix: str, passage: str
):
    assert engine.language_of(question) == "ru"
    answer = engine.ask(question)
    assert answer.language == "ru"
    assert answer.verdict == verdict, answer.headline
    assert answer.headline.startswith(prefix), answer.headline
    assert not re.search("[A-Za-z]", answer.headline), answer.headline
    assert answer.claim is not None  # the Russian claim, holding
    assert (answer.claim.text, answer.claim.holds) == (prefix.removesuffix(". "), True)
    assert quoted_first(answer) == passage
    # The quote is the policy's verbatim English, not a translation.
    assert answer.quotes[0].text == english_text(passage)
    assert answer.to_dict()["language"] == "ru"


def test_the_russian_headline_is_the_russian_rule(engine: Engine):
    answer = engine.ask("Можно ли заморозить абонемент?")
    assert answer.headline == (
        "Абонемент можно заморозить. "
        "Абонемент можно бесплатно заморозить на срок до 60 дней в году."
    )


def test_an_open_russian_question_gets_the_fact_in_russian(engine: Engine):
    answer = engine.ask("Сколько дней есть на отмену с полным возвратом?")
    assert answer.language == "ru"
    assert answer.verdict == "info", answer.headline
    assert quoted_first(answer) == INSIDE
    assert "14 дней" in answer.headline


def test_the_engine_gives_the_russian_labels(engine: Engine):
    assert engine.labels("ru")["depends"] == "Зависит от ситуации"
    # The main language's come from its language.md too, not from code.
    assert engine.labels("en")["depends"] == "It depends"


# --- the refund window: days since joining, said in Russian --------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "вступил 3 дня назад, можно вернуть деньги?",
        "Вступил вчера, можно вернуть деньги?",
        "Вступил 14 дней назад, можно вернуть деньги?",  # the last day is inside
    ],
)
def test_russian_days_inside_the_window_get_the_yes_side(engine: Engine, question: str):
    answer = engine.ask(question)
    assert answer.language == "ru"
    assert answer.verdict == "yes", answer.headline
    assert answer.clarify is None
    assert quoted_first(answer) == INSIDE
    assert answer.quotes[0].text == english_text(INSIDE)
    assert answer.headline.startswith("Вам вернут все деньги. Вы указали: "), answer.headline
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("Вам вернут все деньги", True)
    assert answer.headline.endswith(
        "кто отменяет абонемент в течение 14 дней после вступления, получает полный возврат денег."
    ), answer.headline


@pytest.mark.parametrize(
    "question",
    [
        "вступил 20 дней назад, можно вернуть деньги?",
        "Вступил три недели назад, можно вернуть деньги?",
        "Вступил месяц назад, можно вернуть деньги?",
        "Вступил больше 14 дней назад, можно вернуть деньги?",
    ],
)
def test_russian_days_outside_the_window_get_the_no_side(engine: Engine, question: str):
    answer = engine.ask(question)
    assert answer.language == "ru"
    assert answer.verdict == "no", answer.headline
    assert answer.clarify is None
    assert quoted_first(answer) == OUTSIDE
    assert answer.quotes[0].text == english_text(OUTSIDE)
    assert answer.headline.startswith("Деньги не вернут. Вы указали: "), answer.headline
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("Деньги не вернут", True)
    assert "только в течение 14 дней после вступления" in answer.headline


def test_a_russian_figure_in_weeks_is_said_back_with_its_days(engine: Engine):
    answer = engine.ask("Вступил три недели назад, можно вернуть деньги?")
    assert "Вы указали: три недели (21 дн.);" in answer.headline, answer.headline


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("вступил 3 дня назад, можно вернуть деньги?", "Вы указали: 3 дня;"),
        ("Вступил больше 14 дней назад, можно вернуть деньги?", "Вы указали: больше 14 дней"),
    ],
)
def test_a_russian_figure_in_days_is_said_back_in_russian(engine: Engine, question, said):
    # In days already: said back as the member wrote it, with no English "days".
    answer = engine.ask(question)
    assert said in answer.headline, answer.headline
    assert "days" not in answer.headline


def test_unstated_days_are_asked_for_in_russian(engine: Engine):
    answer = engine.ask("Можно ли отменить абонемент и вернуть все деньги?")
    assert answer.language == "ru"
    assert answer.verdict == "depends", answer.headline
    assert answer.headline.startswith("Зависит от ситуации. "), answer.headline
    assert answer.clarify is not None
    assert answer.clarify.question == "Сколько дней назад вы вступили в клуб?"
    options = answer.clarify.options
    assert [(o.label, o.verdict, o.quotes) for o in options] == [
        ("14 дн. или меньше", "yes", (INSIDE,)),
        ("Больше 14 дн.", "no", (OUTSIDE,)),
    ]
    assert options[0].headline.startswith("Вам вернут все деньги. "), options[0].headline
    assert options[1].headline.startswith("Деньги не вернут. "), options[1].headline
    assert answer.claim is None
    assert {INSIDE, OUTSIDE} <= {q.id for q in answer.quotes}
    chosen = answer.choose(1)
    assert (chosen.verdict, quoted_first(chosen), chosen.clarify) == ("no", OUTSIDE, None)
    assert chosen.language == "ru"


# --- the card: a situation said in Russian ------------------------------------------------


def test_a_returned_card_said_in_russian_gets_the_yes_side(engine: Engine):
    answer = engine.ask("Я вернул карту, мне выплатят возврат?")
    assert answer.verdict == "yes", answer.headline
    assert quoted_first(answer) == CARD
    assert answer.headline == (
        "Деньги вам вернут. Вы указали: вы вернули клубную карту; "
        "деньги возвращают, как только клубная карта возвращена."
    )
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("Деньги вам вернут", True)


def test_a_kept_card_said_in_russian_gets_the_no_side(engine: Engine):
    answer = engine.ask("Карта еще у меня, мне выплатят возврат?")
    assert answer.verdict == "no", answer.headline
    assert quoted_first(answer) == CARD
    # The side denies the claim: it reads as the Russian claim-not.
    assert answer.headline.startswith(
        "Деньги вернут только после возврата карты. Вы указали: клубная карта все еще у вас;"
    ), answer.headline
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("Деньги вам вернут", False)


def test_an_unstated_card_is_asked_for_in_russian(engine: Engine):
    answer = engine.ask("Мне уже выплатят возврат?")
    assert answer.verdict == "depends", answer.headline
    assert answer.clarify is not None
    assert answer.clarify.question == "Вы вернули клубную карту?"
    assert [(o.label, o.verdict) for o in answer.clarify.options] == [
        ("Вы вернули клубную карту", "yes"),
        ("Клубная карта все еще у вас", "no"),
    ]


# --- English questions are untouched by the second language -------------------------------


def test_an_english_question_still_gets_english(engine: Engine):
    question = "Can I cancel my membership and get a full refund?"
    assert engine.language_of(question) == "en"
    answer = engine.ask(question)
    assert answer.language == "en"
    assert answer.verdict == "depends", answer.headline
    assert answer.headline == (
        "It depends. Members who cancel within 14 days of joining get a full refund."
    )
    assert answer.clarify is not None
    assert answer.clarify.question == "How many days ago did you join?"
    assert [o.label for o in answer.clarify.options] == ["14 days or fewer", "More than 14 days"]


def test_english_days_are_still_said_in_english(engine: Engine):
    answer = engine.ask("I joined 3 days ago, can I cancel and get a full refund?")
    assert answer.language == "en"
    assert answer.verdict == "yes", answer.headline
    assert quoted_first(answer) == INSIDE
    assert answer.headline == (
        "You get a full refund. "
        "You said 3 days; members who cancel within 14 days of joining get a full refund."
    )
    assert answer.claim is not None
    assert (answer.claim.text, answer.claim.holds) == ("You get a full refund", True)


def test_a_latin_brand_name_leaves_a_question_russian(engine: Engine):
    assert engine.language_of("Можно ли заморозить абонемент в Riverside Gym?") == "ru"
    assert engine.language_of("Can I freeze my membership at Riverside?") == "en"


# --- the build refuses broken Russian, naming the file and line ----------------------------


def copy_policy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(POLICY_RU, target)
    return target


def rewrite(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) in ``path``; the 1-based line it stood on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def refused(corpus_dir: Path, tmp_path: Path) -> CorpusError:
    index_dir = tmp_path / "index"
    fake = FakeEmbedder()
    with pytest.raises(CorpusError) as caught:
        build_index(corpus_dir, index_dir, fake, multilingual=fake)
    assert not manifest_path(index_dir).exists()  # nothing was built
    return caught.value


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # Another limit than the `when` line's <= 2 weeks.
        (
            "  - `yes` days-since-joining <= 2 weeks: кто",
            "  - `yes` days-since-joining <= 10 days: кто",
        ),
        # Another value of the situation than the `when` line's card-returned = yes.
        ("  - `yes` card-returned = yes: деньги", "  - `yes` card-returned = no: деньги"),
    ],
)
def test_a_ru_when_with_other_conditions_is_refused(tmp_path: Path, old: str, new: str):
    corpus_dir = copy_policy(tmp_path)
    path = corpus_dir / "02-cancelling.md"
    at = rewrite(path, old, new)
    err = refused(corpus_dir, tmp_path)
    assert f"{shown(path)}:{at}: " in str(err)
    assert "'ru-when' states other conditions than 'when'" in str(err)
    assert any(i.line == at and "'ru-when'" in i.message for i in err.issues)


def test_a_language_folder_lacking_a_variable_is_refused(tmp_path: Path):
    corpus_dir = copy_policy(tmp_path)
    path = corpus_dir / "ru" / "conditions.md"
    text = path.read_text(encoding="utf-8")
    situations = text[text.index("# Situations") : text.index("# Durations")]
    rewrite(path, situations, "")
    err = refused(corpus_dir, tmp_path)
    message = "variable 'card-returned' of the main conditions.md is missing"
    assert re.search(rf"{re.escape(shown(path))}:\d+: {re.escape(message)}", str(err)), str(err)


def test_a_language_folders_variable_problems_name_a_real_line(tmp_path: Path):
    corpus_dir = copy_policy(tmp_path)
    path = corpus_dir / "ru" / "conditions.md"
    at = rewrite(path, "## card-returned", "## card-kept")
    err = refused(corpus_dir, tmp_path)
    issues = {i.message: i.line for i in err.issues if i.path == shown(path)}
    assert issues["variable 'card-kept' is not in the main conditions.md"] == at
    assert issues["variable 'card-returned' of the main conditions.md is missing"] >= 1


def test_a_passage_lacking_a_russian_claim_the_english_has_is_refused(tmp_path: Path):
    corpus_dir = copy_policy(tmp_path)
    path = corpus_dir / "02-cancelling.md"
    rewrite(path, "- ru-claim-not: Деньги вернут только после возврата карты\n", "")
    err = refused(corpus_dir, tmp_path)
    message = "passage 'refund-needs-card': 'ru-claim-not': the passage lacks it, 'claim-not' does"
    assert f"{shown(path)}:71: {message}" in str(err), str(err)
