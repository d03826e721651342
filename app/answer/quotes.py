"""The quotes of an answer and what goes with them: the highlighted sentence, the glossary's
notes, why each passage was quoted, the fact a question asked for, and related questions."""

from __future__ import annotations

import re

from app.answer.evidence import Evidence
from app.answer.records import Note, Quote, Why
from app.corpus.records import GlossaryEntry, Passage
from app.reading.question import Analysis
from app.reading.text import find_terms, split_sentences

MAX_RELATED = 3


# How much nearer the question another sentence must be to be highlighted instead of the
# sentence the annotation names as the passage's answer.
HIGHLIGHT_PRIOR = 0.1


def with_fact(headline: str, analysis: Analysis, passages: list[Passage]) -> str:
    """Make sure a question asking for a number gets one in the headline."""
    if not analysis.asks_amount or re.search(r"\d", headline):
        return headline
    for passage in passages:
        for fact in passage.facts:
            return f"{headline} ({fact.amount}: {fact.what}.)"
    return headline


def quote_of(e: Evidence, analysis: Analysis, glossary: tuple[GlossaryEntry, ...]) -> Quote:
    passage, hit = e.hit.passage, e.hit
    sentences = split_sentences(passage.text)
    if len(sentences) == 1 or not e.sentence_similarity:
        highlight = sentences[0]
    else:

        def weight(n: int) -> tuple[float, int]:
            bonus = 0.05 if analysis.asks_amount and re.search(r"\d", sentences[n]) else 0.0
            if sentences[n] == passage.highlight:
                bonus += HIGHLIGHT_PRIOR  # the annotator's answering sentence
            return (e.sentence_similarity.get(n, -1.0) + bonus, -n)

        highlight = sentences[max(range(len(sentences)), key=weight)]
    notes = tuple(
        Note(term=term, means=means)
        for term, means in find_terms(passage.text, {g.term: g.meaning for g in glossary if g.note})
    )
    return Quote(
        id=passage.id,
        section=passage.section,
        text=passage.text,
        highlight=highlight,
        score=round(hit.score, 4),
        why=Why(
            matched=hit.matched_kind,
            matched_text=hit.matched_text,
            dense=round(hit.dense, 4),
            lexical=round(hit.lexical, 4),
            dense_rank=hit.dense_rank,
            lexical_rank=hit.lexical_rank,
        ),
        notes=notes,
    )


def related_questions(question: str, evidence: list[Evidence], quoted: set[str]) -> tuple[str, ...]:
    """Questions a buyer is likely to ask next: the best question of the next passages."""
    asked = question.strip().lower()
    related: list[str] = []
    for e in evidence:
        if e.hit.passage.id in quoted or len(related) == MAX_RELATED:
            continue
        questions = e.hit.passage.questions
        best = max(range(len(questions)), key=lambda n: (e.question_similarity.get(n, -1.0), -n))
        text = questions[best].text
        if text.lower() != asked and text not in related:
            related.append(text)
    return tuple(related)
