"""Verdicts that follow the guide's conditions: decide by the buyer's situation, or ask.

When the passage that answers a question is one side of a conditional point ("appeals are
open for 15 days after a dispute closes"), its verdict holds only under its condition:

- the question states the condition ("closed 8 days ago"): the side whose condition holds
  gives the verdict and the first quote, and the headline says why, in the corpus's fixed
  wording ("You said 8 days; appeals are open for 15 days after a dispute closes.");
- it does not, and the sides disagree: the verdict is ``depends`` and the answer asks the
  variable's clarifying question, one option per side.

Side verdicts answer the point asked the positive way ("can I appeal?"); a question asked
the other way round ("is it too late to appeal?") gets them flipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.conditions import Conditions, Side, Variable
from app.question import Analysis
from app.situation import Situation

PREFIX = {"yes": "Yes.", "no": "No.", "depends": "It depends."}


@dataclass(frozen=True)
class SideOf:
    """A side of the point, with the passage (by id) whose quote supports it."""

    passage: str
    side: Side


@dataclass(frozen=True)
class Decided:
    verdict: str
    headline: str
    passage: str  # quoted first


@dataclass(frozen=True)
class Ask:
    question: str
    options: tuple[tuple[str, str, str, str], ...]  # (label, verdict, headline, passage id)
    because: str  # the first side's reason, as the headline of the question


def flip(verdict: str) -> str:
    return {"yes": "no", "no": "yes"}.get(verdict, verdict)


def applies(
    analysis: Analysis, matched_verdict: str | None, stated: bool, asks: str = "any"
) -> bool:
    """Whether the question asks the point's own yes/no question.

    Open questions ("how long do I have to appeal?") and choices get facts, not sides. An
    unstated condition is asked for only when the annotated question the buyer's matched
    asks the point itself (its verdict is the passage's yes/no, or ``depends``), so "is
    there a deadline for cancelling?" keeps its own plain answer.
    """
    if analysis.form == "open" or analysis.choice:
        return False
    if asks != "any" and (analysis.action is not None) != (asks == "action"):
        return False
    if stated:
        return True
    if analysis.form == "short" and analysis.action is None:
        return False
    return matched_verdict in ("yes", "no", "depends")


def decide(
    analysis: Analysis,
    situation: Situation,
    sides: list[SideOf],
    conditions: Conditions,
    matched_verdict: str | None,
    asks: str = "any",
) -> Decided | Ask | None:
    """The conditional answer for a question whose top passage belongs to a point."""
    if not sides:
        return None
    variable = conditions.variable(sides[0].side.condition.variable)
    if variable is None:
        return None
    stated = situation.stated(variable)
    if not applies(analysis, matched_verdict, stated is not None, asks):
        return None
    turn = analysis.polarity == -1

    def verdict_of(side: Side) -> str:
        return flip(side.verdict) if turn else side.verdict

    if stated is not None:
        value, said = stated
        holding = next((s for s in sides if s.side.condition.holds(value)), None)
        if holding is None:
            return None
        verdict = verdict_of(holding.side)
        figure = _figure(said, value) if variable.is_quantity else said
        reason = conditions.vocabulary.word("said", figure=figure, because=holding.side.because)
        return Decided(verdict, f"{PREFIX.get(verdict, '')} {reason}".strip(), holding.passage)

    options = tuple(
        (
            _label(variable, s.side, conditions),
            verdict_of(s.side),
            f"{PREFIX.get(verdict_of(s.side), '')} {_sentence(s.side.because)}".strip(),
            s.passage,
        )
        for s in sides
    )
    if len({o[1] for o in options}) < 2:
        return None  # every side says the same: nothing to ask
    return Ask(variable.ask, options, _sentence(sides[0].side.because))


def _figure(said: str, days: float | str) -> str:
    """The buyer's figure as they said it, with the days it counts as when not in days."""
    if re.search(r"\bdays?\b", said) or not isinstance(days, float) or days >= 365:
        return said  # "never replies" counts as forever, not as a number of days
    return f"{said} ({days:g} day{'' if days == 1 else 's'})"


def _label(variable: Variable, side: Side, conditions: Conditions) -> str:
    condition = side.condition
    if variable.is_quantity and condition.limit is not None:
        text = conditions.vocabulary.word(condition.op, limit=f"{condition.limit:g}")
    else:
        value = variable.value(condition.value or "")
        text = value.label if value else str(condition.value)
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
