"""Reading a ``language.md``: a language's letters, stemmer, question words and labels.

The main language's file sits at the corpus root, a second language's in its folder
(``ru/language.md``); both have the same shape:

- a field list: ``code`` (the folder's name, for a second language), ``name``,
  ``letters``, ``stemmer`` (``light``, or a Snowball algorithm PyStemmer has),
  ``speller`` (``vocabulary`` or ``stems``), ``bare question`` (``yesno`` or ``short``),
  ``word order`` (``fixed`` or ``free``),
  ``own words`` (a number), ``folds`` (``ё е, ’ '``: letters read as others) and
  ``contractions`` (``can't = can n't``, ``*n't = * n't``);
- ``| form | where | words |``: its question words (``app.reading.language.FORMS`` names
  the forms and where each may count; ``where`` may end in ``+N``, the rule's reach);
- ``| class | words |``: word classes the rows name as ``{class}``;
- ``| key | text |``: the words of an answer and of the page (``LABELS`` must all be there).

Every problem is reported as ``path:line``; a language the reader could misread (an
unknown form, a class nobody declared, a missing label) is refused, never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.corpus.markdown import children, fields, parse, read, shown, table_rows, word_list
from app.errors import CorpusIssue
from app.reading.labels import LABELS
from app.reading.language import BARE, FORMS, WORD_ORDERS, Grammar, Language, Rule
from app.reading.stemmers import STEMMERS, has_stemmer
from app.reading.wordlist import class_names

LANGUAGE_FILE = "language.md"
SPELLERS = ("vocabulary", "stems")
_HEADER = (
    "code",
    "name",
    "letters",
    "stemmer",
    "speller",
    "bare question",
    "word order",
    "own words",
    "folds",
    "contractions",
)
_REQUIRED = ("name", "letters", "stemmer")
_WHERE = re.compile(
    r"^(?P<where>[a-z ]+?)\s*(?:\+\s*(?P<reach>\d+)(?:\s+(?P<unit>characters|words))?)?$"
)


def parse_language(path: Path, code: str | None) -> tuple[Language | None, list[CorpusIssue]]:
    """Read a ``language.md``; ``code`` is the folder's name (None for the main language,
    which declares its own). Every problem names ``path:line``."""
    where = shown(path)
    if not path.is_file():
        return None, [CorpusIssue(where, 0, f"a language needs its {LANGUAGE_FILE}")]
    tokens = parse(read(path))
    issues: list[CorpusIssue] = []
    header: dict[str, tuple[int, str]] = {}
    for start, end in children(tokens, "bullet_list_open"):
        for item in fields(tokens[start : end + 1]):
            if item.key in _HEADER:
                header[item.key] = (item.line, item.value)
            else:
                issues.append(CorpusIssue(where, item.line, f"unknown field {item.head!r}"))
    folds = _folds(header, where, issues)
    rules: list[tuple[int, Rule]] = []
    classes: list[tuple[str, tuple[str, ...]]] = []
    labels: list[tuple[str, str]] = []
    for start, end in children(tokens, "table_open"):
        rows = table_rows(tokens[start : end + 1])
        (header_line, head), body = rows[0], rows[1:]
        kind = head[0].lower() if head else ""
        if kind not in ("form", "class", "key"):
            message = (
                f"unknown table {kind!r}: '| form | where | words |', '| class |' or '| key |'"
            )
            issues.append(CorpusIssue(where, header_line, message))
            continue
        for at, cells in body:
            if kind == "form":
                rule = _rule(at, cells, folds, where, issues)
                if rule is not None:
                    rules.append((at, rule))
            elif len(cells) != 2 or not all(cells):
                issues.append(CorpusIssue(where, at, f"a {kind} row needs two cells"))
            elif kind == "class":
                classes.append((cells[0], _words(cells[1], folds)))
            else:
                labels.append((cells[0], cells[1]))
    issues += _check_classes(rules, classes, where)
    issues += _check_labels(labels, where)
    settings = _settings(header, code, where, issues)
    if issues or settings is None:
        return None, issues
    name = header["name"][1]
    letters = re.sub(r"\s", "", header["letters"][1].lower())
    grammar = Grammar(
        rules=tuple(rule for _, rule in rules),
        classes=tuple(classes),
        bare=settings["bare question"],
        word_order=settings["word order"],
        own_words=int(settings["own words"]),
    )
    contractions = tuple(
        _pair(c, "=") for c in header.get("contractions", (0, ""))[1].split(",") if c.strip()
    )
    return (
        Language(
            code=settings["code"],
            name=name,
            letters=letters,
            stemmer=settings["stemmer"],
            grammar=grammar,
            labels=tuple(labels),
            folds=folds,
            contractions=contractions,
            speller=settings["speller"],
        ),
        [],
    )


def _rule(at: int, cells: list[str], folds, where: str, issues: list) -> Rule | None:
    if len(cells) != 3 or not all(cells):
        issues.append(CorpusIssue(where, at, "a form row needs a form, where it counts, words"))
        return None
    form, place, words = cells
    if form not in FORMS:
        known = ", ".join(FORMS)
        issues.append(CorpusIssue(where, at, f"unknown form {form!r} (known: {known})"))
        return None
    match = _WHERE.match(place.lower())
    if not match or match["where"] not in FORMS[form]:
        allowed = ", ".join(FORMS[form])
        issues.append(CorpusIssue(where, at, f"form {form!r} counts {allowed}, not {place!r}"))
        return None
    unit = match["unit"] or "words"
    if unit == "characters" and match["where"] != "before":
        issues.append(CorpusIssue(where, at, f"only 'before' counts characters, not {place!r}"))
        return None
    return Rule(form, match["where"], _words(words, folds), int(match["reach"] or 0), unit)


def _words(cell: str, folds: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    for letter, plain in folds:
        cell = cell.replace(letter, plain)
    return word_list(cell)


def _folds(header, where: str, issues: list) -> tuple[tuple[str, str], ...]:
    at, text = header.get("folds", (0, ""))
    out = []
    for pair in (p for p in text.split(",") if p.strip()):
        parts = pair.split()
        if len(parts) != 2:
            issues.append(CorpusIssue(where, at, f"a fold is two letters, not {pair.strip()!r}"))
        else:
            out.append((parts[0], parts[1]))
    return tuple(out)


def _pair(text: str, sign: str) -> tuple[str, str]:
    written, _, reads = text.partition(sign)
    return written.strip().lower(), reads.strip().lower()


def _check_classes(rules, classes, where: str) -> list[CorpusIssue]:
    declared = {name for name, _ in classes}
    issues = []
    for at, rule in rules:
        for entry in rule.words:
            issues += [
                CorpusIssue(where, at, f"{{{name}}} names no class of the '| class |' table")
                for name in class_names(entry)
                if name not in declared
            ]
    return issues


def _check_labels(labels, where: str) -> list[CorpusIssue]:
    missing = [key for key in LABELS if key not in dict(labels)]
    if not missing:
        return []
    return [
        CorpusIssue(where, 1, f"labels missing: {', '.join(missing)} (a '| key | text |' row each)")
    ]


def _settings(header, code: str | None, where: str, issues: list) -> dict[str, str] | None:
    """The header's settings, checked; None when one is missing or wrong."""
    out: dict[str, str] = {}
    for key in _REQUIRED:
        if not header.get(key, (0, ""))[1]:
            issues.append(CorpusIssue(where, 1, f"missing '- {key}:'"))
    choices = {
        "speller": (SPELLERS, "vocabulary"),
        "bare question": (BARE, "short"),
        "word order": (WORD_ORDERS, "fixed"),
    }
    for key, (allowed, default) in choices.items():
        at, value = header.get(key, (1, default))
        if value not in allowed:
            issues.append(
                CorpusIssue(where, at, f"{key} is one of {', '.join(allowed)}, not {value!r}")
            )
        out[key] = value
    at, own = header.get("own words", (1, "0"))
    if not own.isdigit():
        issues.append(CorpusIssue(where, at, f"own words is a number, not {own!r}"))
    out["own words"] = own
    at, declared = header.get("code", (1, code or ""))
    if code is None and not declared:
        issues.append(CorpusIssue(where, 1, "missing '- code:' (the main language's code: en…)"))
    elif code is not None and declared != code:
        issues.append(
            CorpusIssue(where, at, f"code {declared!r} is not the folder's name {code!r}")
        )
    out["code"] = declared
    at, stemmer = header.get("stemmer", (1, ""))
    if stemmer and not has_stemmer(stemmer):
        known = ", ".join(STEMMERS)
        issues.append(
            CorpusIssue(
                where,
                at,
                f"no {stemmer!r} stemmer (kbqa's: {known}; or a Snowball algorithm PyStemmer has)",
            )
        )
    out["stemmer"] = stemmer
    return None if issues else out
