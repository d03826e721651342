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

from dataclasses import dataclass, field
from typing import cast

from app.answer.records import Claim, Option, Verdict
from app.corpus.claims import Claims
from app.reading.conditions import Condition, Conditions, Side, Variable
from app.reading.language import Language
from app.reading.question import Analysis
from app.reading.situation import Situation


@dataclass(frozen=True)
class SideOf:
    """A side of the point, with the passage (by id) whose quote supports it, and that
    passage's claims and verdict (what the side makes hold: ``app.corpus.claims``)."""

    passage: str
    side: Side
    claims: Claims = field(default_factory=Claims)
    verdict: str = "info"

    def claim(self) -> tuple[Claim | None, str]:
        """The claim this side makes (or denies) and how it reads for this buyer."""
        wording, holds = self.claims.of_side(self.side, self.verdict)
        if wording is None:
            return None, ""
        said = wording.said(holds)
        return Claim(text=wording.text, holds=holds, says=said), said


def headline(verdict: str, said: str, reason: str, language: Language) -> str:
    """A headline: a yes or no (or a claim stated instead of one) leads with its claim as
    it holds ("You can no longer appeal."), any other verdict with its first words ("It
    depends."), then the reason."""
    if verdict != "depends" and said:
        return language.claimed(said, reason)
    return f"{language.headline(verdict)} {reason}".strip()


@dataclass(frozen=True)
class Decided:
    verdict: str
    reason: str  # "You said 8 days; appeals are open for 15 days after a dispute closes."
    passage: str  # quoted first
    # Whether it rests on a situation read from words inside a question or a hedged
    # sentence ("can I confirm once it arrived?"), which a phrasing no list foresaw can fool,
    # rather than on a number of days or a flat statement ("It arrived today.").
    read_from_words: bool = False
    # Whether it rests on days alone: a limit the guide allows within, no advice to act.
    on_days: bool = False
    claim: Claim | None = None  # what the side asserts, and whether it holds
    said: str = ""  # the claim as it holds: "You can no longer appeal"
    stated: tuple[str, ...] = ()  # the variables the buyer stated that the side rests on

    def headline(self, language: Language) -> str:
        return headline(self.verdict, self.said, self.reason, language)


@dataclass(frozen=True)
class Ask:
    question: str
    options: tuple[Option, ...]
    because: str  # the first side's reason, as the headline of the question
    on_days: bool = False  # it asks a number of days, not a situation
    reasons: tuple[str, ...] = ()  # each option's reason, as its headline says it


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
    asks: str,
    language: Language,
) -> Decided | Ask | None:
    """The conditional answer for a question whose passage belongs to a point.

    The side whose conditions all hold on what the question states (or presupposes)
    decides. When what is unknown would change the verdict, the answer asks about the
    first unknown variable the remaining sides turn on, one option per way it can go.
    """
    names = dict.fromkeys(name for s in sides for name in s.side.variables)
    found = {name: conditions.variable(name) for name in names}
    by_name = {name: v for name, v in found.items() if v is not None}
    if not sides or len(by_name) < len(found):
        return None
    stated = {name: said for name, v in by_name.items() if (said := situation.stated(v))}
    if not applies(analysis, matched_verdict, bool(stated), asks):
        return None
    known: dict[str, float | str] = {name: value for name, (value, _) in stated.items()}
    for name, v in by_name.items():
        if name not in known and v.presumed is not None:
            known[name] = v.presumed  # "can I cancel my dispute?" presumes it is open
    turn = analysis.polarity == -1

    def verdict_of(side: Side) -> str:
        return flip(side.verdict) if turn else side.verdict

    possible = [s for s in sides if s.side.holds(known)]
    definite = [s for s in possible if set(s.side.variables) <= set(known)]
    if definite and stated:
        holding = definite[0]
        figures = [
            _said(by_name[n], *stated[n], conditions) for n in holding.side.variables if n in stated
        ]
        if not figures:
            return None  # decided by presumption alone: nothing the buyer said to quote
        verdict = verdict_of(holding.side)
        reason = conditions.vocabulary.word(
            "said",
            figure=f" {conditions.vocabulary.word('and')} ".join(figures),
            because=holding.side.because,
        )
        from_words = any(
            not by_name[n].is_quantity and n not in situation.firm
            for n in holding.side.variables
            if n in stated
        )
        on_days = all(by_name[n].is_quantity for n in holding.side.variables if n in stated)
        claim, claimed = holding.claim()
        rests_on = tuple(n for n in holding.side.variables if n in stated)
        return Decided(
            verdict, reason, holding.passage, from_words, on_days, claim, claimed, rests_on
        )
    if not possible or definite or len({verdict_of(s.side) for s in possible}) < 2:
        return None  # nothing stated, or nothing unknown would change the answer
    asked = next(
        v for n, v in by_name.items() if n not in known and any(s.side.on(n) for s in possible)
    )
    options, reasons = [], []
    for condition in dict.fromkeys(c for s in possible if (c := s.side.on(asked.id))):
        group = [s for s in possible if s.side.on(asked.id) in (None, condition)]
        verdicts = {verdict_of(s.side) for s in group}
        verdict = verdicts.pop() if len(verdicts) == 1 else "depends"
        because = group[0].side.because
        if verdict == "depends":  # another unknown still decides: say which
            later = next(n for s in group for n in s.side.variables if n != asked.id)
            because = by_name[later].ask
        claim, claimed = group[0].claim() if verdict in ("yes", "no") else (None, "")
        passages = tuple(dict.fromkeys(s.passage for s in group))
        label = _label(asked, condition, conditions)
        # A side's verdict, which conditions.md admits only from those Option takes (and
        # pydantic checks again).
        reasons.append(_sentence(because))
        options.append(
            Option(
                label=label,
                verdict=cast(Verdict, verdict),
                headline=headline(verdict, claimed, reasons[-1], language),
                claim=claim,
                quotes=passages,
            )
        )
    if len({o.verdict for o in options}) < 2:
        return None
    because = _sentence(possible[0].side.because)
    return Ask(asked.ask, tuple(options), because, asked.is_quantity, tuple(reasons))


def _said(variable: Variable, value: float | str, said: str, conditions: Conditions) -> str:
    return _figure(said, value, conditions) if variable.is_quantity else said


def _figure(said: str, days: float | str, conditions: Conditions) -> str:
    """The buyer's figure as they said it, with the days it counts as when not in days."""
    wording = conditions.vocabulary
    if wording.says_days(said) or not isinstance(days, float) or days >= 365:
        return said  # "never replies" counts as forever, not as a number of days
    return wording.in_days(said, days)


def _label(variable: Variable, condition: Condition, conditions: Conditions) -> str:
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
