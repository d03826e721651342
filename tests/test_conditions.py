"""Conditions as corpus data: ``conditions.md`` and the passages' ``when`` sides.

A tiny corpus (tests/fixtures/corpus) gets a conditions.md declaring one quantity and one
situation, and its appeal passage gets a ``point`` with ``when`` sides. Every mistake an
author can make in a side is reported as ``path:line: message`` by ``load_corpus``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer.conditional import Ask, Decided, SideOf, decide
from app.answer.records import Claim as AnswerClaim
from app.corpus.claims import Claim, Claims
from app.corpus.load import load_corpus
from app.errors import CorpusError
from app.reading.conditions import Condition, Conditions, Side, Value, Variable, Vocabulary
from app.reading.question import Analysis
from app.reading.situation import Situation
from tests.conftest import repo_corpus

CONDITIONS_MD = """\
# Quantities

## days-since-closed

- unit: days
- ask: How many days ago did the dispute close?
- cues: closed, ended

# Situations

## item-arrived

- ask: Has the item arrived?
- value yes: the item has arrived
  - arrived, came
- value no: the item hasn't arrived yet
  - not arrived, hasn't arrived

# Durations

| number | means |
| --- | --- |
| two | 2 |

| unit | days |
| --- | --- |
| day, days | 1 |
| week, weeks | 7 |

| phrase | days |
| --- | --- |
| yesterday | 1 |

| qualifier | days added |
| --- | --- |
| more than | 0.5 |

| negation | words before |
| --- | --- |
| not | 3 |

| pending | words before |
| --- | --- |
| until | 6 |

# Wording

| key | sentence |
| --- | --- |
| said | You said {figure}; {because}. |
| and | and |
| in-days | {said} ({days} days) |
| in-day | {said} (1 day) |
| <= | {limit} days or fewer |
| < | fewer than {limit} days |
| >= | {limit} days or more |
| > | more than {limit} days |
"""

# b.md of the fixture corpus, with the sides written in. Line 1 is "# Appeals".
APPEAL_MD = """\
# Appeals

## appeal-window

> You have 15 days to appeal. After that it is too late.

- verdict: info
- rule: You have 15 days to appeal.
- claim: You can still appeal
- claim-not: You can no longer appeal
- facts:
  - 15 days: time to appeal
- questions:
  - How long do I have to appeal?
  - Is there an appeal deadline?
  - `no` Can I appeal after a month?
- point: appeal-window
- when:
{sides}
"""
POINT_LINE = 17  # "- point: appeal-window"
WHEN_LINE = 18  # "- when:"
FIRST_SIDE_LINE = 19  # the first "  - `yes` ..." below it


def write_sides(corpus_dir: Path, *sides: str) -> None:
    (corpus_dir / "conditions.md").write_text(CONDITIONS_MD, encoding="utf-8")
    text = APPEAL_MD.format(sides="\n".join(f"  - {side}" for side in sides))
    (corpus_dir / "b.md").write_text(text, encoding="utf-8")


def issues_of(corpus_dir: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    return [(Path(i.path).name, i.line, i.message) for i in caught.value.issues]


def test_sides_are_parsed_with_limits_in_days(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 2 weeks: appeals are open for 2 weeks",
        "`no` days-since-closed > 2 weeks: appeals close after 2 weeks",
    )
    passage = next(p for p in load_corpus(corpus_dir).passages if p.id == "appeal-window")
    assert passage.point == "appeal-window"
    assert passage.sides == (
        Side(
            (Condition("days-since-closed", "<=", limit=14.0),),
            "yes",
            "appeals are open for 2 weeks",
        ),
        Side(
            (Condition("days-since-closed", ">", limit=14.0),), "no", "appeals close after 2 weeks"
        ),
    )


def test_situation_sides_are_parsed_by_value(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` item-arrived = yes: you can appeal once the item has arrived",
        "`no` item-arrived = no: wait for the item",
    )
    passage = next(p for p in load_corpus(corpus_dir).passages if p.id == "appeal-window")
    assert [s.conditions for s in passage.sides] == [
        (Condition("item-arrived", "=", value="yes"),),
        (Condition("item-arrived", "=", value="no"),),
    ]
    assert [s.verdict for s in passage.sides] == ["yes", "no"]


def test_the_corpus_loads_its_conditions(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    conditions = load_corpus(corpus_dir).conditions
    assert [v.id for v in conditions.variables] == ["days-since-closed", "item-arrived"]
    assert dict(conditions.vocabulary.units)["weeks"] == 7


def test_an_unknown_variable_is_named_with_its_line(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-shipped <= 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", FIRST_SIDE_LINE)
    assert "unknown quantity or situation 'days-since-shipped'" in message
    assert "days-since-closed, item-arrived" in message  # the known ones are listed


def test_an_unknown_situation_is_named_with_its_line(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` parcel-lost = yes: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", FIRST_SIDE_LINE + 1)
    assert "unknown quantity or situation 'parcel-lost'" in message


def test_a_bad_unit_is_named_with_its_line(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 kg: open",
        "`no` days-since-closed > 15 days: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", FIRST_SIDE_LINE)
    assert "bad unit 'kg'" in message
    assert "days-since-closed" in message


def test_a_situation_compared_with_less_than_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` item-arrived < yes: open",
        "`no` item-arrived = no: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", FIRST_SIDE_LINE)
    assert "compare the situation 'item-arrived' with '='" in message


def test_a_quantity_compared_with_equals_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed = 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", FIRST_SIDE_LINE)
    assert "compare the quantity 'days-since-closed' with <, <=, > or >=" in message


def test_an_unknown_situation_value_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` item-arrived = maybe: open",
        "`no` item-arrived = no: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", FIRST_SIDE_LINE)
    assert "'item-arrived' has no value 'maybe' (values: yes, no)" in message


def test_overlapping_sides_are_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` days-since-closed >= 10 days: closed",
    )
    found = issues_of(corpus_dir)
    assert found, "an overlap must be refused"
    assert all((path, line) == ("b.md", WHEN_LINE) for path, line, _ in found)
    assert all("point 'appeal-window'" in message for *_, message in found)
    assert any("two sides hold for 10 days" in m and "they overlap" in m for *_, m in found)
    assert any("two sides hold for 15 days" in m for *_, m in found)


def test_a_gap_between_sides_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed < 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", WHEN_LINE)
    assert message == "point 'appeal-window': no side holds for 15 days: a gap"


def test_a_situation_value_no_side_covers_is_a_gap(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` item-arrived = yes: open",
        "`no` item-arrived = yes: closed",
    )
    found = [m for *_, m in issues_of(corpus_dir)]
    assert "point 'appeal-window': no side holds for item-arrived 'no': a gap" in found
    assert any("two sides hold for item-arrived 'yes'" in m for m in found)


def test_a_point_with_one_side_is_refused(corpus_dir: Path):
    write_sides(corpus_dir, "`yes` days-since-closed <= 15 days: open")
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", WHEN_LINE)
    assert message == (
        "point 'appeal-window': a point needs two sides or more: add the other side's 'when'"
    )


def test_sides_on_different_variables_must_cover_every_combination(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` item-arrived = no: closed",
    )
    found = [(path, line, m) for path, line, m in issues_of(corpus_dir)]
    assert all((path, line) == ("b.md", WHEN_LINE) for path, line, _ in found)
    messages = [m for *_, m in found]
    gap = "no side holds for just over 15 days and item-arrived 'yes': a gap"
    assert f"point 'appeal-window': {gap}" in messages
    assert any("two sides hold for 0 days and item-arrived 'no'" in m for m in messages)


def test_a_side_may_join_conditions_with_and(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days and item-arrived = yes: appeal with the item",
        "`no` days-since-closed > 15 days: too late",
        "`depends` days-since-closed <= 15 days and item-arrived = no: wait for it",
    )
    passage = next(p for p in load_corpus(corpus_dir).passages if p.id == "appeal-window")
    assert passage.sides[0].conditions == (
        Condition("days-since-closed", "<=", limit=15.0),
        Condition("item-arrived", "=", value="yes"),
    )
    assert passage.sides[0].holds({"days-since-closed": 3.0})  # arrival still unknown
    assert not passage.sides[0].holds({"days-since-closed": 3.0, "item-arrived": "no"})


def test_a_variable_compared_twice_in_one_side_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` item-arrived = yes and item-arrived = no: never",
        "`no` item-arrived = no: closed",
    )
    [(_, line, message)] = issues_of(corpus_dir)
    assert line == FIRST_SIDE_LINE
    assert "'item-arrived' is compared twice in one side" in message


def test_a_point_without_sides_is_refused(corpus_dir: Path):
    (corpus_dir / "conditions.md").write_text(CONDITIONS_MD, encoding="utf-8")
    text = APPEAL_MD.replace("- when:\n{sides}\n", "")
    (corpus_dir / "b.md").write_text(text, encoding="utf-8")
    [(path, line, message)] = issues_of(corpus_dir)
    assert (path, line) == ("b.md", POINT_LINE)
    assert "point 'appeal-window' has no sides: add a 'when' list" in message


def test_sides_without_conditions_md_name_the_fix(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    (corpus_dir / "conditions.md").unlink()
    found = issues_of(corpus_dir)
    assert ("b.md", FIRST_SIDE_LINE) in [(p, n) for p, n, _ in found]
    assert any("none: add conditions.md" in m for *_, m in found)


def test_a_conditions_file_without_wording_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    text = CONDITIONS_MD.split("# Wording")[0]
    (corpus_dir / "conditions.md").write_text(text, encoding="utf-8")
    found = issues_of(corpus_dir)
    assert [(p, m) for p, _, m in found] == [
        ("conditions.md", "'# Wording' table lacks said, and, in-days, in-day, <=, <, >=, >")
    ]


def test_a_passage_may_refer_to_a_point_other_passages_answer(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: appeals are open for 15 days",
        "`no` days-since-closed > 15 days: appeals are open for only 15 days",
    )
    a_md = corpus_dir / "a.md"
    text = a_md.read_text(encoding="utf-8")
    a_md.write_text(
        text.replace(
            "- rule: A dispute protects you.\n",
            "- rule: A dispute protects you.\n- point: appeal-window\n",
        ),
        encoding="utf-8",
    )
    passages = {p.id: p for p in load_corpus(corpus_dir).passages}
    referrer = passages["dispute-protects"]
    assert (referrer.point, referrer.sides) == ("appeal-window", ())
    assert len(passages["appeal-window"].sides) == 2


# Deciding with sides that join conditions, and a presumed value (made-up variables).
ARRIVED = Variable(
    "item-arrived",
    "Has it arrived?",
    values=(Value("yes", "it has arrived", ("arrived",)), Value("no", "it hasn't", ("not",))),
)
OPEN = Variable(
    "dispute-open",
    "Is it still open?",
    values=(Value("yes", "it is open", ("open",)), Value("no", "it is closed", ("closed",))),
    presumed="yes",
)
ARRIVED_YES, ARRIVED_NO = (Condition("item-arrived", "=", value=v) for v in ("yes", "no"))
OPEN_YES, OPEN_NO = (Condition("dispute-open", "=", value=v) for v in ("yes", "no"))
# p holds its claim on its `yes` side and denies it on its `no` side; so does q's `no` side.
CAN_CANCEL = Claims(Claim("You can cancel the dispute", "Don't cancel the dispute"))
TOO_LATE = Claims(Claim("You can cancel the dispute", "You can no longer cancel the dispute"))
CANCEL_ON_ARRIVAL = [
    SideOf("p", Side((ARRIVED_YES, OPEN_YES), "yes", "cancel it"), CAN_CANCEL, "yes"),
    SideOf("p", Side((ARRIVED_NO,), "no", "wait for it"), CAN_CANCEL, "yes"),
    SideOf("q", Side((ARRIVED_YES, OPEN_NO), "no", "too late"), TOO_LATE),
]
SAID = Vocabulary(wording=(("said", "You said {figure}; {because}."), ("and", "and")))
WORDS = Conditions((ARRIVED, OPEN), SAID)
ASKS_TO_CANCEL = Analysis(form="yesno", action=1, polarity=1, asks_amount=False, choice=False)


def decided(values: dict[str, str]):
    return decide(
        ASKS_TO_CANCEL,
        Situation(states=tuple(sorted(values.items()))),
        CANCEL_ON_ARRIVAL,
        WORDS,
        "yes",
        "any",
        repo_corpus().language,
    )


def test_a_presumed_value_decides_without_being_said_back():
    decision = decided({"item-arrived": "yes"})
    claim = AnswerClaim(
        text="You can cancel the dispute", holds=True, says="You can cancel the dispute"
    )
    assert decision == Decided(
        "yes",
        "You said it has arrived; cancel it.",
        "p",
        read_from_words=True,
        claim=claim,
        said="You can cancel the dispute",
        stated=("item-arrived",),  # the presumed dispute-open is not the buyer's
    )
    assert decision.headline(repo_corpus().language) == (
        "You can cancel the dispute. You said it has arrived; cancel it."
    )


def test_a_stated_value_overrides_the_presumed_one():
    decision = decided({"item-arrived": "yes", "dispute-open": "no"})
    claim = AnswerClaim(
        text="You can cancel the dispute",
        holds=False,
        says="You can no longer cancel the dispute",
    )
    assert decision == Decided(
        "no",
        "You said it has arrived and it is closed; too late.",
        "q",
        read_from_words=True,
        claim=claim,
        said="You can no longer cancel the dispute",
        stated=("item-arrived", "dispute-open"),
    )
    assert decision.headline(repo_corpus().language) == (
        "You can no longer cancel the dispute. You said it has arrived and it is closed; too late."
    )


def test_nothing_stated_asks_the_first_variable_that_decides():
    asked = decided({})
    assert isinstance(asked, Ask)
    assert asked.question == "Has it arrived?"
    assert [(o.label, o.verdict, o.quotes) for o in asked.options] == [
        ("It has arrived", "yes", ("p",)),
        ("It hasn't", "no", ("p",)),
    ]
    # Each option leads with p's claim as its side makes it hold, or fail.
    assert [(o.headline, o.claim and o.claim.holds) for o in asked.options] == [
        ("You can cancel the dispute. Cancel it.", True),
        ("Don't cancel the dispute. Wait for it.", False),
    ]


def test_a_wording_that_cannot_format_fails_the_build(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` days-since-closed <= 15 days: open",
        "`no` days-since-closed > 15 days: closed",
    )
    broken = CONDITIONS_MD.replace("| said | You said {figure}; {because}. |", "| said | {figur} |")
    (corpus_dir / "conditions.md").write_text(broken, encoding="utf-8")
    [(path, _, message)] = issues_of(corpus_dir)
    assert path == "conditions.md"
    assert "wording 'said': '{figur}' does not format" in message


def test_a_misspelt_variable_field_is_refused(corpus_dir: Path):
    write_sides(
        corpus_dir,
        "`yes` item-arrived = yes: open",
        "`no` item-arrived = no: closed",
    )
    misspelt = CONDITIONS_MD.replace("- ask: Has the item arrived?", "- aks: Has the item arrived?")
    (corpus_dir / "conditions.md").write_text(misspelt, encoding="utf-8")
    messages = [m for *_, m in issues_of(corpus_dir)]
    assert any("unknown field 'aks'" in m for m in messages)
