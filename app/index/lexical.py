"""Lexical scores from a sparse inverted index: BM25 in time proportional to the postings.

The scores are Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)))
over text + rule + questions, divided by the most the question's terms could score, so they
live in [0, 1] and mean the same thing for every question. A term no document contains still
counts in that maximum (with the idf of df = 0): a question about things the corpus never
mentions scores low everywhere.

Each term's postings hold its documents and its finished BM25 contribution there (float64,
as a per-document sum computes it), so a question costs one slice and one vectorised add
per term instead of a Python pass over every document. The arrays are built once at
``kbqa build`` and stored as ``lexical.npz`` (plain numeric arrays, loaded without pickle)
beside ``lexical-terms.json`` (the terms, in column order).

Why not bm25s: it scores in float32 (answers would move in the 7th digit, and ties with
them) and drops unknown terms before the normalisation needs them; ``scripts/bench.py
--lexical`` measures both on the same postings.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.corpus.records import Passage
from app.index.npzfile import read_npz, write_npz
from app.reading.language import Language
from app.reading.stemmers import tokens

K1 = 1.2
B = 0.75


def idf(df: int, n: int) -> float:
    """BM25's inverse document frequency (Lucene's, never negative)."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def passage_words(passage: Passage) -> str:
    """What BM25 reads of a passage: its text, rule and annotated questions."""
    return " ".join([passage.text, passage.rule, *(q.text for q in passage.questions)])


def lexical_tokens(text: str, replacements, language: Language) -> list[str]:
    """Lexical tokens in an index's language (``app.reading.stemmers``)."""
    return tokens(text, language, replacements)


@dataclass(frozen=True, eq=False)
class Lexical:
    """A term-major (CSC) BM25 index: term t's documents are ``docs[starts[t]:starts[t+1]]``."""

    terms: dict[str, int]  # term -> column
    starts: np.ndarray  # (terms + 1,) int64 offsets into docs / weights
    docs: np.ndarray  # (postings,) int32 document positions, ascending within a term
    weights: np.ndarray  # (postings,) float64 idf * tf * (k1 + 1) / (tf + norm)
    idf: np.ndarray  # (terms,) float64
    n: int  # documents

    @classmethod
    def build(cls, documents: list[list[str]], k1: float = K1, b: float = B) -> Lexical:
        """The index of pre-tokenised documents (positions are the documents' order)."""
        n = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float64)
        average = float(lengths.mean()) if n else 0.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for position, document in enumerate(documents):
            for term, times in Counter(document).items():
                postings.setdefault(term, []).append((position, times))
        terms = {t: column for column, t in enumerate(postings)}
        counts = np.array([len(p) for p in postings.values()], dtype=np.int64)
        starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        docs = np.fromiter(
            (d for p in postings.values() for d, _ in p), dtype=np.int32, count=int(starts[-1])
        )
        tf = np.fromiter(
            (f for p in postings.values() for _, f in p), dtype=np.float64, count=int(starts[-1])
        )
        # math.log per term, as the scores have always been computed (np.log may differ in
        # the last bit).
        term_idf = np.array([idf(int(df), n) for df in counts], dtype=np.float64)
        norm = k1 * (1 - b + b * lengths[docs] / average) if n else np.zeros(0)
        weights = np.repeat(term_idf, counts) * tf * (k1 + 1) / (tf + norm)
        return cls(terms, starts, docs, weights, term_idf, n)

    def scores(self, query: list[str], k1: float = K1) -> np.ndarray:
        """Each document's BM25 for these terms over the most they could score."""
        out = np.zeros(self.n)
        terms = list(dict.fromkeys(query))
        if not terms or not self.n:
            return out
        best = 0.0
        for term in terms:
            column = self.terms.get(term)
            if column is None:
                best += idf(0, self.n) * (k1 + 1)
                continue
            best += float(self.idf[column]) * (k1 + 1)
            start, end = self.starts[column], self.starts[column + 1]
            # np.add.at: the same additions in the same order as a fancy "+=", ~4x faster
            # for a term most documents hold.
            np.add.at(out, self.docs[start:end], self.weights[start:end])
        return out / best

    # --- stored form ---------------------------------------------------------------------

    def save(self, arrays: Path, terms: Path) -> None:
        """Numeric arrays to ``arrays`` (.npz) and the terms, in column order, to ``terms``."""
        named = {
            "starts": self.starts,
            "docs": self.docs,
            "weights": self.weights,
            "idf": self.idf,
            "n": np.array([self.n], dtype=np.int64),
        }
        write_npz(arrays, named)  # the same corpus gives the same bytes, and the same hash
        ordered = sorted(self.terms, key=self.terms.__getitem__)
        terms.write_text(json.dumps(ordered, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, arrays: Path, terms: Path) -> Lexical:
        data = read_npz(arrays, ("starts", "docs", "weights", "idf", "n"))
        starts, docs, weights = data["starts"], data["docs"], data["weights"]
        term_idf, n = data["idf"], int(data["n"][0])
        ordered = json.loads(terms.read_text(encoding="utf-8"))
        if len(ordered) + 1 != len(starts) or len(term_idf) != len(ordered):
            raise ValueError(f"{terms} lists {len(ordered)} terms, {arrays} {len(starts) - 1}")
        return cls({t: c for c, t in enumerate(ordered)}, starts, docs, weights, term_idf, n)
