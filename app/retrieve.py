"""Hybrid retrieval: dense (FAISS) and lexical (BM25) scores fused into one ranking.

Both sides see the question after the same preparation as the corpus: typos corrected
towards the corpus vocabulary, then the glossary applied, so "claim", "spores" and
"dispute" meet. A passage's dense score is its best vector (text, rule, a sentence or an
annotated question); its lexical score is BM25 over text + rule + questions, divided by the
most the question's terms could score, so both live in [0, 1] and mean the same thing for
every question. The fused score is ``alpha * dense + (1 - alpha) * lexical``.

``Retriever.retrieve`` returns every passage as a ``Hit``, sorted by fused score (highest
first), ties broken by dense score, then by corpus order.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from app.corpus import Passage
from app.embed import Embedder, model_dir
from app.errors import ModelError
from app.grammar import analyze_in
from app.index import Index
from app.language import Language
from app.onnx_encoder import TOKENIZER_FILE
from app.question import Analysis, analyze
from app.situation import Situation, read_situation
from app.text import (
    Speller,
    canonicalize,
    compile_replacements,
    snowball_stem,
    split_sentences,
    tokens,
    tokens_in,
)

DENSE_CANDIDATES = 512  # FAISS neighbours gathered per question, before grouping by passage


@dataclass(frozen=True)
class Settings:
    """Knobs fixed by calibration (``kbqa eval --calibrate``) and stored with the index."""

    alpha: float = 0.75  # weight of the dense score in the fused score
    threshold: float = 0.45  # below this fused score the guide does not cover the question
    high: float = 0.65  # fused score from which confidence is high
    medium: float = 0.55  # ... and medium; low below that (but above the threshold)
    quote_margin: float = 0.08  # further quotes must score within this of the first
    # Refuse when the nearest out-of-scope question's cosine exceeds the top passage's dense
    # score by more than this (a negative margin refuses even when it is slightly farther).
    out_of_scope_margin: float = 0.0


@dataclass(frozen=True)
class Hit:
    passage: Passage
    position: int  # the passage's place in the corpus, the last tie-break
    score: float
    dense: float
    lexical: float
    dense_rank: int
    lexical_rank: int
    matched_kind: str  # what the best vector embeds: "question", "rule", "sentence" or "text"
    matched_text: str


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


class BM25:
    """Okapi BM25 over pre-tokenised documents, scores normalised to [0, 1]."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(documents)
        self.lengths = np.array([len(d) for d in documents], dtype=np.float64)
        self.average = float(self.lengths.mean()) if self.n else 0.0
        self.frequencies = [Counter(d) for d in documents]
        document_frequency = Counter(t for d in documents for t in set(d))
        self.idf = {t: self._idf(df) for t, df in document_frequency.items()}

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: list[str]) -> np.ndarray:
        """Each document's BM25 over the most any document could score for these terms.

        A term no document contains still counts in that maximum, so a question about things
        the corpus never mentions scores low everywhere.
        """
        terms = list(dict.fromkeys(query))
        out = np.zeros(self.n)
        if not terms or not self.n:
            return out
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.average)
        best = 0.0
        for term in terms:
            idf = self.idf.get(term, self._idf(0))
            best += idf * (self.k1 + 1)
            tf = np.array([f.get(term, 0) for f in self.frequencies], dtype=np.float64)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out / best


class Retriever:
    """A loaded index plus the model and lexical tables needed to query it."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings or Settings()
        self.replacements = compile_replacements((g.term, g.meaning) for g in index.glossary)
        # A second language's index (``index.language``) is read with its own words.
        self.language = index.language
        self.bm25 = BM25([self._document_tokens(p) for p in index.passages])
        self.question_analysis = {
            p.id: tuple(self._analyze(q.text)[0] for q in p.questions) for p in index.passages
        }
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
        self._refs_by_passage: dict[int, list[int]] = {}
        for row, ref in enumerate(index.vectors):
            self._refs_by_passage.setdefault(ref.passage, []).append(row)

    def with_settings(self, settings: Settings) -> Retriever:
        """The same retriever with other settings (shares every loaded table)."""
        clone = copy.copy(self)
        clone.settings = settings
        return clone

    def _document_tokens(self, passage: Passage) -> list[str]:
        text = " ".join([passage.text, passage.rule, *(q.text for q in passage.questions)])
        return self.tokens(text)

    def tokens(self, text: str) -> list[str]:
        """Lexical tokens in the index's language."""
        if self.language is None:
            return tokens(text, self.replacements)
        stopwords = frozenset(self.language.grammar.stopwords)
        return tokens_in(text, self.replacements, self.language.stemmer, stopwords)

    @cached_property
    def speller(self) -> Speller:
        if self.language is not None:
            return self._local_speller(self.language)
        vocabulary: Counter[str] = Counter()
        for passage in self.index.passages:
            for text in (passage.text, passage.rule, *(q.text for q in passage.questions)):
                vocabulary.update(w.lower() for w in re.findall(r"[A-Za-z]+", text))
        for entry in self.index.glossary:
            vocabulary.update(w.lower() for w in re.findall(r"[A-Za-z]+", entry.term))
        return Speller(vocabulary, known=_general_words(self.index.path))

    def _local_speller(self, language: Language) -> Speller:
        """A second language's speller: its annotations' and word lists' words, and its
        stemmer standing in for the general word list it lacks."""
        vocabulary: Counter[str] = Counter()
        words = r"[^\W\d_]+"
        texts = [t for p in self.index.passages for t in (p.rule, *(q.text for q in p.questions))]
        texts += [g.term for g in self.index.glossary] + [g.meaning for g in self.index.glossary]
        for variable in self.index.conditions.variables:
            texts += [*variable.cues, *(p for v in variable.values for p in v.phrases)]
        vocabulary_rows = self.index.conditions.vocabulary.__dict__.values()
        texts += [str(row[0]) for rows in vocabulary_rows for row in rows]
        for action in self.index.lexicon.actions:
            texts += [*action.does, *action.undoes, *action.safe]
        texts += [
            *self.index.lexicon.bad,
            *(w for f in language.grammar.__dict__.values() for w in f),
        ]
        for text in texts:
            vocabulary.update(re.findall(words, text.lower().replace("ё", "е")))
        return Speller(vocabulary, word=words, stem=snowball_stem(language.stemmer))

    def prepare(self, question: str) -> Query:
        corrected = self.speller.correct(question.replace("ё", "е").replace("Ё", "Е"))
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
        corrected = [self.speller.correct(q.replace("ё", "е").replace("Ё", "Е")) for q in questions]
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
        situation = read_situation(text, self.index.conditions)
        if self.language is None:
            analysis = analyze(text, self.index.lexicon)
        else:
            analysis = analyze_in(text, self.index.lexicon, self.language.grammar)
        return replace(analysis, states=situation.states), situation

    def retrieve(self, question: str | Query) -> list[Hit]:
        query = question if isinstance(question, Query) else self.prepare(question)
        passages = self.index.passages
        count = len(passages)
        alpha = self.settings.alpha

        dense = np.full(count, -1.0)
        matched = [("text", p.text) for p in passages]
        k = min(DENSE_CANDIDATES, self.index.dense.ntotal)
        similarities, rows = self.index.dense.search(query.row, k)
        for similarity, row in zip(similarities[0], rows[0], strict=True):
            if row < 0:
                continue
            ref = self.index.vectors[row]
            if similarity > dense[ref.passage]:
                dense[ref.passage] = float(similarity)
                matched[ref.passage] = (ref.kind, self.vector_text(row))
        # An IVF search may return fewer than k rows (the rest are -1): floor from real ones.
        found = similarities[0][rows[0] >= 0]
        floor = float(found[-1]) if len(found) else 0.0
        dense[dense == -1.0] = floor  # not among the neighbours: at most the last neighbour

        lexical = self.bm25.scores(self.tokens(query.canonical))
        fused = alpha * dense + (1 - alpha) * lexical
        dense_rank = _ranks(dense)
        lexical_rank = _ranks(lexical)
        order = sorted(range(count), key=lambda i: (-fused[i], -dense[i], i))
        return [
            Hit(
                passage=passages[i],
                position=i,
                score=round(float(fused[i]), 6),
                dense=round(float(dense[i]), 6),
                lexical=round(float(lexical[i]), 6),
                dense_rank=dense_rank[i],
                lexical_rank=lexical_rank[i],
                matched_kind=matched[i][0],
                matched_text=matched[i][1],
            )
            for i in order
        ]

    def nearest_out_of_scope(self, query: Query) -> tuple[float, str]:
        """Cosine to the closest out-of-scope question, and that question's topic.

        A question naming one of a topic's ``names`` ("amazon") is as out of scope as can be:
        similarity 1.0.
        """
        words = set(re.findall(r"[^\W_]+", query.corrected.lower().replace("ё", "е")))
        for topic, name in self.index.out_of_scope_names:
            if name in words:
                return 1.0, topic
        oos = self.index.out_of_scope_dense
        if oos is None or oos.ntotal == 0:
            return -1.0, ""
        similarity, row = oos.search(query.row, 1)
        return float(similarity[0, 0]), self.index.out_of_scope[int(row[0, 0])][0]

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

    def similarities(self, query: Query, passage_position: int, kind: str) -> dict[int, float]:
        """Cosine of the query with each vector of one kind of one passage, by ordinal."""
        out = {}
        for row in self._refs_by_passage.get(passage_position, []):
            ref = self.index.vectors[row]
            if ref.kind == kind:
                out[ref.ordinal] = float(self.index.dense.reconstruct(row) @ query.vector)
        return out


def _ranks(values: np.ndarray) -> list[int]:
    """1-based rank of each value, highest first, ties by position."""
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    ranks = [0] * len(values)
    for rank, i in enumerate(order, 1):
        ranks[i] = rank
    return ranks


def _general_words(folder: Path) -> frozenset[str]:
    """Whole words of the model's vocabulary: real English the speller must leave alone.

    From the index's copy of the model's tokenizer (``folder``), so that answering needs no
    model package; else from the package."""
    try:
        vocabulary = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
        words = list(vocabulary["model"]["vocab"])
    except (OSError, ValueError, KeyError, TypeError):
        try:
            vocab = model_dir() / "vocab.txt"
        except ModelError:
            return frozenset()
        words = vocab.read_text(encoding="utf-8").splitlines()
    return frozenset(word.strip() for word in words if word.isalpha())
