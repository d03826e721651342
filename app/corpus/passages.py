"""Passage files: ``# Section`` headings, ``## passage-id`` blocks, their quotes and
annotations, parsed into drafts and validated into ``app.corpus.records.Passage``.

A passage is a ``> quote`` of the guide's verbatim text and a bullet list of annotations
(``verdict``, ``rule``, ``questions``, ``facts``, conditions, translations: see
``corpus/README.md``). Every field remembers its line, so each problem is reported as
``path:line: passage 'id': message``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.corpus.claims import CLAIM_FIELDS, missing_claims, read_claims
from app.corpus.conditions_file import resolve_side
from app.corpus.markdown import SLUG as _ID
from app.corpus.markdown import close as _close
from app.corpus.markdown import fields
from app.corpus.markdown import line as _line
from app.corpus.markdown import parse as _parse
from app.corpus.markdown import read as _read
from app.corpus.markdown import shown as _shown
from app.corpus.records import ASKS, VERDICTS, Fact, Passage, Question
from app.corpus.translation import read_questions, read_translations, translated_key
from app.errors import CorpusIssue
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions, Side
from app.reading.language import Language
from app.reading.question import read
from app.reading.text import mentions_amount, normalize_ws, split_sentences, word_count

if TYPE_CHECKING:
    from markdown_it.token import Token

MAX_WORDS = 120
# A passage scores by its best vector, so each annotated question widens what it catches,
# and a passage with many can take questions that belong to its neighbours: past 12, split
# the passage (the build's regression report shows what each new question takes).
MIN_QUESTIONS, MAX_QUESTIONS = 3, 12
_FACT = re.compile(
    r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>%|days?|hours?|weeks?|months?|years?|usd|\$)"
    r"\s*:\s*(?P<what>.+)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Draft:
    """A passage as parsed, before validation; every field remembers its line."""

    path: str
    line: int
    id: str
    section: str | None
    text: str | None = None
    text_line: int = 0
    fields: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def validate(
        self,
        source: str,
        conditions: Conditions | None = None,
        lexicon: Lexicon | None = None,
        languages: tuple[str, ...] = (),
        language: Language | None = None,
    ) -> tuple[Passage | None, list[CorpusIssue]]:
        issues: list[CorpusIssue] = []

        def problem(line: int, message: str) -> None:
            issues.append(CorpusIssue(self.path, line, f"passage '{self.id}': {message}"))

        if not _ID.match(self.id):
            problem(self.line, "id must be a lower-case slug like 'a-passage-id'")
        if self.section is None:
            problem(self.line, "passage comes before any '# section' heading")
        if self.text is None:
            problem(self.line, "no '> quote' with the guide's text")
        else:
            words = word_count(self.text)
            if words > MAX_WORDS:
                problem(self.text_line, f"{words} words, over the limit of {MAX_WORDS}; split it")
            if normalize_ws(self.text) not in source:
                missing = next(
                    (s for s in split_sentences(self.text) if s not in source), self.text
                )
                problem(self.text_line, f"quote not found verbatim in the source: {missing!r}")

        verdict_line, verdict = self.fields.get("verdict", (self.line, None))
        if verdict is None:
            problem(self.line, "missing 'verdict'")
        elif verdict not in VERDICTS:
            problem(verdict_line, f"unknown verdict {verdict!r} (expected {', '.join(VERDICTS)})")

        _, rule = self.fields.get("rule", (self.line, None))
        if not rule:
            problem(self.line, "missing 'rule'")

        questions_line, raw_questions = self.fields.get("questions", (self.line, None))
        questions: list[Question] = []
        if not raw_questions:
            problem(self.line, "missing 'questions'")
        else:
            if not MIN_QUESTIONS <= len(raw_questions) <= MAX_QUESTIONS:
                problem(
                    questions_line,
                    f"{len(raw_questions)} questions; write {MIN_QUESTIONS} to {MAX_QUESTIONS} "
                    "(each widens what the passage catches; past that, split the passage)",
                )
            questions = read_questions(raw_questions, VERDICTS, Question, problem)

        facts: list[Fact] = []
        for line, raw in self.fields.get("facts", (0, []))[1]:
            match = _FACT.match(raw)
            if not match:
                problem(line, f"fact {raw!r} should read like '15 days: what the number is'")
                continue
            amount = (
                f"{match['number']}{match['unit']}"
                if match["unit"] == "%"
                else (f"{match['number']} {match['unit'].lower()}")
            )
            if rule and not mentions_amount(rule, match["number"], match["unit"]):
                problem(line, f"the rule does not mention the fact {amount!r}")
            facts.append(Fact(amount, normalize_ws(match["what"])))

        sides: list[Side] = []
        for line, raw in self.fields.get("when", (0, []))[1]:
            side, why = resolve_side(raw, conditions or Conditions())
            if side is None:
                problem(line, why or "bad condition")
            else:
                sides.append(side)
        point_line, point = self.fields.get("point", (self.line, None))
        if point is not None and not _ID.match(point):
            problem(point_line, f"point {point!r} must be a lower-case slug")
        asks_line, asks = self.fields.get("asks", (self.line, "any"))
        if asks not in ASKS:
            problem(asks_line, f"asks {asks!r} should be one of {', '.join(ASKS)}")
        highlight_line, highlight = self.fields.get("highlight", (self.line, None))
        if highlight is not None:
            highlight = normalize_ws(highlight)
            if self.text is not None and highlight not in split_sentences(self.text):
                problem(highlight_line, f"highlight {highlight!r} is not a sentence of the quote")
        risk_line, risk_text = self.fields.get("risk", (self.line, ""))
        risk = tuple(k.strip() for k in risk_text.split(",") if k.strip())
        known = (lexicon or Lexicon()).risky_kinds
        for kind in risk:
            if kind not in known:
                problem(
                    risk_line,
                    f"risk {kind!r} is not a risky action of actions.md "
                    f"(known: {', '.join(known) or 'none'})",
                )

        claims = read_claims(self.fields, "", self.line, problem)
        tags = [q.verdict for q in questions]
        for missing in missing_claims(claims, verdict, tags, sides):
            problem(self.line, f"missing {missing}")
        translations = read_translations(
            self.fields,
            self.line,
            languages,
            conditions or Conditions(),
            tuple(sides),
            tuple(f.amount.split()[0].rstrip("%") for f in facts),
            VERDICTS,
            Question,
            problem,
            claims,
        )
        if language is not None:
            issues += self._check_directions(questions, language, lexicon or Lexicon())
        if issues:
            return None, issues
        return (
            Passage(
                id=self.id,
                section=normalize_ws(self.section or ""),
                text=normalize_ws(self.text or ""),
                verdict=verdict,
                rule=normalize_ws(rule),
                questions=tuple(questions),
                facts=tuple(facts),
                source=f"{Path(self.path).name}:{self.line}",
                # A point without sides of its own refers to one other passages answer.
                point=point or (self.id if sides else None),
                sides=tuple(sides),
                asks=asks,
                risk=risk,
                highlight=highlight,
                claims=claims,
                translations=translations,
            ),
            [],
        )

    def _check_directions(
        self, questions: list[Question], language: Language, lexicon: Lexicon
    ) -> list[CorpusIssue]:
        """Untagged questions share the passage's verdict, so they must ask the same way round.

        "Should I close…?" and "Should I keep it open…?" cannot both be answered "no".
        """
        verdict = self.fields.get("verdict", (0, None))[1]
        if verdict not in ("yes", "no"):
            return []
        directions: dict[int, str] = {}
        for question in questions:
            reading = read(question.text, language, lexicon)
            if question.verdict is None and reading.form != "open":
                directions.setdefault(reading.polarity or 1, question.text)
        if len(directions) < 2:
            return []
        return [
            CorpusIssue(
                self.path,
                self.fields["questions"][0],
                f"passage '{self.id}': {directions[1]!r} and {directions[-1]!r} ask opposite "
                f"ways but share the verdict {verdict!r}; tag the one whose answer differs",
            )
        ]


def parse_passage_file(path: Path, source: str) -> tuple[list[Draft], list[str], list[CorpusIssue]]:
    shown = _shown(path)
    tokens = _parse(_read(path))
    drafts: list[Draft] = []
    sections: list[str] = []
    issues: list[CorpusIssue] = []
    section: str | None = None
    current: Draft | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        line = _line(token)
        end = _close(tokens, i)
        if token.type == "heading_open":
            title = normalize_ws(tokens[i + 1].content)
            if token.tag == "h1":
                section, current = title, None
                sections.append(title)
                if title not in source:
                    issues.append(
                        CorpusIssue(
                            shown, line, f"section heading not found in the source: {title!r}"
                        )
                    )
            elif token.tag == "h2":
                current = Draft(shown, line, title, section)
                drafts.append(current)
            else:
                issues.append(CorpusIssue(shown, line, f"unexpected {token.tag} heading {title!r}"))
        elif token.type == "blockquote_open":
            text = " ".join(t.content for t in tokens[i:end] if t.type == "inline")
            if current is None:
                issues.append(CorpusIssue(shown, line, "quote outside a '## passage-id' block"))
            elif current.text is not None:
                issues.append(
                    CorpusIssue(shown, line, f"passage '{current.id}' has a second quote")
                )
            else:
                current.text, current.text_line = text, line
        elif token.type == "bullet_list_open":
            if current is None:
                issues.append(CorpusIssue(shown, line, "annotations outside a passage"))
            else:
                issues += _read_fields(tokens[i : end + 1], current)
        else:
            issues.append(
                CorpusIssue(
                    shown,
                    line,
                    "unexpected text; quote the guide with '> ' "
                    "and annotate with a '- field: value' list",
                )
            )
        i = end + 1
    return drafts, sections, issues


def _read_fields(tokens: list[Token], draft: Draft) -> list[CorpusIssue]:
    """Read a top-level bullet list of ``key: value`` items (with nested lists) into draft."""
    issues = []
    for item in fields(tokens):
        if item.key is None:
            message = f"expected 'field: value', got {item.head!r}"
            issues.append(CorpusIssue(draft.path, item.line, message))
            continue
        key, value = item.key, normalize_ws(item.value)
        if key in draft.fields:
            issues.append(CorpusIssue(draft.path, item.line, f"field '{key}' given twice"))
            continue
        plain = ("verdict", "rule", "point", "asks", "risk", "highlight", *CLAIM_FIELDS)
        if key in plain or (translated_key(key) or ("", ""))[1] in ("rule", *CLAIM_FIELDS):
            draft.fields[key] = (item.line, value.lower() if key == "verdict" else value)
        elif key in ("questions", "facts", "when") or (translated_key(key) or ("", ""))[1] in (
            "questions",
            "when",
        ):
            nested = list(item.nested)
            if value:
                nested.insert(0, (item.line, value))
            draft.fields[key] = (item.line, nested)
        else:
            issues.append(CorpusIssue(draft.path, item.line, f"unknown field '{key}'"))
    return issues


def duplicate_ids(drafts: list[Draft]) -> list[CorpusIssue]:
    by_id: dict[str, list[Draft]] = {}
    for draft in drafts:
        by_id.setdefault(draft.id, []).append(draft)
    issues = []
    for passage_id, same in by_id.items():
        for draft in same if len(same) > 1 else ():
            others = ", ".join(f"{o.path}:{o.line}" for o in same if o is not draft)
            issues.append(
                CorpusIssue(
                    draft.path, draft.line, f"duplicate id '{passage_id}' (also at {others})"
                )
            )
    return issues
