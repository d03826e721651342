"""Reading the buyer's situation from a question, deterministically, with corpus words.

Durations ("10 days ago", "two weeks", "a month ago", "yesterday", "more than 15 days")
become days with the vocabulary of ``conditions.md``, and each is tied to the quantity
whose cue word stands nearest to it in its sentence ("closed 8 days ago" is days since the
dispute closed). Situations are stated by their phrases ("still on the way": the item has
not arrived); a phrase inside a longer matched phrase does not count ("arrived" inside
"hasn't arrived"). Anything unreadable or contradictory counts as not stated: the engine
then asks rather than guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from app.conditions import Conditions, Variable, Vocabulary
from app.text import stem


@dataclass(frozen=True)
class Duration:
    days: float
    said: str  # as the buyer wrote it: "three weeks"
    # The quantities whose cue word stands nearest (a cue may serve several: "opened" for
    # days since opening and for days the seller has been silent); () when no cue is near.
    quantities: tuple[str, ...]
    # Whether its sentence states a situation too ("the parcel arrived today"): then a
    # figure no cue claims dates that, not the point being asked about.
    beside_situation: bool = False
    start: int = 0  # where it stands in the question (lower-cased)
    end: int = 0


@dataclass(frozen=True)
class Situation:
    """What a question states: durations found, and situation values by variable."""

    durations: tuple[Duration, ...] = ()
    values: dict[str, str] = field(default_factory=dict)

    def stated(self, variable: Variable) -> tuple[float | str, str] | None:
        """The value the question states for ``variable`` and how to quote it back, or None
        when it states none, or two that disagree."""
        if not variable.is_quantity:
            name = self.values.get(variable.id)
            value = variable.value(name) if name else None
            return (value.name, value.label) if value else None
        mine = [d for d in self.durations if variable.id in d.quantities]
        if not mine:
            # A lone duration no cue word claims ("it's been 10 days, can I still appeal?")
            # answers the point being asked about; two such would be a guess, and so would
            # one beside a stated situation ("the parcel arrived today": not the closing).
            loose = [d for d in self.durations if not d.quantities]
            alone = len(loose) == 1 and len(self.durations) == 1
            mine = loose if alone and not loose[0].beside_situation else []
        if not mine or len({d.days for d in mine}) > 1:
            return None
        return mine[0].days, mine[0].said


def _alternatives(words) -> str:
    ordered = sorted({w for w in words if w}, key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


@dataclass(frozen=True)
class _Patterns:
    duration: re.Pattern
    day_phrase: re.Pattern | None
    numbers: dict[str, float]
    units: dict[str, float]
    days: dict[str, float]
    qualifiers: dict[str, float]


@lru_cache(maxsize=16)
def _patterns(vocabulary: Vocabulary) -> _Patterns:
    numbers = dict(vocabulary.numbers)
    units = dict(vocabulary.units)
    qualifiers = dict(vocabulary.qualifiers)
    days = dict(vocabulary.days)
    qualifier = _alternatives(qualifiers)
    number = r"\d+(?:[.,]\d+)?" + (f"|{_alternatives(numbers)}" if numbers else "")
    duration = re.compile(
        (rf"(?:\b(?P<qualifier>{qualifier})\s+(?:the\s+|a\s+)?)?" if qualifier else "")
        + rf"(?<![\w.])(?P<number>{number})\s*-?\s*(?P<unit>{_alternatives(units) or 'x^'})\b",
        re.IGNORECASE,
    )
    day_phrase = (
        re.compile(rf"\b(?P<phrase>{_alternatives(days)})\b", re.IGNORECASE) if days else None
    )
    return _Patterns(duration, day_phrase, numbers, units, days, qualifiers)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def read_situation(question: str, conditions: Conditions) -> Situation:
    """Everything ``question`` states about the variables of ``conditions``."""
    if not conditions.variables:
        return Situation()
    text = question.lower().replace("’", "'")
    found = _durations(text, conditions)
    situations = [v for v in conditions.variables if not v.is_quantity]
    values = {}
    for variable in situations:
        value = _situation_value(text, variable, conditions.vocabulary)
        if value is not None:
            values[variable.id] = value
    found = [
        replace(
            d,
            beside_situation=any(
                _mentions(_sentence_of(text, d.start, d.end), v) for v in situations
            ),
        )
        for d in found
    ]
    return Situation(tuple(found), values)


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the sentence holding text[start:end] begins and ends."""
    left = max(text.rfind(mark, 0, start) for mark in ".!?;\n") + 1
    stops = [i for i in (text.find(mark, end) for mark in ".!?;\n") if i >= 0]
    return left, min(stops) if stops else len(text)


def _sentence_of(text: str, start: int, end: int) -> str:
    left, right = _sentence_bounds(text, start, end)
    return text[left:right]


def _mentions(text: str, variable: Variable) -> bool:
    """Whether text holds any phrase of any value of a situation."""
    stemmed = _stems(text)
    phrases = {_stems(p) for value in variable.values for p in value.phrases}
    return re.search(rf"(?<!\w)(?:{_alternatives(phrases)})(?!\w)", stemmed) is not None


def _durations(text: str, conditions: Conditions) -> list[Duration]:
    patterns = _patterns(conditions.vocabulary)
    spans: list[tuple[int, int, float, str]] = []
    for match in patterns.duration.finditer(text):
        raw = match["number"]
        digits = raw[0].isdigit()
        amount = float(raw.replace(",", ".")) if digits else patterns.numbers[_key(raw)]
        per_unit = patterns.units[_key(match["unit"])]
        qualifier = match.groupdict().get("qualifier")
        days = amount * per_unit + (patterns.qualifiers[_key(qualifier)] if qualifier else 0.0)
        # Said back in plain form: "after the 15-day" -> "after 15 days".
        unit = _key(match["unit"]) if per_unit != 1 else ("day" if amount == 1 else "days")
        said = " ".join(w for w in (qualifier and _key(qualifier), _key(raw), unit) if w)
        spans.append((match.start(), match.end(), days, said))
    if patterns.day_phrase is not None and not spans:
        # "closed 15 days ago today": a number of days says more than "today" beside it.
        for match in patterns.day_phrase.finditer(text):
            if not any(
                s <= match.start() < e or match.start() <= s < match.end() for s, e, *_ in spans
            ):
                spans.append(
                    (
                        match.start(),
                        match.end(),
                        patterns.days[_key(match["phrase"])],
                        match["phrase"],
                    )
                )
    return [
        Duration(days, said, _nearest_cue(text, start, end, conditions), start=start, end=end)
        for start, end, days, said in sorted(spans)
    ]


def _nearest_cue(text: str, start: int, end: int, conditions: Conditions) -> tuple[str, ...]:
    """The quantities whose cue word is nearest to text[start:end] within its sentence."""
    left, right = _sentence_bounds(text, start, end)
    left -= 1
    distances: dict[str, int] = {}
    for variable in conditions.variables:
        if not variable.is_quantity or not variable.cues:
            continue
        for match in re.finditer(
            rf"\b(?:{_alternatives(variable.cues)})\b", text[left + 1 : right]
        ):
            at, until = left + 1 + match.start(), left + 1 + match.end()
            # Words between the cue and the duration: "closed 8 days ago" is 0 apart.
            distance = len((text[until:start] if until <= start else text[end:at]).split())
            distances[variable.id] = min(distance, distances.get(variable.id, distance))
    nearest = min(distances.values(), default=None)
    return tuple(v for v, d in distances.items() if d == nearest)


def _stems(text: str) -> str:
    """Words reduced to their stems, one space apart: "arrives", "arrived" and "arriving"
    meet, and "hasn't" meets "hasnt"."""
    return " ".join(stem(w) for w in re.findall(r"\w+", text.lower().replace("'", "")))


def _reaches(words: tuple[tuple[str, float], ...], before: list[str]) -> bool:
    """Whether one of ``words`` stands close enough before a phrase to govern it."""
    reach = {_stems(w): int(n) for w, n in words}
    return any(reach.get(w, 0) >= len(before) - n for n, w in enumerate(before))


def _situation_value(text: str, variable: Variable, vocabulary: Vocabulary) -> str | None:
    """The one value of a situation the text states; None if none, if two are stated, or if
    a negation stands just before the phrase ("hasn't even arrived").

    Text and phrases are compared stem by stem, so a phrase list need not spell out every
    ending a buyer may type.
    """
    text = _stems(text)
    matches = []
    for value in variable.values:
        phrases = {_stems(p) for p in value.phrases}
        for match in re.finditer(rf"(?<!\w)(?:{_alternatives(phrases)})(?!\w)", text):
            matches.append((match.start(), match.end(), value.name))
    # Longest phrases first; a shorter one overlapping a kept one is part of it ("received
    # it" inside "haven't received it").
    kept: list[tuple[int, int, str]] = []
    for m in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):
        if all(m[1] <= k[0] or k[1] <= m[0] for k in kept):
            kept.append(m)
    names = set()
    for start, _, name in kept:
        before = text[:start].split()
        if _reaches(vocabulary.negations, before):
            return None
        if _reaches(vocabulary.pending, before):
            others = [v.name for v in variable.values if v.name != name]
            if len(others) != 1:
                return None
            name = others[0]
        names.add(name)
    return names.pop() if len(names) == 1 else None
