"""The sparse BM25 index: the same scores as BM25 computed document by document."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np

from app.index.lexical import Lexical

DOCUMENTS = [
    ["dispute", "close", "close", "refund"],
    ["parcel", "late"],
    ["dispute", "appeal", "days", "days", "days"],
    [],
]


def reference(documents: list[list[str]], query: list[str], k1=1.2, b=0.75) -> np.ndarray:
    """BM25 as kbqa always computed it: a pass over every document per term, normalised by
    the most the terms could score (an unknown term with the idf of df = 0)."""
    n = len(documents)
    lengths = np.array([len(d) for d in documents], dtype=np.float64)
    frequencies = [Counter(d) for d in documents]
    df = Counter(t for d in documents for t in set(d))

    def idf(count: int) -> float:
        return math.log(1 + (n - count + 0.5) / (count + 0.5))

    out, best = np.zeros(n), 0.0
    norm = k1 * (1 - b + b * lengths / lengths.mean())
    for term in dict.fromkeys(query):
        best += idf(df.get(term, 0)) * (k1 + 1)
        tf = np.array([f.get(term, 0) for f in frequencies], dtype=np.float64)
        out += idf(df.get(term, 0)) * tf * (k1 + 1) / (tf + norm)
    return out / best if best else out


def test_scores_equal_the_document_by_document_formula_bit_for_bit():
    lexical = Lexical.build(DOCUMENTS)
    for query in (["dispute", "close"], ["days", "weather", "dispute"], ["late", "late"]):
        assert lexical.scores(query).tolist() == reference(DOCUMENTS, query).tolist()


def test_scores_are_normalised_and_unknown_terms_weigh():
    lexical = Lexical.build(DOCUMENTS)
    scores = lexical.scores(["dispute", "close"])
    assert scores.argmax() == 0
    assert 0 < scores.max() < 1
    assert lexical.scores(["weather"]).max() == 0
    assert lexical.scores(["late", "weather"])[1] < lexical.scores(["late"])[1]
    assert lexical.scores([]).tolist() == [0.0] * len(DOCUMENTS)


def test_stored_index_loads_with_the_same_scores_and_bytes(tmp_path: Path):
    lexical = Lexical.build(DOCUMENTS)
    lexical.save(tmp_path / "a.npz", tmp_path / "a.json")
    Lexical.build(DOCUMENTS).save(tmp_path / "b.npz", tmp_path / "b.json")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    loaded = Lexical.load(tmp_path / "a.npz", tmp_path / "a.json")
    query = ["dispute", "days", "refund"]
    assert loaded.scores(query).tolist() == lexical.scores(query).tolist()
