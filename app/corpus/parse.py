"""The corpus folder's markdown files, parsed and validated into ``app.corpus.records`` records.

A corpus folder holds:

- ``source/*.txt``: the guide exactly as received; every quote must be found in it verbatim
  (whitespace and bullet glyphs aside; page-number lines are dropped);
- ``*.md``: passages. ``# Heading`` is the guide's section, ``## passage-id`` opens a passage,
  a ``> quote`` holds its verbatim text and a bullet list its annotations (``verdict``,
  ``rule``, ``questions``, ``facts``);
- ``glossary.md``: tables mapping the guide's garbled words (and buyers' words) to plain ones;
- ``scope.md``: one paragraph on what the guide covers (said when a question is refused) and
  a list of example questions;
- ``out-of-scope.md``: topics buyers ask about that the guide does not answer, each a
  ``## topic-id`` with example questions; a question nearer these than any passage is refused;
- ``README.md``: documentation, never parsed.

``load_corpus`` collects every problem as ``path:line: message`` and raises one
``CorpusError`` so an author can fix them all in one pass.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.corpus.actions_file import parse_actions
from app.corpus.conditions_file import check_points, parse_conditions, resolve_side
from app.corpus.markdown import SLUG as _ID
from app.corpus.markdown import children as _children
from app.corpus.markdown import close as _close
from app.corpus.markdown import fields, table_rows
from app.corpus.markdown import line as _line
from app.corpus.markdown import parse as _parse
from app.corpus.markdown import read as _read
from app.corpus.markdown import shown as _shown
from app.corpus.records import (
    ACTIONS_FILE,
    ASKS,
    CONDITIONS_FILE,
    GLOSSARY_FILE,
    OUT_OF_SCOPE_FILE,
    SCOPE_FILE,
    SKIPPED_FILES,
    VERDICTS,
    Corpus,
    Coverage,
    Fact,
    GlossaryEntry,
    Passage,
    Question,
    Scope,
    Topic,
    content_hash,
    corpus_files,
)
from app.corpus.translation import read_questions, read_translations, translated_key
from app.errors import CorpusError, CorpusIssue
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions, Side
from app.reading.question import analyze
from app.reading.text import (
    mentions_amount,
    normalize_ws,
    sentence_spans,
    source_lines,
    split_sentences,
    word_count,
)

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


def load_corpus(corpus_dir: Path | str) -> Corpus:
    """Parse and validate a corpus folder; raise ``CorpusError`` listing every problem."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError([CorpusIssue(_shown(corpus_dir), 0, "corpus folder not found")])

    issues: list[CorpusIssue] = []
    source_files = sorted((corpus_dir / "source").glob("*.txt"))
    if not source_files:
        issues.append(CorpusIssue(_shown(corpus_dir / "source"), 0, "no source guide (*.txt)"))
    lines: list[str] = []
    for path in source_files:
        lines += source_lines(_read(path))
    source = " ".join(lines)

    passage_files = sorted(p for p in corpus_dir.glob("*.md") if p.name not in SKIPPED_FILES)
    if not passage_files:
        issues.append(CorpusIssue(_shown(corpus_dir), 0, "no passage files (*.md)"))

    conditions, condition_issues = parse_conditions(corpus_dir / CONDITIONS_FILE)
    issues += condition_issues
    lexicon, lexicon_issues = parse_actions(corpus_dir / ACTIONS_FILE)
    issues += lexicon_issues
    topics: list[Topic] = []
    if (corpus_dir / OUT_OF_SCOPE_FILE).exists():
        topics, topic_issues = _parse_out_of_scope(corpus_dir / OUT_OF_SCOPE_FILE)
        issues += topic_issues
    from app.corpus.locales import load_locales

    locales, locale_issues = load_locales(corpus_dir, conditions, lexicon, tuple(topics))
    issues += locale_issues
    languages = tuple(locale.code for locale in locales)

    drafts: list[_Draft] = []
    sections: list[str] = []
    for path in passage_files:
        file_drafts, file_sections, file_issues = _parse_passage_file(path, source)
        drafts += file_drafts
        sections += [s for s in file_sections if s not in sections]
        issues += file_issues

    passages = []
    points: dict[str, list[tuple[str, int, Side]]] = {}
    for draft in drafts:
        passage, draft_issues = draft.validate(source, conditions, lexicon, languages)
        issues += draft_issues
        if passage:
            passages.append(passage)
            when_line = draft.fields.get("when", (draft.line, []))[0]
            for side in passage.sides:
                points.setdefault(passage.point or passage.id, []).append(
                    (draft.path, when_line, side)
                )
    issues += _duplicate_ids(drafts)
    issues += check_points(points, conditions)
    for draft in drafts:
        point_line, point = draft.fields.get("point", (draft.line, None))
        if point is not None and point not in points and "when" not in draft.fields:
            issues.append(
                CorpusIssue(
                    draft.path,
                    point_line,
                    f"passage '{draft.id}': point {point!r} has no sides: add a 'when' list "
                    "here or to another passage of the point",
                )
            )

    glossary: list[GlossaryEntry] = []
    glossary_path = corpus_dir / GLOSSARY_FILE
    if glossary_path.exists():
        glossary, glossary_issues = _parse_glossary(glossary_path)
        issues += glossary_issues

    scope = Scope("", ())
    if (corpus_dir / SCOPE_FILE).exists():
        scope, scope_issues = _parse_scope(corpus_dir / SCOPE_FILE)
        issues += scope_issues

    if issues:
        raise CorpusError(issues)
    return Corpus(
        passages=tuple(passages),
        glossary=tuple(glossary),
        sections=tuple(sections),
        source=source,
        source_lines=tuple(lines),
        content_hash=content_hash(corpus_dir),
        files=tuple(p.name for p in corpus_files(corpus_dir)),
        scope=scope,
        out_of_scope=tuple(topics),
        conditions=conditions,
        lexicon=lexicon,
        locales=locales,
    )


def coverage(corpus: Corpus) -> Coverage:
    """Check that every sentence of the source sits in exactly one passage.

    Each passage is located as one contiguous span of the normalised source; a sentence is
    covered when a span contains it whole, and spans must not overlap. Lines that are section
    headings are not sentences to cover.
    """
    spans = sorted(
        (start, start + len(text))
        for text in (normalize_ws(p.text) for p in corpus.passages)
        if (start := corpus.source.find(text)) >= 0
    )
    overlapping = tuple(
        corpus.source[b_start:a_end]
        for (_, a_end), (b_start, _) in itertools.pairwise(spans)
        if b_start < a_end
    )
    headings = {normalize_ws(s) for s in corpus.sections}
    total, covered, uncovered, offset = 0, 0, [], 0
    for line in corpus.source_lines:
        if line not in headings:
            for start, end in sentence_spans(line):
                total += 1
                a, b = offset + start, offset + end
                if any(s <= a and b <= e for s, e in spans):
                    covered += 1
                else:
                    uncovered.append(line[start:end])
        offset += len(line) + 1
    return Coverage(total, covered, tuple(uncovered), overlapping)


# --- parsing ---------------------------------------------------------------------------


@dataclass
class _Draft:
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
    ) -> tuple[Passage | None, list[CorpusIssue]]:
        issues: list[CorpusIssue] = []

        def problem(line: int, message: str) -> None:
            issues.append(CorpusIssue(self.path, line, f"passage '{self.id}': {message}"))

        if not _ID.match(self.id):
            problem(self.line, "id must be a lower-case slug like 'paypal-refund-scam'")
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
                problem(line, f"fact {raw!r} should read like '15 days: time to appeal'")
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
        )
        issues += self._check_directions(questions, lexicon or Lexicon())
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
                translations=translations,
            ),
            [],
        )

    def _check_directions(self, questions: list[Question], lexicon: Lexicon) -> list[CorpusIssue]:
        """Untagged questions share the passage's verdict, so they must ask the same way round.

        "Should I close…?" and "Should I keep it open…?" cannot both be answered "no".
        """
        verdict = self.fields.get("verdict", (0, None))[1]
        if verdict not in ("yes", "no"):
            return []
        directions = {}
        for question in questions:
            reading = analyze(question.text, lexicon)
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


def _parse_passage_file(
    path: Path, source: str
) -> tuple[list[_Draft], list[str], list[CorpusIssue]]:
    shown = _shown(path)
    tokens = _parse(_read(path))
    drafts: list[_Draft] = []
    sections: list[str] = []
    issues: list[CorpusIssue] = []
    section: str | None = None
    current: _Draft | None = None
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
                current = _Draft(shown, line, title, section)
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


def _read_fields(tokens: list[Token], draft: _Draft) -> list[CorpusIssue]:
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
        if key in ("verdict", "rule", "point", "asks", "risk", "highlight") or key.endswith(
            "-rule"
        ):
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


def _parse_glossary(path: Path) -> tuple[list[GlossaryEntry], list[CorpusIssue]]:
    shown = _shown(path)
    tokens = _parse(_read(path))
    entries: list[GlossaryEntry] = []
    issues: list[CorpusIssue] = []
    for start, end in _children(tokens, "table_open"):
        rows = table_rows(tokens[start : end + 1])
        (header_line, header), body = rows[0], rows[1:]
        kind = header[0].lower() if header else ""
        if kind not in ("in the guide", "a buyer may say") or len(header) != 2:
            issues.append(
                CorpusIssue(
                    shown,
                    header_line,
                    "a glossary table's header must be "
                    "'| in the guide | means |' or '| a buyer may say | the guide says |'",
                )
            )
            continue
        for line, cells in body:
            if len(cells) != 2 or not all(cells):
                issues.append(CorpusIssue(shown, line, "a glossary row needs a term and a meaning"))
                continue
            entries.append(GlossaryEntry(cells[0], cells[1], note=kind == "in the guide"))
    return entries, issues


def _parse_scope(path: Path) -> tuple[Scope, list[CorpusIssue]]:
    tokens = _parse(_read(path))
    paragraphs = [
        normalize_ws(tokens[i + 1].content)
        for i, t in enumerate(tokens)
        if t.type == "paragraph_open" and t.level == 0
    ]
    examples = tuple(
        normalize_ws(t.content)
        for t in tokens
        if t.type == "inline" and t.level == 3  # bullet list > item > paragraph > inline
    )
    if not paragraphs:
        return Scope("", examples), [
            CorpusIssue(_shown(path), 1, "scope.md needs a paragraph saying what the guide covers")
        ]
    return Scope(paragraphs[0], examples), []


def _parse_out_of_scope(path: Path) -> tuple[list[Topic], list[CorpusIssue]]:
    shown = _shown(path)
    tokens = _parse(_read(path))
    topics: list[tuple[int, str, list[str], list[str]]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            topics.append((_line(token), normalize_ws(tokens[i + 1].content), [], []))
        elif token.type == "inline" and token.level == 3 and topics:
            topics[-1][2].append(normalize_ws(token.content))
        elif token.type == "inline" and token.level == 1 and topics:
            names = re.match(r"^names:\s*(.+)$", token.content.strip(), re.IGNORECASE)
            if names:
                topics[-1][3].extend(n.strip().lower() for n in names[1].split(",") if n.strip())
    issues = []
    seen: set[str] = set()
    for line, topic_id, questions, _ in topics:
        if not _ID.match(topic_id):
            issues.append(CorpusIssue(shown, line, f"topic id {topic_id!r} is not a slug"))
        if topic_id in seen:
            issues.append(CorpusIssue(shown, line, f"duplicate topic id {topic_id!r}"))
        if not questions:
            issues.append(CorpusIssue(shown, line, f"topic {topic_id!r} has no questions"))
        seen.add(topic_id)
    return [Topic(t, tuple(q), tuple(n)) for _, t, q, n in topics], issues


def _duplicate_ids(drafts: list[_Draft]) -> list[CorpusIssue]:
    by_id: dict[str, list[_Draft]] = {}
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


# The side files' parsers, for a language folder's files of the same formats (app.corpus.locales).
parse_glossary = _parse_glossary
parse_scope = _parse_scope
parse_out_of_scope = _parse_out_of_scope
