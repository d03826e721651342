"""Top-k retrieval gives the order that scoring every passage gives."""

from __future__ import annotations

import pytest

import app.answer.ranking
from app.answer.engine import Engine

QUESTIONS = [
    "refund broken parcel",
    "Should I close the dispute before I am paid?",
    "How long do I have to appeal?",
    "appeal",
    "zebra",
]


@pytest.mark.parametrize(("dense", "lexical"), [(512, 64), (3, 1), (1, 1)])
def test_top_k_is_the_full_rankings_head(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, dense: int, lexical: int
):
    # Few FAISS neighbours and lexical candidates: the bound must grow the candidates.
    monkeypatch.setattr(app.answer.ranking, "DENSE_CANDIDATES", dense)
    monkeypatch.setattr(app.answer.ranking, "LEXICAL_CANDIDATES", lexical)
    retriever = engine.load()
    for question in QUESTIONS:
        query = retriever.prepare(question)
        full = list(retriever.retrieve(query, k=None))
        for k in (1, 2, 3):
            top = retriever.retrieve(query, k=k)
            assert [h.position for h in top[:k]] == [h.position for h in full[:k]]
            assert [h.score for h in top[:k]] == [h.score for h in full[:k]]
            assert list(top) == full  # reading on scores the rest, in the same order


def test_any_passage_has_a_hit_on_demand(engine: Engine):
    retriever = engine.load()
    query = retriever.prepare("refund broken parcel")
    full = {h.position: h for h in retriever.retrieve(query)}
    top = retriever.retrieve(query, k=1)
    for position, hit in full.items():
        assert top.hit(position) == hit
    assert len(top) == len(full)
