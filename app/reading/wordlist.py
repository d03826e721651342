"""Word lists as the corpus writes them, turned into regular expressions.

``actions.md`` and ``conditions.md`` list words and phrases, comma-separated: ``*`` stands
for any ending ("cancel*": cancel, cancelled, cancelling) and ``…`` (or ``...``) for up to
four words ("keep … open"). Spaces match any run of whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _entry(entry: str) -> str:
    out = ""
    for token in entry.replace("...", "…").split():
        if token == "…":
            out += r"(?:\w+\s+){0,4}?"  # lazy: the shortest gap that completes the phrase
        else:
            ending = r"\w*" if token.endswith("*") else ""
            out += re.escape(token.rstrip("*")) + ending + r"\s+"
    return out.removesuffix(r"\s+")


def alternatives(entries: Iterable[str]) -> str:
    """A regex alternation of word-list entries, longest first so phrases win."""
    ordered = sorted({e for e in entries if e}, key=lambda e: (-len(e), e))
    return "|".join(_entry(e) for e in ordered)
