"""A passage's annotations in a second language: ``ru-rule``, ``ru-questions``, ``ru-when``.

The quote stays the guide's verbatim text; what a buyer reads besides it (the headline,
the reasons of a conditional answer) and what their question is matched against (the
annotated questions) come in their language. A translation is validated like the main
annotations, and more:

- its rule must name each of the passage's facts by number ("15 дней" for ``15 days``);
- its questions are 3 to ``MAX_TRANSLATED`` with the same verdict tags;
- its ``when`` lines state exactly the sides of the main ``when`` list, in order, only the
  reason after the colon in the language (so a condition lives in one place, and a
  translation cannot drift from it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from app.corpus.claims import CLAIM_FIELDS, Claims, read_claims
from app.corpus.conditions_file import resolve_side
from app.reading.conditions import Conditions, Side
from app.reading.text import normalize_ws

TRANSLATED_FIELDS = ("rule", "questions", "when", *CLAIM_FIELDS)
MIN_TRANSLATED, MAX_TRANSLATED = 3, 12
_KEY = re.compile(rf"^(?P<code>[a-z]{{2,3}})-(?P<field>{'|'.join(TRANSLATED_FIELDS)})$")
_TAGGED = re.compile(r"^`(?P<verdict>[^`]*)`\s+(?P<text>.+)$", re.DOTALL)


def translated_key(key: str) -> tuple[str, str] | None:
    """("ru", "rule") for ``ru-rule``; None for any other key."""
    match = _KEY.match(key)
    return (match["code"], match["field"]) if match else None


@dataclass(frozen=True)
class Translation:
    language: str
    rule: str
    questions: tuple[Any, ...]  # app.corpus.records.Question
    sides: tuple[Side, ...] = ()
    claims: Claims = field(default_factory=Claims)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "rule": self.rule,
            "questions": [{"text": q.text, "verdict": q.verdict} for q in self.questions],
            "sides": [s.to_dict() for s in self.sides],
            "claims": self.claims.to_dict(),
        }


def read_translations(
    found: dict[str, tuple[int, Any]],
    line: int,
    languages: tuple[str, ...],
    conditions: Conditions,
    main_sides: tuple[Side, ...],
    fact_numbers: tuple[str, ...],
    verdicts: tuple[str, ...],
    question: Callable[[str, str | None], Any],
    problem: Callable[[int, str], None],
    main_claims: Claims | None = None,
) -> tuple[Translation, ...]:
    """The translations among a passage's ``found`` fields, one per language of the
    corpus; every problem goes to ``problem``. Sides are read with the main ``conditions``:
    their conditions are the main ones, only their reasons are translated."""
    by_language: dict[str, dict[str, tuple[int, Any]]] = {}
    for key, value in found.items():
        parts = translated_key(key)
        if parts is None:
            continue
        code, name = parts
        if code not in languages:
            known = ", ".join(languages) or "none: add a folder like corpus/ru/"
            problem(value[0], f"field '{key}': no language {code!r} (known: {known})")
            continue
        by_language.setdefault(code, {})[name] = value
    out = []
    for code in languages:
        fields = by_language.get(code, {})
        rule_line, rule = fields.get("rule", (line, None))
        questions_line, raw = fields.get("questions", (line, None))
        if not rule:
            problem(line, f"missing '{code}-rule'")
        if not raw:
            problem(line, f"missing '{code}-questions'")
            raw = []
        elif not MIN_TRANSLATED <= len(raw) <= MAX_TRANSLATED:
            problem(
                questions_line,
                f"{len(raw)} {code} questions; write {MIN_TRANSLATED} to {MAX_TRANSLATED}",
            )
        questions = read_questions(raw, verdicts, question, problem)
        for number in fact_numbers:
            if rule and not re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d.,]?\d)", rule):
                problem(rule_line, f"'{code}-rule' does not mention the fact's {number}")
        sides = _sides(code, fields, line, conditions, main_sides, problem)
        claims = read_claims(fields, "", line, problem)
        for mine, main, name in (
            (claims.claim, (main_claims or Claims()).claim, "claim"),
            (claims.when, (main_claims or Claims()).when, "when-claim"),
        ):
            for theirs, ours, suffix in (
                (main and main.text, mine and mine.text, ""),
                (main and main.negated, mine and mine.negated, "-not"),
            ):
                if bool(theirs) != bool(ours):
                    given = "gives" if ours else "lacks"
                    problem(
                        line,
                        f"'{code}-{name}{suffix}': the passage {given} it, "
                        f"'{name}{suffix}' {'does not' if ours else 'does'}",
                    )
        out.append(Translation(code, normalize_ws(rule or ""), tuple(questions), sides, claims))
    return tuple(out)


def read_questions(
    raw: list[tuple[int, str]],
    verdicts: tuple[str, ...],
    question: Callable[[str, str | None], Any],
    problem: Callable[[int, str], None],
) -> list[Any]:
    """Annotated questions as written (``(line, text)``), a leading `` `verdict` `` read as
    the question's own verdict; the main annotations and every translation read them so."""
    out = []
    for at, text in raw:
        tagged = _TAGGED.match(text)
        if tagged and tagged["verdict"] not in verdicts:
            problem(at, f"unknown question verdict {tagged['verdict']!r}")
        elif tagged:
            out.append(question(normalize_ws(tagged["text"]), tagged["verdict"]))
        else:
            out.append(question(normalize_ws(text), None))
    return out


def _sides(code, fields, line, conditions, main_sides, problem) -> tuple[Side, ...]:
    when_line, raw = fields.get("when", (line, []))
    if len(raw) != len(main_sides):
        if main_sides or raw:
            problem(
                when_line,
                f"'{code}-when' has {len(raw)} line(s); 'when' has {len(main_sides)}: "
                "give each side its reason in this language, in the same order",
            )
        return ()
    sides = []
    for (at, text), main in zip(raw, main_sides, strict=True):
        side, why = resolve_side(text, conditions)
        if side is None:
            problem(at, why or "bad condition")
        elif (side.verdict, side.conditions) != (main.verdict, main.conditions):
            problem(at, f"'{code}-when' states other conditions than 'when': {text!r}")
        else:
            sides.append(side)
    return tuple(sides)


def in_language(passage: Any, code: str) -> Any:
    """``passage`` as read in language ``code``: its rule, questions, reasons and claims
    there (the quote stays the guide's). Unchanged when it has no translation to ``code``."""
    for translation in passage.translations:
        if translation.language == code:
            return replace(
                passage,
                rule=translation.rule,
                questions=translation.questions,
                sides=translation.sides or passage.sides,
                claims=translation.claims,
                translations=(),
            )
    return passage
