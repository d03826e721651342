"""A second language for questions: which one a question is in, and its words.

The corpus is annotated in its main language (English); a folder such as ``corpus/ru/``
adds another. Its ``language.md`` declares, as data, what kbqa needs to read and answer a
question in that language: its letters (how a question is recognised), its stemmer (for
lexical matching), its question words (what a question asks and how), and the labels of
an answer. Detection is deterministic: a question belongs to the language whose letters
make up most of its letters; a question with none of them is in the main language. Brand
names in Latin letters inside a Russian question ("вернуть деньги через PayPal?") leave it
Russian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from app.corpus.markdown import children, fields, parse, read, shown, table_rows, word_list
from app.errors import CorpusIssue

MAIN = "en"  # the corpus's own language: the annotations without a prefix
LANGUAGE_FILE = "language.md"

# What the analyser reads (``app.reading.grammar``): the words of each question form, by table row.
FORMS = (
    "open",
    "open-start",
    "not-open",
    "yesno",
    "act",
    "permission",
    "amount",
    "negation",
    "choice",
    "request",
    "stopwords",
)


@dataclass(frozen=True)
class Grammar:
    """The words that say how a question asks, in one language (word-list entries)."""

    open: tuple[str, ...] = ()  # "как", "сколько": an open question, answered with info
    # Open only where the question starts ("когда можно…?"); after a comma they are
    # relative ("это развод, когда продавец просит…?").
    open_start: tuple[str, ...] = ()
    not_open: tuple[str, ...] = ()  # "как только": look like question words, are not
    yesno: tuple[str, ...] = ()  # "ли", "можно": a yes/no question
    act: tuple[str, ...] = ()  # "стоит ли", "нужно ли": whether the buyer should act
    permission: tuple[str, ...] = ()  # "можно ли", "ещё не поздно": whether it is possible
    amount: tuple[str, ...] = ()  # "сколько", "срок": the buyer wants a number
    negation: tuple[str, ...] = ()  # "не": negates the action right after it
    choice: tuple[str, ...] = ()  # "или": asks between two things
    request: tuple[str, ...] = ()  # "просит": the action after it is asked of the buyer
    stopwords: tuple[str, ...] = ()  # words lexical matching ignores


@dataclass(frozen=True)
class Language:
    """One language kbqa reads questions in, besides the main one."""

    code: str  # the folder name: "ru"
    name: str  # "Русский"
    letters: str  # the letters that mark a question as this language
    stemmer: str  # a Snowball algorithm name (PyStemmer): "russian"
    grammar: Grammar = field(default_factory=Grammar)
    labels: tuple[tuple[str, str], ...] = ()  # UI wording by key: ("yes", "Да")…

    def label(self, key: str, default: str) -> str:
        return dict(self.labels).get(key, default)


def detect(text: str, languages: tuple[Language, ...]) -> str:
    """The code of the language ``text`` is written in: the one whose letters are the
    majority of its letters, else the main language."""
    letters = [c for c in text.lower() if c.isalpha()]
    best, most = MAIN, 0
    for language in languages:
        count = sum(c in language.letters for c in letters)
        if count * 2 > len(letters) and count > most:
            best, most = language.code, count
    return best


def parse_language(path: Path, code: str) -> tuple[Language | None, list[CorpusIssue]]:
    """Read a language folder's ``language.md``; every problem names ``path:line``."""
    where = shown(path)
    if not path.is_file():
        return None, [CorpusIssue(where, 0, f"a language folder needs {LANGUAGE_FILE}")]
    tokens = parse(read(path))
    issues: list[CorpusIssue] = []
    header: dict[str, str] = {}
    for start, end in children(tokens, "bullet_list_open"):
        for item in fields(tokens[start : end + 1]):
            if item.key in ("name", "letters", "stemmer"):
                header[item.key] = item.value
            else:
                issues.append(CorpusIssue(where, item.line, f"unknown field {item.head!r}"))
    forms: dict[str, tuple[str, ...]] = {}
    labels: list[tuple[str, str]] = []
    for start, end in children(tokens, "table_open"):
        rows = table_rows(tokens[start : end + 1])
        (header_line, head), body = rows[0], rows[1:]
        kind = head[0].lower() if head else ""
        for at, cells in body:
            if len(cells) != 2 or not all(cells):
                issues.append(CorpusIssue(where, at, f"a {kind} row needs two cells"))
            elif kind == "form" and cells[0] in FORMS:
                name = cells[0].replace("-", "_")
                forms[name] = forms.get(name, ()) + word_list(cells[1].replace("ё", "е"))
            elif kind == "form":
                issues.append(
                    CorpusIssue(where, at, f"unknown form {cells[0]!r} ({', '.join(FORMS)})")
                )
            elif kind == "key":
                labels.append((cells[0], cells[1]))
            else:
                issues.append(
                    CorpusIssue(
                        where, header_line, f"unknown table {kind!r}: '| form |' or '| key |'"
                    )
                )
                break
    for key in ("name", "letters", "stemmer"):
        if not header.get(key):
            issues.append(CorpusIssue(where, 1, f"missing '- {key}:'"))
    if header.get("stemmer") and not _has_stemmer(header["stemmer"]):
        issues.append(CorpusIssue(where, 1, f"PyStemmer has no {header['stemmer']!r} stemmer"))
    if issues:
        return None, issues
    letters = re.sub(r"\s", "", header["letters"].lower())
    return (
        Language(code, header["name"], letters, header["stemmer"], Grammar(**forms), tuple(labels)),
        [],
    )


def _has_stemmer(name: str) -> bool:
    try:
        import Stemmer
    except ImportError:
        return False
    return name in Stemmer.algorithms()
