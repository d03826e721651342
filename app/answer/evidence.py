"""What composition knows about a retrieved passage: the hit, and how near the question is
to each of its annotated questions and sentences, with how those questions read."""

from __future__ import annotations

from dataclasses import dataclass

from app.answer.retrieve import Hit
from app.reading.question import Analysis


@dataclass(frozen=True)
class Evidence:
    """A hit with what composition needs to know about its questions and sentences."""

    hit: Hit
    question_similarity: dict[int, float]  # annotated question ordinal -> cosine
    question_analysis: tuple[Analysis, ...]  # one per annotated question
    sentence_similarity: dict[int, float]  # sentence ordinal -> cosine (multi-sentence only)
    # The risky actions the passage rules on (declared or named by its questions).
    risks: frozenset[str] = frozenset()


def flip(verdict: str) -> str:
    return {"yes": "no", "no": "yes"}.get(verdict, verdict)
