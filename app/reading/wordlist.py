"""Word lists as the corpus writes them, turned into regular expressions.

Every list of words in a corpus file (actions, conditions, a language's question words) is
comma-separated entries: ``*`` stands for any ending ("cancel*": cancel, cancelled,
cancelling), ``…`` (or ``...``) for up to four words ("keep … open"), and, in a language's
question words, ``{class}`` for any word of a class the language declares ("{aux} {subject}":
"should I", "can we"…). Spaces match any run of whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A language's word classes: (name, entries), in order.
Classes = tuple[tuple[str, tuple[str, ...]], ...]
_CLASS = re.compile(r"^\{([\w-]+)\}(\*?)$")


def _entry(entry: str, classes: dict[str, tuple[str, ...]], seen: frozenset[str]) -> str:
    out = ""
    for token in entry.replace("...", "…").split():
        named = _CLASS.match(token)
        if token == "…":
            out += r"(?:\w+\s+){0,4}?"  # lazy: the shortest gap that completes the phrase
            continue
        if named and named[1] in classes and named[1] not in seen:
            inner = _alternation(classes[named[1]], classes, seen | {named[1]})
            out += f"(?:{inner})" + (r"\w*" if named[2] else "") + r"\s+"
            continue
        ending = r"\w*" if token.endswith("*") else ""
        out += re.escape(token.rstrip("*")) + ending + r"\s+"
    return out.removesuffix(r"\s+")


def _alternation(
    entries: Iterable[str], classes: dict[str, tuple[str, ...]], seen: frozenset[str]
) -> str:
    ordered = sorted({e for e in entries if e}, key=lambda e: (-len(e), e))
    return "|".join(_entry(e, classes, seen) for e in ordered)


def alternatives(entries: Iterable[str], classes: Classes = ()) -> str:
    """A regex alternation of word-list entries, longest first so phrases win; ``{name}``
    stands for any entry of the class ``name``."""
    return _alternation(entries, dict(classes), frozenset())


def class_names(entry: str) -> list[str]:
    """The classes an entry names (``{aux} {subject}``: aux, subject)."""
    return [m[1] for token in entry.split() if (m := _CLASS.match(token))]
