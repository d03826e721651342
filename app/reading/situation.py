"""Reading the buyer's situation from a question, deterministically, with corpus words.

Durations ("10 days ago", "two weeks", "a month ago", "yesterday", "more than 15 days")
become days with the vocabulary of ``conditions.md``, and each is tied to the quantity
whose cue word stands nearest to it in its sentence ("closed 8 days ago" is days since the
dispute closed). Situations are stated by their phrases ("still on the way": the item has
not arrived), matched word for word (tense matters: "will arrive" is not "arrived"); a
phrase inside a longer matched one does not count ("arrived" inside "hasn't arrived").

Reading fails closed. A phrase governed by a negation ("hasn't even arrived") or a
hypothetical ("it will arrive", "it should have arrived") in its sentence is not read;
after a pending word ("wait until it is in my hands") a yes/no situation's first value
turns into the second, never the other way. Anything unread, unreadable or contradictory
counts as not stated: the engine then asks rather than guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.reading.conditions import Conditions, Variable
from app.reading.wordlist import alternatives

_SENTENCE = re.compile(r"[^.!?;\n]+")
_CLAUSE = re.compile(r"[,:()]|\s[-–—]\s")


@dataclass(frozen=True)
class Duration:
    days: float
    said: str  # as the buyer wrote it, tidied: "three weeks", "after 15 days"
    # The quantities whose cue word stands nearest (a cue may serve several: "opened" for
    # days since opening and for days the seller has been silent); () when no cue is near.
    quantities: tuple[str, ...]
    # Whether its sentence states a situation too ("the parcel arrived today"): then a
    # figure no cue claims dates that, not the point being asked about.
    beside_situation: bool = False
    distance: int = 0  # words between it and its cue: the nearer of two figures wins


@dataclass(frozen=True)
class Situation:
    """What a question states: durations found, and situation values by variable."""

    durations: tuple[Duration, ...] = ()
    states: tuple[tuple[str, str], ...] = ()  # (situation id, value), sorted
    # The situations stated flatly ("40 is fine for me."), not inside a question or beside a
    # negation or hypothetical: a reading that cannot have been fooled by either.
    firm: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, str]:
        return dict(self.states)

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
        if mine:
            # "Ordered 40 days ago, opened the dispute 3 days ago": "opened" claims the
            # figure right beside it; two figures as near as each other are a contradiction.
            nearest = min(d.distance for d in mine)
            mine = [d for d in mine if d.distance == nearest]
        if not mine or len({d.days for d in mine}) > 1:
            return None
        return mine[0].days, mine[0].said


Folds = tuple[tuple[str, str], ...]  # a language's letters read as others: (("ё", "е"),)


def _fold(text: str, folds: Folds) -> str:
    text = text.lower()
    for letter, plain in folds:
        text = text.replace(letter, plain)
    return text


def _plain(text: str, folds: Folds) -> str:
    """Words only, folded, one space apart, apostrophes dropped ("hasn't" and "hasnt" meet);
    a word list's ``*`` (any ending) and ``…`` (a gap) are kept."""
    text = _fold(text, folds).replace("'", "").replace("...", "…")
    return " ".join(re.findall(r"\w+\*?|…", text))


@dataclass(frozen=True)
class _Patterns:
    """A corpus's conditions compiled once: what reading a question matches with."""

    duration: re.Pattern
    day_phrase: re.Pattern | None
    numbers: dict[str, float]
    units: dict[str, float]
    days: dict[str, float]
    qualifiers: dict[str, float]
    cues: dict[str, re.Pattern]  # quantity id -> its cue words
    phrases: dict[str, tuple[tuple[str, re.Pattern], ...]]  # situation -> (value, phrases)
    unread: tuple[tuple[tuple[str, ...], int], ...]  # negations and hypotheticals, reach
    pending: tuple[tuple[tuple[str, ...], int], ...]
    limit: re.Pattern | None = None  # words right after a duration that make it a limit


def _reach(rows, folds: Folds) -> tuple[tuple[tuple[str, ...], int], ...]:
    return tuple((tuple(_plain(w, folds).split()), int(n)) for w, n in rows if _plain(w, folds))


@lru_cache(maxsize=16)
def _patterns(conditions: Conditions, folds: Folds) -> _Patterns:
    """The conditions' words, folded as the language folds a question, compiled."""
    vocabulary = conditions.vocabulary

    def table(rows: tuple[tuple[str, float], ...]) -> dict[str, float]:
        return {_fold(word, folds): amount for word, amount in rows}

    numbers = table(vocabulary.numbers)
    units = table(vocabulary.units)
    qualifiers = table(vocabulary.qualifiers)
    days = table(vocabulary.days)
    qualifier = alternatives(qualifiers)
    # "1,000" is a thousand; "1,5" and "1.5" are one and a half.
    number = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:[.,]\d+)?" + (
        f"|{alternatives(numbers)}" if numbers else ""
    )
    duration = re.compile(
        (rf"(?:\b(?P<qualifier>{qualifier})\s+(?:the\s+|a\s+)?)?" if qualifier else "")
        + rf"(?<![\w.])(?P<number>{number})\s*-?\s*(?P<unit>{alternatives(units) or 'x^'})\b",
        re.IGNORECASE,
    )
    day_phrase = (
        re.compile(rf"\b(?P<phrase>{alternatives(days)})\b", re.IGNORECASE) if days else None
    )
    cues = {
        v.id: re.compile(rf"\b(?:{alternatives(_fold(c, folds) for c in v.cues)})\b")
        for v in conditions.variables
        if v.is_quantity and v.cues
    }
    phrases = {
        v.id: tuple(
            (
                value.name,
                re.compile(
                    rf"(?<!\w)(?:{alternatives({_plain(p, folds) for p in value.phrases})})(?!\w)"
                ),
            )
            for value in v.values
        )
        for v in conditions.variables
        if not v.is_quantity
    }
    unread = _reach((*vocabulary.negations, *vocabulary.hypotheticals), folds)
    pending = _reach(vocabulary.pending, folds)
    limits = [_fold(word, folds) for word, _ in vocabulary.limits]
    limit = re.compile(rf"\s*-?\s*(?:{alternatives(limits)})\b") if limits else None
    return _Patterns(
        duration,
        day_phrase,
        numbers,
        units,
        days,
        qualifiers,
        cues,
        phrases,
        unread,
        pending,
        limit,
    )


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def read_situation(question: str, conditions: Conditions, folds: Folds = ()) -> Situation:
    """Everything ``question`` states about the variables of ``conditions``, the question
    and the conditions' words folded alike (``folds``: its language's)."""
    if not conditions.variables:
        return Situation()
    patterns = _patterns(conditions, folds)
    text = _fold(question, folds)
    sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]
    read: dict[str, set[str | None]] = {}
    hedged: set[str] = set()  # situations read from a question or a sentence with a hedge
    mentioned: set[int] = set()  # sentences that state some situation, read or not
    for n, (start, end) in enumerate(sentences):
        words = _plain(text[start:end], folds)
        stated = text[end : end + 1] in (".", "!", ";", "\n")  # not asked
        # A hedge governs its own clause: "the tracking didn't update, but today it came."
        clauses = [_plain(c, folds) for c in _CLAUSE.split(text[start:end])]
        hedges, first = [], 0
        for clause in clauses:
            count = len(clause.split())
            hedges.append((first, first + count, _hedged(clause, patterns)))
            first += count
        for variable, values in patterns.phrases.items():
            found = _read_values(words, values, patterns)
            if found:
                mentioned.add(n)
            for at, name in found:
                word = len(words[:at].split())
                if not stated or any(a <= word < b and h for a, b, h in hedges):
                    hedged.add(variable)
                read.setdefault(variable, set()).add(_resolve(name, conditions.variable(variable)))
    states = tuple(
        sorted(
            (v, name)
            for v, names in read.items()
            if len(names) == 1
            for name in names
            if name is not None
        )
    )
    durations = tuple(_durations(text, sentences, mentioned, patterns))
    firm = tuple(v for v, _ in states if v not in hedged)
    return Situation(durations, states, firm)


def _hedged(words: str, patterns: _Patterns) -> bool:
    """Whether a sentence holds any negation, hypothetical or pending word at all."""
    split = words.split()
    present = set(split)  # an entry with a word the sentence lacks cannot be in it
    return any(
        all(word in present for word in entry) and _governs(((entry, len(split)),), split)
        for entry, _ in (*patterns.unread, *patterns.pending)
    )


def _read_values(words: str, values, patterns: _Patterns) -> list[tuple[int, str | tuple[str]]]:
    """The values a sentence states, each with where its phrase starts in ``words``: a
    name, (name,) after a pending word, or "" for a phrase a negation or hypothetical
    governs (unread)."""
    matches = [
        (m.start(), m.end(), name) for name, pattern in values for m in pattern.finditer(words)
    ]
    # Longest phrases first; a shorter one overlapping a kept one is part of it ("received
    # it" inside "haven't received it").
    kept: list[tuple[int, int, str]] = []
    for m in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):
        if all(m[1] <= k[0] or k[1] <= m[0] for k in kept):
            kept.append(m)
    # A negation inside an earlier phrase belongs to it ("не получил" in "посылку не
    # получил, трек не обновляется"): masked, it governs nothing after.
    masked = words
    for start, end, _ in kept:
        masked = masked[:start] + re.sub(r"\S", "x", masked[start:end]) + masked[end:]
    out: list[tuple[int, str | tuple[str]]] = []
    for start, _, name in sorted(kept):
        before = masked[:start].split()
        if _governs(patterns.unread, before):
            out.append((start, ""))
        elif _governs(patterns.pending, before):
            out.append((start, (name,)))
        else:
            out.append((start, name))
    return out


def _resolve(found: str | tuple[str], variable: Variable | None) -> str | None:
    """A read value, or None when it cannot be trusted."""
    if variable is None or found == "":
        return None
    if isinstance(found, tuple):
        # "until it arrives": not yet. Only a yes/no situation's first value (the one
        # that says it has happened) turns into its second; anything else is not read.
        names = [v.name for v in variable.values]
        return names[1] if len(names) == 2 and found[0] == names[0] else None
    return found


def _governs(entries: tuple[tuple[tuple[str, ...], int], ...], before: list[str]) -> bool:
    """Whether an entry ends within its reach (in words) before a phrase."""
    for words, reach in entries:
        size = len(words)
        for end in range(len(before), max(size, len(before) - reach + 1) - 1, -1):
            if tuple(before[end - size : end]) == words:
                return True
    return False


def _durations(text: str, sentences, mentioned: set[int], patterns: _Patterns):
    numeric: list[tuple[int, int, float, str]] = []
    for match in patterns.duration.finditer(text):
        if patterns.limit is not None and patterns.limit.match(text, match.end()):
            continue  # "the 60 day delivery limit": the guide's figure, not the buyer's
        raw = match["number"]
        if raw[0].isdigit():
            thousands = re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw)
            amount = float(raw.replace(",", "" if thousands else "."))
        else:
            amount = patterns.numbers[_key(raw)]
        per_unit = patterns.units[_key(match["unit"])]
        qualifier = match.groupdict().get("qualifier")
        days = amount * per_unit + (patterns.qualifiers[_key(qualifier)] if qualifier else 0.0)
        # Said back in plain form: "after the 15-day" -> "after 15 days" (English day
        # units only; another language's unit is said back as the buyer wrote it).
        unit = _key(match["unit"])
        if per_unit == 1 and unit.isascii():
            unit = "day" if amount == 1 else "days"
        said = " ".join(w for w in (qualifier and _key(qualifier), _key(raw), unit) if w)
        numeric.append((match.start(), match.end(), days, said))

    def sentence(at: int) -> int:
        return next((n for n, (s, e) in enumerate(sentences) if s <= at < e), -1)

    spans = list(numeric)
    if patterns.day_phrase is not None:
        with_numbers = {sentence(s) for s, *_ in numeric}
        for match in patterns.day_phrase.finditer(text):
            # "closed 15 days ago today": a number of days says more than "today" beside it.
            if sentence(match.start()) not in with_numbers:
                phrase = match["phrase"]
                spans.append((match.start(), match.end(), patterns.days[_key(phrase)], phrase))
    for start, end, days, said in sorted(spans):
        n = sentence(start)
        bounds = sentences[n] if n >= 0 else (0, len(text))
        quantities, distance = _nearest_cue(text, start, end, bounds, patterns)
        yield Duration(days, said, quantities, n in mentioned, distance)


def _nearest_cue(text: str, start: int, end: int, bounds, patterns: _Patterns):
    """The quantities whose cue word is nearest to text[start:end] within its sentence."""
    left, right = bounds
    distances: dict[str, int] = {}
    for quantity, cue in patterns.cues.items():
        for match in cue.finditer(text, left, right):
            # Words between the cue and the duration: "closed 8 days ago" is 0 apart.
            between = (
                text[match.end() : start] if match.end() <= start else text[end : match.start()]
            )
            distance = len(between.split())
            distances[quantity] = min(distance, distances.get(quantity, distance))
    nearest = min(distances.values(), default=0)
    return tuple(q for q, d in distances.items() if d == nearest), nearest
