"""Hybrid retrieval: dense (FAISS) and lexical (BM25) scores fused into one ranking.

Both sides see the question after the same preparation as the corpus: typos corrected
towards the corpus vocabulary, then the glossary applied, so "claim", "spores" and
"dispute" meet. A passage's dense score is its best vector (text, rule, a sentence or an
annotated question); its lexical score is BM25 over text + rule + questions, divided by the
most the question's terms could score, so both live in [0, 1] and mean the same thing for
every question. The fused score is ``alpha * dense + (1 - alpha) * lexical``.

``Retriever.retrieve`` returns a ``Ranking`` (``app.answer.ranking``): the passages sorted by fused
score (highest first), ties broken by dense score, then by corpus order, with ``Hit``s made
for the top ``k`` and on demand. The lexical index and the readings of the annotated
questions come from the index (made at build), not recomputed at each start.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from app.answer.ranking import DENSE_CANDIDATES, Hit, Ranking, Rows
from app.errors import IndexProblem, ModelError
from app.index.calibration import Settings
from app.index.embed import Embedder, model_dir
from app.index.lexical import lexical_tokens
from app.index.onnx_encoder import TOKENIZER_FILE
from app.index.readings import read_question
from app.index.store import Index
from app.index.vocabulary import speller_word
from app.reading.language import Language
from app.reading.question import Analysis
from app.reading.situation import Situation
from app.reading.speller import Speller
from app.reading.stemmers import stemmer
from app.reading.text import canonicalize, compile_replacements, split_sentences

__all__ = ["DENSE_CANDIDATES", "Hit", "Query", "Retriever"]


@dataclass(frozen=True)
class Query:
    """A question as prepared for matching."""

    original: str
    corrected: str  # typos fixed
    canonical: str  # glossary applied
    vector: np.ndarray  # unit length, (dim,)
    analysis: Analysis
    situation: Situation = field(default_factory=Situation)  # what it states of conditions

    @property
    def row(self) -> np.ndarray:
        """The vector as the one-row matrix FAISS searches with."""
        return self.vector.reshape(1, -1)


class Retriever:
    """A loaded index plus the model and lexical tables needed to query it."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings or Settings()
        self.replacements = compile_replacements((g.term, g.meaning) for g in index.glossary)
        if index.language is None or index.lexical is None or index.analyses is None:
            raise IndexProblem(f"{index.path} lacks what a build stores; run `kbqa build --force`")
        self.language: Language = index.language
        self.lexical = index.lexical
        self.question_analysis: dict[str, tuple[Analysis, ...]] = index.analyses
        # The risky actions each passage rules on: declared, or named by its questions.
        risky = set(index.lexicon.risky_kinds)
        self.risks: dict[str, frozenset[str]] = {
            p.id: frozenset(p.risk)
            | {a.kind for a in self.question_analysis[p.id] if a.kind in risky}
            for p in index.passages
        }
        # The passages answering each conditional point, in corpus order.
        self.points: dict[str, tuple[int, ...]] = {}
        for position, passage in enumerate(index.passages):
            if passage.point:
                self.points[passage.point] = (*self.points.get(passage.point, ()), position)
        passage_of_row = index.vectors.passage
        try:
            self.rows = Rows.of(index.dense, passage_of_row, len(index.passages), self._describe)
        except ValueError as err:
            raise IndexProblem(f"{index.path}: {err}; run `kbqa build --force`") from None

    def with_settings(self, settings: Settings) -> Retriever:
        """The same retriever with other settings (shares every loaded table)."""
        clone = copy.copy(self)
        clone.settings = settings
        return clone

    def tokens(self, text: str) -> list[str]:
        """Lexical tokens in the index's language."""
        return lexical_tokens(text, self.replacements, self.language)

    @cached_property
    def speller(self) -> Speller:
        """Corrects typos towards the index's words, leaving alone the language's ``known``
        words and what its speller guards (``app.reading.speller``)."""
        language = self.language
        known = set(language.grammar.words("known"))
        stem = None
        if language.speller == "vocabulary":
            known |= general_words(self.index.path)
        else:
            stem = stemmer(language.stemmer)
        return Speller(self.index.vocabulary or {}, known, word=speller_word(language), stem=stem)

    def prepare(self, question: str) -> Query:
        corrected = self.speller.correct(self.language.fold(question))
        canonical = canonicalize(corrected, self.replacements)
        vector = self.embedder.encode([canonical])[0]
        analysis, situation = self._analyze(corrected)
        return Query(question, corrected, canonical, vector, analysis, situation)

    def prepare_many(
        self, questions: list[str], known: dict[str, np.ndarray] | None = None
    ) -> list[Query]:
        """``prepare`` for many questions, their vectors encoded in one batch (the build's
        regression report re-asks every annotated question in seconds this way); ``known``
        gives vectors already at hand (an annotated question's, from the index)."""
        known = known or {}
        corrected = [self.speller.correct(self.language.fold(q)) for q in questions]
        canonical = [canonicalize(c, self.replacements) for c in corrected]
        missing = [c for q, c in zip(questions, canonical, strict=True) if q not in known]
        encoded = iter(self.embedder.encode(missing) if missing else [])
        vectors = [known[q] if q in known else next(encoded) for q in questions]
        out = []
        for question, fixed, plain, vector in zip(
            questions, corrected, canonical, vectors, strict=True
        ):
            analysis, situation = self._analyze(fixed)
            out.append(Query(question, fixed, plain, vector, analysis, situation))
        return out

    def _analyze(self, text: str) -> tuple[Analysis, Situation]:
        """How a question asks, with the situations it states folded in."""
        return read_question(text, self.language, self.index.conditions, self.index.lexicon)

    def retrieve(self, question: str | Query, k: int | None = None) -> Ranking:
        """The passages in fused order, ``Hit``s made for the top ``k`` (None: all) and on
        demand past it (``Ranking.hit``, or reading on)."""
        query = question if isinstance(question, Query) else self.prepare(question)
        lexical = self.lexical.scores(self.tokens(query.canonical))
        return Ranking(
            self.rows, self.index.passages, query.vector, lexical, self.settings.alpha, k
        )

    def nearest_out_of_scope(self, query: Query) -> tuple[float, str]:
        """Cosine to the closest out-of-scope question, and that question's topic.

        A question naming one of a topic's ``names`` ("amazon") is as out of scope as can be:
        similarity 1.0.
        """
        words = set(re.findall(r"[^\W_]+", self.language.fold(query.corrected.lower())))
        for topic, name in self.index.out_of_scope_names:
            if name in words:
                return 1.0, topic
        oos = self.index.out_of_scope_dense
        if oos is None or oos.ntotal == 0:
            return -1.0, ""
        similarity, row = oos.search(query.row, 1)
        return float(similarity[0, 0]), self.index.out_of_scope[int(row[0, 0])][0]

    def _describe(self, row: int) -> tuple[str, str]:
        return self.index.vectors[row].kind, self.vector_text(row)

    def vector_text(self, row: int) -> str:
        ref = self.index.vectors[row]
        passage = self.index.passages[ref.passage]
        if ref.kind == "question":
            return passage.questions[ref.ordinal].text
        if ref.kind == "rule":
            return passage.rule
        if ref.kind == "sentence":
            return split_sentences(passage.text)[ref.ordinal]
        return passage.text

    def similarities(self, query: Query, passage_position: int) -> dict[str, dict[int, float]]:
        """Cosine of the query with each vector of one passage, by kind, then ordinal."""
        out: dict[str, dict[int, float]] = {}
        start, end = (int(f) for f in self.rows.first[passage_position : passage_position + 2])
        # One call, not one a row (reconstruct_n would scan an IVF index's every list).
        block = self.index.dense.reconstruct_batch(np.arange(start, end, dtype=np.int64))
        for row, vector in zip(range(start, end), block, strict=True):
            ref = self.index.vectors[row]
            out.setdefault(ref.kind, {})[ref.ordinal] = float(vector @ query.vector)
        return out


def general_words(folder: Path) -> frozenset[str]:
    """Whole words of the question encoder's vocabulary: real words the speller must leave
    alone. From the index's copy of the model's tokenizer (``folder``), so that answering
    needs no model package; else from the package. Neither is an error naming the fix, never
    an empty list that would let the speller "correct" real words ("than" into "that")."""
    try:
        vocabulary = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
        words = list(vocabulary["model"]["vocab"])
    except (OSError, ValueError, KeyError, TypeError):
        try:
            vocab = model_dir() / "vocab.txt"
            words = vocab.read_text(encoding="utf-8").splitlines()
        except (ModelError, OSError) as err:
            raise ModelError(
                f"the speller needs the question encoder's vocabulary: {folder / TOKENIZER_FILE} "
                f"is missing and so is the model package ({err}); run `kbqa build --force`"
            ) from None
    return frozenset(word.strip() for word in words if word.isalpha())
