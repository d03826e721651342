"""Typos corrected towards the corpus's words ("cancle" -> "cancel"), deterministically.

A language's speller leaves alone what it knows: its ``known`` words (English contractions
typed without the apostrophe: "wont" is not "want"), and either the question encoder's
whole-word vocabulary (``speller: vocabulary``: real English the guide does not use,
"weather", stays as typed) or any word whose stem the corpus has (``speller: stems``: a
language without a general word list; "пришлю" must not become "пришли").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping


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
        self.known = frozenset(known) | frozenset(self.vocabulary)
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
