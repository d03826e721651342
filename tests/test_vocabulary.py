"""The speller's words: counted at build, stored, and what counting afresh gives."""

from __future__ import annotations

from pathlib import Path

from app.corpus.load import load_corpus
from app.index.store import load_index
from app.index.vocabulary import speller_words


def test_index_stores_the_words_a_fresh_count_gives(index_dir: Path, corpus_dir: Path):
    index = load_index(index_dir, corpus_dir=corpus_dir)
    corpus = load_corpus(corpus_dir)
    assert corpus.language is not None
    fresh = speller_words(
        corpus.passages,
        corpus.glossary,
        corpus.conditions,
        corpus.lexicon,
        corpus.language,
        main=True,
    )
    assert index.vocabulary == dict(fresh)
    assert index.vocabulary["dispute"] > 1
