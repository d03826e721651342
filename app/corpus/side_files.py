"""The side files of a corpus (and of each language folder): ``glossary.md``, ``scope.md``
and ``out-of-scope.md``, parsed into records; problems as ``path:line``.

- ``glossary.md``: tables mapping the guide's garbled words (and buyers' words) to plain ones;
- ``scope.md``: one paragraph on what the guide covers (said when a question is refused) and
  a list of example questions;
- ``out-of-scope.md``: topics buyers ask about that the guide does not answer, each a
  ``## topic-id`` with example questions; a question nearer these than any passage is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.corpus.markdown import SLUG as _ID
from app.corpus.markdown import children as _children
from app.corpus.markdown import line as _line
from app.corpus.markdown import parse as _parse
from app.corpus.markdown import read as _read
from app.corpus.markdown import shown as _shown
from app.corpus.markdown import table_rows
from app.corpus.records import GlossaryEntry, Scope, Topic
from app.errors import CorpusIssue
from app.reading.text import normalize_ws


def parse_glossary(path: Path) -> tuple[list[GlossaryEntry], list[CorpusIssue]]:
    shown = _shown(path)
    tokens = _parse(_read(path))
    entries: list[GlossaryEntry] = []
    issues: list[CorpusIssue] = []
    for start, end in _children(tokens, "table_open"):
        rows = table_rows(tokens[start : end + 1])
        (header_line, header), body = rows[0], rows[1:]
        kind = header[0].lower() if header else ""
        if kind not in ("in the guide", "people may say") or len(header) != 2:
            issues.append(
                CorpusIssue(
                    shown,
                    header_line,
                    "a glossary table's header must be "
                    "'| in the guide | means |' or '| people may say | the guide says |'",
                )
            )
            continue
        for line, cells in body:
            if len(cells) != 2 or not all(cells):
                issues.append(CorpusIssue(shown, line, "a glossary row needs a term and a meaning"))
                continue
            entries.append(GlossaryEntry(cells[0], cells[1], note=kind == "in the guide"))
    return entries, issues


def parse_scope(path: Path, words: tuple[str, ...]) -> tuple[Scope, list[CorpusIssue]]:
    """``scope.md``: a paragraph on what the guide covers, example questions (a list), and
    a ``| key | text |`` table with the guide's ``words`` on the page and in the API."""
    tokens = _parse(_read(path))
    shown = _shown(path)
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
    issues: list[CorpusIssue] = []
    wording: list[tuple[str, str]] = []
    for start, end in _children(tokens, "table_open"):
        for at, cells in table_rows(tokens[start : end + 1])[1:]:
            if len(cells) != 2 or not all(cells):
                issues.append(CorpusIssue(shown, at, "a wording row needs a key and a text"))
            elif cells[0] not in words:
                known = ", ".join(words)
                issues.append(CorpusIssue(shown, at, f"unknown key {cells[0]!r} ({known})"))
            else:
                wording.append((cells[0], normalize_ws(cells[1])))
    missing = [key for key in words if key not in dict(wording)]
    if missing:
        message = f"the '| key | text |' table lacks {', '.join(missing)}"
        issues.append(CorpusIssue(shown, 1, message))
    if not paragraphs:
        message = "scope.md needs a paragraph saying what the guide covers"
        issues.append(CorpusIssue(shown, 1, message))
    return Scope(paragraphs[0] if paragraphs else "", examples, tuple(wording)), issues


def parse_out_of_scope(path: Path) -> tuple[list[Topic], list[CorpusIssue]]:
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
