"""Text utilities shared by the corpus checks, retrieval and answer composition.

Everything here is pure and deterministic: whitespace normalisation (quotes are verbatim
"whitespace aside"), sentence splitting, glossary canonicalisation and the tokeniser used
for lexical matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

# Bullet glyphs are layout, not words: the verbatim check treats them as whitespace.
_LAYOUT = re.compile(r"[\s•]+")
_PAGE_NUMBER = re.compile(r"^\s*\d+\s*$")
# A sentence ends at . ! or ? (optionally followed by a closing quote) before whitespace.
_SENTENCE_END = re.compile(r"[.!?]+[\"”']?(?=\s|$)")


def normalize_ws(text: str) -> str:
    """Collapse whitespace (and bullet glyphs) to single spaces."""
    return _LAYOUT.sub(" ", text).strip()


def source_lines(raw: str) -> list[str]:
    """A source guide's non-blank lines, normalised, with page-number lines dropped."""
    lines = (normalize_ws(line) for line in raw.splitlines() if not _PAGE_NUMBER.match(line))
    return [line for line in lines if line]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of an already normalised text."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.end()].strip():
            spans.append((start + _leading_space(text, start), match.end()))
        start = match.end()
    if text[start:].strip():
        spans.append((start + _leading_space(text, start), len(text.rstrip())))
    return spans


def _leading_space(text: str, start: int) -> int:
    return len(text[start:]) - len(text[start:].lstrip())


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; joined by single spaces they give the normalised text back."""
    text = normalize_ws(text)
    return [text[start:end] for start, end in sentence_spans(text)]


def plain(text: str) -> str:
    """Lower case, whitespace collapsed: how a question is read (its language folds the rest)."""
    return " ".join(text.lower().split())


def asking_sentence(text: str) -> tuple[str, str]:
    """(sentence, context): the sentence of ``text`` that asks (the last with a question
    mark, else the last) and everything before it."""
    spans = sentence_spans(text)
    if not spans:
        return "", text
    asking = [s for s in spans if "?" in text[s[0] : s[1]]]
    start, end = (asking or spans)[-1]
    return text[start:end], text[:start]


def word_count(text: str) -> int:
    return len(normalize_ws(text).split())


def mentions_amount(text: str, number: str, unit: str) -> bool:
    """Whether text states this amount: "15 days", "15-day" and "15 day" all count."""
    unit_stem = re.escape(unit.lower().rstrip("s"))
    return re.search(rf"(?<![\d.]){re.escape(number)}\s*-?\s*{unit_stem}", text.lower()) is not None


def _whole_word(term: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.IGNORECASE)


# Scripts in which a case-insensitive match is exactly a match of the lower-cased strings:
# ASCII, Cyrillic and punctuation (``re`` also folds "ſ" into "s", "ᲀ" into "в", "İ"
# into "i"... all outside it). For text and term inside it, a term whose lower-case form
# is not a substring of the text's cannot match, and its regex need not run: most terms
# are absent from most texts (a third of a build's time went on running them).
_SIMPLE_CASE = re.compile(r"[\x00-\x7f\u0400-\u04ff\u2000-\u206f]*")


def _needle(term: str) -> str | None:
    """What a text must contain, lower-cased, to hold ``term``; None: no such test."""
    return term.lower() if _SIMPLE_CASE.fullmatch(term) else None


def _absent(needle: str | None, lowered: str | None) -> bool:
    """Whether a term surely does not occur: ``lowered`` is the text lower-cased, or None
    when the text is outside the simple-case scripts."""
    return needle is not None and lowered is not None and needle not in lowered


def _lowered(text: str) -> str | None:
    return text.lower() if _SIMPLE_CASE.fullmatch(text) else None


class Replacement(NamedTuple):
    pattern: re.Pattern
    plain: str
    needle: str | None  # see _needle


def compile_replacements(pairs: Iterable[tuple[str, str]]) -> list[Replacement]:
    """Case-insensitive whole-word replacements, longest term first so phrases win."""
    ordered = sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0].lower()))
    return [Replacement(_whole_word(term), plain, _needle(term)) for term, plain in ordered]


def canonicalize(text: str, replacements: list[Replacement]) -> str:
    """Rewrite garbled and colloquial words to the plain terms of the glossary."""
    out = normalize_ws(text)
    lowered = _lowered(out)
    for pattern, plain, needle in replacements:
        if _absent(needle, lowered):
            continue
        changed = pattern.sub(plain, out)
        if changed != out:
            out, lowered = changed, _lowered(changed)
    return out


def find_terms(text: str, terms: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (term, meaning) pairs whose term occurs in text as a whole word, in text order."""
    found = []
    lowered = _lowered(text)
    for term, meaning in terms.items():
        if _absent(_needle(term), lowered):
            continue
        match = _whole_word(term).search(text)
        if match:
            found.append((match.start(), term, meaning))
    return [(term, meaning) for _, term, meaning in sorted(found)]
