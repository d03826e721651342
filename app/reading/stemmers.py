"""Lexical tokens: a language's words, its stop words dropped, stemmed.

A language names its stemmer in its ``language.md``: ``light``, kbqa's own suffix stripper
for English (enough for "cancelled"/"cancel" or "disputes"/"dispute" to meet, and gentler
than Snowball on the guide's garbled words), or any Snowball algorithm PyStemmer has
("russian"). The stemmer also says what a word is: ``light`` reads ASCII words, digits and
"%" ("50%"); Snowball words of any script (Latin brand names inside Russian pass through
it unharmed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import Stemmer  # PyStemmer: Snowball stemmers in C

from app.reading.language import Language
from app.reading.text import Replacement, canonicalize

STEMMERS = ("light",)  # kbqa's own; any Snowball algorithm name works too
_WORDS = {"light": re.compile(r"[a-z0-9%]+")}
_ANY_WORD = re.compile(r"[^\W_]+")


def has_stemmer(name: str) -> bool:
    return name in STEMMERS or name in Stemmer.algorithms()


def light(word: str) -> str:
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


@lru_cache(maxsize=8)
def _snowball(algorithm: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(algorithm)


def stemmer(name: str) -> Callable[[str], str]:
    """One word's stem with the stemmer ``name``."""
    return light if name == "light" else _snowball(name).stemWord


def tokens(
    text: str, language: Language, replacements: list[Replacement] | None = None
) -> list[str]:
    """Lexical tokens of ``text`` in ``language``: the glossary applied, lower-cased and
    folded, stop words dropped, stemmed."""
    if replacements:
        text = canonicalize(text, replacements)
    pattern = _WORDS.get(language.stemmer, _ANY_WORD)
    stops = language.stopwords
    words = [w for w in pattern.findall(language.fold(text.lower())) if w not in stops]
    if language.stemmer == "light":
        return [light(w) for w in words]
    return _snowball(language.stemmer).stemWords(words)
