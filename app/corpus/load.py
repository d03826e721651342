"""Loading a corpus folder: every file parsed and validated into one ``Corpus``.

The folder's files are ``app.corpus.files``'s; passages are read by
``app.corpus.passages``, the side files by ``app.corpus.side_files``, conditions, actions
and languages by their own modules. ``load_corpus`` collects every problem as
``path:line: message`` and raises one ``CorpusError`` so an author can fix them all in one
pass.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from app.corpus.actions_file import parse_actions
from app.corpus.conditions_file import check_points, parse_conditions
from app.corpus.files import (
    ACTIONS_FILE,
    CONDITIONS_FILE,
    GLOSSARY_FILE,
    LANGUAGE_FILE,
    OUT_OF_SCOPE_FILE,
    SCOPE_FILE,
    SKIPPED_FILES,
    content_hash,
    corpus_files,
)
from app.corpus.language_file import parse_language
from app.corpus.locales import load_locales
from app.corpus.markdown import read as _read
from app.corpus.markdown import shown as _shown
from app.corpus.passages import Draft, duplicate_ids, parse_passage_file
from app.corpus.records import MAIN_SCOPE_WORDS, Corpus, Coverage, GlossaryEntry, Scope, Topic
from app.corpus.side_files import parse_glossary, parse_out_of_scope, parse_scope
from app.errors import CorpusError, CorpusIssue
from app.reading.conditions import Side
from app.reading.text import normalize_ws, sentence_spans, source_lines


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
        topics, topic_issues = parse_out_of_scope(corpus_dir / OUT_OF_SCOPE_FILE)
        issues += topic_issues
    language, language_issues = parse_language(corpus_dir / LANGUAGE_FILE, None)
    issues += language_issues
    locales, locale_issues = load_locales(corpus_dir, conditions, lexicon, tuple(topics))
    issues += locale_issues
    languages = tuple(locale.code for locale in locales)

    drafts: list[Draft] = []
    sections: list[str] = []
    for path in passage_files:
        file_drafts, file_sections, file_issues = parse_passage_file(path, source)
        drafts += file_drafts
        sections += [s for s in file_sections if s not in sections]
        issues += file_issues

    passages = []
    points: dict[str, list[tuple[str, int, Side]]] = {}
    for draft in drafts:
        passage, draft_issues = draft.validate(source, conditions, lexicon, languages, language)
        issues += draft_issues
        if passage:
            passages.append(passage)
            when_line = draft.fields.get("when", (draft.line, []))[0]
            for side in passage.sides:
                points.setdefault(passage.point or passage.id, []).append(
                    (draft.path, when_line, side)
                )
    issues += duplicate_ids(drafts)
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
        glossary, glossary_issues = parse_glossary(glossary_path)
        issues += glossary_issues

    scope = Scope("", ())
    if (corpus_dir / SCOPE_FILE).exists():
        scope, scope_issues = parse_scope(corpus_dir / SCOPE_FILE, MAIN_SCOPE_WORDS)
        issues += scope_issues
    else:
        message = "no scope.md: the page and the API need its paragraph, examples and words"
        issues.append(CorpusIssue(_shown(corpus_dir / SCOPE_FILE), 0, message))

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
        language=language,
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
