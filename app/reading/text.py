"""Text utilities shared by the corpus checks, retrieval and answer composition.

Everything here is pure and deterministic: whitespace normalisation (quotes are verbatim
"whitespace aside"), sentence splitting, glossary canonicalisation and the tokeniser used
for lexical matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

# Bullet glyphs are layout, not words: the verbatim check treats them as whitespace.
_LAYOUT = re.compile(r"[\s•]+")
_PAGE_NUMBER = re.compile(r"^\s*\d+\s*$")
# A sentence ends at . ! or ? (optionally followed by a closing quote) before whitespace.
_SENTENCE_END = re.compile(r"[.!?]+[\"”']?(?=\s|$)")
_WORD = re.compile(r"[a-z0-9%]+")

STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for from with about into over after before is are
    was were be been being am do does did doing have has had having i me my we our you your he
    him his she her it its they them their this that these those there here what which who whom
    when where why how can could should would will shall may might must just so than then too
    very s t also any all some such no nor not only own same other more most out up down off
    again further once as until while because both each few""".split()
)


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


def stem(word: str) -> str:
    """A light suffix stripper: enough for 'cancelled'/'cancel' or 'disputes'/'dispute' to meet."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + keep
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousz":
        word = word[:-1]  # cancell -> cancel, shipp -> ship
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # dispute/disput, close/clos meet their inflections
    return word


def tokens(text: str, replacements: list[Replacement] | None = None) -> list[str]:
    """Lexical tokens: canonicalised, lower-cased, stop words dropped, lightly stemmed."""
    if replacements:
        text = canonicalize(text, replacements)
    return [stem(word) for word in _WORD.findall(text.lower()) if word not in STOPWORDS]


_ANY_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=8)
def _snowball(algorithm: str):
    import Stemmer  # PyStemmer: Snowball stemmers in C, loaded for a second language only

    return Stemmer.Stemmer(algorithm)


def snowball_stem(algorithm: str) -> Callable[[str], str]:
    """One word's stem with a Snowball ``algorithm`` ("russian")."""
    return _snowball(algorithm).stemWord


def tokens_in(
    text: str,
    replacements: list[Replacement] | None,
    stemmer: str,
    stopwords: frozenset[str] = frozenset(),
) -> list[str]:
    """Lexical tokens of a second language: any script's words, ё as е, its stop words
    dropped, stemmed with its Snowball ``stemmer`` (Latin words, "paypal", pass through it
    unharmed)."""
    if replacements:
        text = canonicalize(text, replacements)
    words = [w for w in _ANY_WORD.findall(text.lower().replace("ё", "е")) if w not in stopwords]
    return _snowball(stemmer).stemWords(words)


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


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count 1), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (ca != cb),
            )
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Speller:
    """Corrects misspelt words towards the corpus vocabulary ("cancle" -> "cancel").

    Only words unknown both to the corpus and to a general word list are touched, so real
    words the guide does not use ("weather") stay as typed. Candidates come from a
    deletion index (symmetric delete), then the closest, most frequent, alphabetically first
    wins: deterministic.
    """

    # Contractions typed without the apostrophe are words, not typos ("wont" is not "want").
    CONTRACTIONS = frozenset(
        """dont wont cant doesnt isnt didnt shouldnt wouldnt couldnt hasnt havent wasnt arent
        werent im ive ill id its thats whats hes shes theyre youre theres""".split()
    )

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        known: Iterable[str] = (),
        *,
        word: str = r"[A-Za-z]+",
        stem: Callable[[str], str] | None = None,
    ):
        """``word`` is what a word is made of; with ``stem`` (a language without a general
        word list), a word whose stem the vocabulary already has is an inflection, not a
        typo, and stays: "пришлю" (will send) must not become "пришли" (arrived)."""
        self.word = re.compile(word)
        self.stem = stem
        self.stems = frozenset(stem(w) for w in vocabulary) if stem else frozenset()
        self.vocabulary = dict(vocabulary)
        self.known = frozenset(known) | frozenset(self.vocabulary) | self.CONTRACTIONS
        self._deletes: dict[str, set[str]] = {}
        for word in self.vocabulary:
            if len(word) >= 4:
                for variant in {word, *_deletions(word)}:
                    self._deletes.setdefault(variant, set()).add(word)

    def correct_word(self, word: str) -> str:
        lower = word.lower()
        if len(lower) < 4 or lower in self.known or not lower.isalpha():
            return word
        if self.stem is not None and self.stem(lower) in self.stems:
            return word
        limit = 1 if len(lower) < 7 else 2
        candidates: set[str] = set()
        for variant in {lower, *_deletions(lower)}:
            candidates |= self._deletes.get(variant, set())
        scored = sorted(
            (edit_distance(lower, c, limit), -self.vocabulary[c], c) for c in candidates
        )
        if scored and scored[0][0] <= limit:
            return scored[0][2]
        return word

    def correct(self, text: str) -> str:
        return self.word.sub(lambda m: self.correct_word(m.group(0)), text)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
