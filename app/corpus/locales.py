"""A language folder of the corpus (``corpus/ru/``): everything a second language needs.

The passages carry their own translations (``ru-rule``…, see ``app.corpus.translation``); the
folder holds the rest, in the same formats as the main files beside it:

- ``language.md``: letters, stemmer, question words and answer labels (``app.reading.language``);
- ``conditions.md``: the same variables, asked and read in this language, and its words
  for durations, negations and the fixed wording of answers;
- ``actions.md``: the same actions and judgements in this language's words;
- ``glossary.md``, ``scope.md``, ``out-of-scope.md``: as in the main corpus.

A folder that declares another variable, value or action than the main corpus is refused:
the conditions and the safety rules live once, in the main files; a language only words
them.
"""

from __future__ import annotations

from pathlib import Path

from app.corpus.actions_file import parse_actions
from app.corpus.conditions_file import parse_conditions
from app.corpus.files import LANGUAGE_FILE, language_folders
from app.corpus.language_file import parse_language
from app.corpus.markdown import shown
from app.corpus.records import SCOPE_WORDS, GlossaryEntry, Locale, Scope, Topic
from app.corpus.side_files import parse_glossary, parse_out_of_scope, parse_scope
from app.errors import CorpusIssue
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions


def load_locales(
    corpus_dir: Path, conditions: Conditions, lexicon: Lexicon, topics: tuple[Topic, ...]
) -> tuple[tuple[Locale, ...], list[CorpusIssue]]:
    """Every language folder of ``corpus_dir``, checked against the main corpus."""
    locales, issues = [], []
    for folder in language_folders(corpus_dir):
        code = folder.name
        language, found = parse_language(folder / LANGUAGE_FILE, code)
        issues += found
        local_conditions, found = parse_conditions(folder / "conditions.md")
        issues += found + _same_variables(folder / "conditions.md", local_conditions, conditions)
        local_lexicon, found = parse_actions(folder / "actions.md")
        issues += found + _same_actions(folder / "actions.md", local_lexicon, lexicon)
        glossary: list[GlossaryEntry] = []
        local_topics: list[Topic] = []
        scope = Scope("", ())
        if (folder / "glossary.md").exists():
            glossary, found = parse_glossary(folder / "glossary.md")
            issues += found
        scope, found = parse_scope(folder / "scope.md", SCOPE_WORDS)
        issues += found
        if (folder / "out-of-scope.md").exists():
            local_topics, found = parse_out_of_scope(folder / "out-of-scope.md")
            issues += found
            known = {t.id for t in topics}
            issues += [
                CorpusIssue(
                    shown(folder / "out-of-scope.md"),
                    0,
                    f"topic {t.id!r} is not in the main out-of-scope.md",
                )
                for t in local_topics
                if t.id not in known
            ]
        if language is not None:
            locales.append(
                Locale(
                    language,
                    tuple(glossary),
                    scope,
                    tuple(local_topics),
                    local_conditions,
                    local_lexicon,
                )
            )
    return tuple(locales), issues


def _same_variables(path: Path, local: Conditions, main: Conditions) -> list[CorpusIssue]:
    where = shown(path)
    shape = {
        v.id: (v.unit is not None, tuple(x.name for x in v.values), v.presumed)
        for v in main.variables
    }
    mine = {
        v.id: (v.unit is not None, tuple(x.name for x in v.values), v.presumed)
        for v in local.variables
    }
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []

    def at(variable: str) -> int:
        """The line of the variable's ``## id`` heading."""
        heading = f"## {variable}"
        return next((n for n, text in enumerate(lines, 1) if text.strip() == heading), 1)

    issues = []
    for variable in sorted(shape.keys() - mine.keys()):
        issues.append(
            CorpusIssue(where, 1, f"variable '{variable}' of the main conditions.md is missing")
        )
    for variable in sorted(mine.keys() - shape.keys()):
        issues.append(
            CorpusIssue(
                where, at(variable), f"variable '{variable}' is not in the main conditions.md"
            )
        )
    for variable in sorted(mine.keys() & shape.keys()):
        if mine[variable] != shape[variable]:
            issues.append(
                CorpusIssue(
                    where,
                    at(variable),
                    f"variable '{variable}' differs from the main conditions.md (kind, values "
                    "or presumed value): only its words may change",
                )
            )
    return issues


def _same_actions(path: Path, local: Lexicon, main: Lexicon) -> list[CorpusIssue]:
    shape = {a.kind: a.risky for a in main.actions}
    mine = {a.kind: a.risky for a in local.actions}
    if shape == mine:
        return []
    return [
        CorpusIssue(
            shown(path),
            1,
            f"actions {sorted(mine.items())} differ from the main actions.md "
            f"{sorted(shape.items())}: the same actions, with the same risk, in other words",
        )
    ]
