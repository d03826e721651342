"""Conditions: what a passage's verdict depends on, as data from ``corpus/conditions.md``.

The guide's answers turn on the buyer's situation: appeals are open for 15 days after a
dispute closes, a dispute may be cancelled once the item has arrived. A **variable** is
either a *quantity* (a number of days, read from "10 days ago", "three weeks") or a
*situation* with named values ("the item has arrived": yes / no). A passage's annotation
states **sides**: a condition on one variable and the verdict that holds under it. Sides
that share a **point** (across passages or within one) are the two answers to one
question, and together they must cover every value of the variable exactly once.

This module is the data model only; ``app.corpus.conditions_file`` parses and validates it and
``app.reading.situation`` reads a buyer's question against it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

OPERATORS = ("<=", "<", ">=", ">", "=")
# The most ways a clarifying question can offer (one per distinct condition on a variable):
# the page shows one button each.
MAX_OPTIONS = 4


@dataclass(frozen=True)
class Condition:
    """``variable op value``: ``days-since-closed <= 15`` or ``item-arrived = yes``.

    A quantity's limit is held in days, whatever unit the annotation used.
    """

    variable: str
    op: str
    limit: float | None = None  # quantities
    value: str | None = None  # situations

    def holds(self, stated: float | str) -> bool:
        if self.op == "=":
            return stated == self.value
        if isinstance(stated, str) or self.limit is None:
            return False
        return {
            "<=": stated <= self.limit,
            "<": stated < self.limit,
            ">=": stated >= self.limit,
            ">": stated > self.limit,
        }[self.op]


@dataclass(frozen=True)
class Side:
    """One side of a conditional point: when all its ``conditions`` hold, the verdict is
    ``verdict`` ("the item has arrived and AliExpress has not closed the dispute yet").

    ``verdict`` answers the point's question asked the positive way ("can I appeal?",
    "can I cancel?"); ``because`` states the guide's limit in plain words for the headline
    ("appeals are open for 15 days after a dispute closes").
    """

    conditions: tuple[Condition, ...]
    verdict: str
    because: str

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(c.variable for c in self.conditions)

    def on(self, variable: str) -> Condition | None:
        """Its condition on ``variable``; None when it holds whatever that is."""
        return next((c for c in self.conditions if c.variable == variable), None)

    def holds(self, known: dict[str, float | str]) -> bool:
        """Whether no condition is broken by the values known (unknown ones may still)."""
        return all(c.holds(known[c.variable]) for c in self.conditions if c.variable in known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Side:
        conditions = tuple(Condition(**c) for c in record["conditions"])
        return cls(conditions, record["verdict"], record["because"])


@dataclass(frozen=True)
class Value:
    """A value a situation can take, how to say it, and the phrases that state it."""

    name: str  # "yes"
    label: str  # "the item has arrived"
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Variable:
    """A quantity (``unit`` set, ``cues`` tie a number to it) or a situation (``values``)."""

    id: str
    ask: str  # the clarifying question: "How many days ago did the dispute close?"
    unit: str | None = None
    cues: tuple[str, ...] = ()
    values: tuple[Value, ...] = ()
    # The value a question presupposes when it says nothing ("can I cancel my dispute?"
    # presumes it is still open): used to decide, never said back as the buyer's words.
    presumed: str | None = None

    @property
    def is_quantity(self) -> bool:
        return self.unit is not None

    def value(self, name: str) -> Value | None:
        return next((v for v in self.values if v.name == name), None)


@dataclass(frozen=True)
class Vocabulary:
    """The words durations are written in, and the fixed wording of conditional answers.

    ``numbers``: "three" -> 3; ``units``: "week" -> 7 days; ``days``: whole phrases such as
    "yesterday" -> 1; ``qualifiers``: "more than" -> +0.5 day, so "more than 15 days" is past
    a 15-day limit while "15 days" is on it; ``negations``: words that, just before a
    situation's phrase, leave it unreadable ("hasn't even arrived" does not state "arrived");
    ``pending``: words after which a yes/no situation's phrase states its opposite ("wait
    until it arrives": not arrived); ``wording``: templates keyed ``said``, ``<=``…
    """

    numbers: tuple[tuple[str, float], ...] = ()
    units: tuple[tuple[str, float], ...] = ()
    days: tuple[tuple[str, float], ...] = ()
    qualifiers: tuple[tuple[str, float], ...] = ()
    negations: tuple[tuple[str, float], ...] = ()  # word -> how many words before it reaches
    pending: tuple[tuple[str, float], ...] = ()  # "until": the phrase after it is not yet so
    hypotheticals: tuple[tuple[str, float], ...] = ()  # "will", "should have": not so yet
    limits: tuple[tuple[str, float], ...] = ()  # "limit" in "the 60 day limit": not the buyer's
    wording: tuple[tuple[str, str], ...] = ()

    def word(self, key: str, **fields: Any) -> str:
        template = dict(self.wording).get(key, "")
        return template.format(**fields) if template else ""

    def in_days(self, said: str, days: float) -> str:
        """ "two weeks (14 days)", "yesterday (1 day)": the buyer's figure with the days it
        counts as (wording ``in-days``, and ``in-day`` for one)."""
        return self.word("in-day" if days == 1 else "in-days", said=said, days=f"{days:g}")

    def says_days(self, said: str) -> bool:
        """Whether the buyer's figure is already in days ("10 days", "10 дней"): it holds a
        word of the unit worth one day."""
        day_words = {w for w, per in self.units if per == 1}
        return bool(set(said.lower().split()) & day_words)


@dataclass(frozen=True)
class Conditions:
    """Every variable a corpus's conditions may use, and how to read and say them."""

    variables: tuple[Variable, ...] = ()
    vocabulary: Vocabulary = Vocabulary()

    def variable(self, variable_id: str) -> Variable | None:
        return next((v for v in self.variables if v.id == variable_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "variables": [asdict(v) for v in self.variables],
            "vocabulary": {
                key: [list(pair) for pair in rows] for key, rows in asdict(self.vocabulary).items()
            },
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Conditions:
        variables = tuple(
            Variable(
                id=v["id"],
                ask=v["ask"],
                unit=v["unit"],
                cues=tuple(v["cues"]),
                values=tuple(
                    Value(x["name"], x["label"], tuple(x["phrases"])) for x in v["values"]
                ),
                presumed=v.get("presumed"),
            )
            for v in record["variables"]
        )
        vocabulary = Vocabulary(
            **{k: tuple(tuple(pair) for pair in v) for k, v in record["vocabulary"].items()}
        )
        return cls(variables, vocabulary)
