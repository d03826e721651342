"""What an index folder holds: its files' names, the texts it embeds, its pipeline version.

An index folder holds::

    manifest.json   what was built from what (corpus hash, pipeline version, model and weights
                    hash, counts), and every file's size and sha256
    passages.json   the passages, one JSON record each
    vectors.npz     for each FAISS row: which passage it embeds and what (text, rule, question)
    texts.json      a hash of the text behind each row (a later build takes its vector back)
    glossary.json   the corpus glossary, for matching and for notes beside quotes
    scope.json      what the guide covers, example questions, its words on the page
    conditions.json the variables conditional passages use, and the words to read them
    actions.json    the buyer actions the guide rules on (which are risky) and their words
    language.json   how questions in the main language are read (``app.reading.language``)
    out-of-scope.*  questions the guide does not answer, and their embeddings
    calibration.json  fusion weight, refusal threshold and bands (kbqa eval --calibrate);
                    every setting the calibration tried is in calibration-sweep.json
    dense.faiss     normalised embeddings: exact inner product, or IVF for large corpora
    query-encoder.onnx, query-tokenizer.json
                    the model as ONNX and its tokenizer: questions are encoded without torch
    lexical.npz     the BM25 inverted index (``app.index.lexical``), its terms in lexical-terms.json
    analyses.json   how each annotated question asks (``app.index.readings``), read at build
    speller.json    the words typos are corrected towards (``app.index.vocabulary``)

and, for each second language, the same language-specific files prefixed with its code
(``ru-dense.faiss``, ``ru-language.json``…) and its words in ``ru-locale.json``. Writing the
model-free ones is ``app.index.tables``; loading them, verified, ``app.index.store``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from app.corpus.records import GlossaryEntry, Passage, Topic
from app.index.vectors import VectorRef
from app.reading.text import canonicalize, compile_replacements, split_sentences

INDEX_FORMAT = 2  # 2: vector references as columns (vectors.npz)


MANIFEST = "manifest.json"


PASSAGES = "passages.json"


VECTORS = "vectors.npz"


GLOSSARY = "glossary.json"


SCOPE = "scope.json"


CONDITIONS = "conditions.json"


ACTIONS = "actions.json"


OUT_OF_SCOPE = "out-of-scope.json"


OUT_OF_SCOPE_DENSE = "out-of-scope.faiss"


# Written by `kbqa eval --calibrate`, not by the build; a rebuild carries them over. The
# sweep behind the settings (a megabyte, for the reader) is a file apart, never read to answer.
CALIBRATION = "calibration.json"


CALIBRATION_SWEEP = "calibration-sweep.json"


DENSE = "dense.faiss"


LOCALE = "locale.json"  # a language's words: "ru-locale.json"


LANGUAGE = "language.json"  # how questions in a language are read: "ru-language.json"


TEXTS = "texts.json"  # a hash of the text each vector embeds (a later build reuses them)


LEXICAL = "lexical.npz"


LEXICAL_TERMS = "lexical-terms.json"


ANALYSES = "analyses.json"


SPELLER = "speller.json"


# What the build stores depends on code as well as on the corpus: the texts it embeds
# (parsing, sentence splitting, canonicalisation, a language's view of a passage), the BM25
# postings, the readings of the annotated questions and the speller's words. The manifest
# records this declared version, and an index built under another is stale. Raise it with
# any change that alters what a build stores; a comment, a refactor or a rule applied only
# at answer time leaves it, and the committed index, as they are. tests/test_pipeline.py
# rebuilds the fixture index and the repository corpus's stored tables and fails when they
# change while this stays.
PIPELINE_VERSION = 5


def vector_texts(corpus_passages: tuple[Passage, ...], glossary: tuple[GlossaryEntry, ...]):
    """The texts to embed, canonicalised, with the ``VectorRef`` of each."""
    replacements = compile_replacements((g.term, g.meaning) for g in glossary)
    refs, texts = [], []
    for i, passage in enumerate(corpus_passages):
        sentences = split_sentences(passage.text)
        for kind, ordinal, text in (
            ("text", 0, passage.text),
            ("rule", 0, passage.rule),
            # Sentences get their own vectors (when there are several) to pick the highlight.
            *(("sentence", n, s) for n, s in enumerate(sentences) if len(sentences) > 1),
            *(("question", n, q.text) for n, q in enumerate(passage.questions)),
        ):
            refs.append(VectorRef(i, kind, ordinal))
            texts.append(canonicalize(text, replacements))
    return refs, texts


def out_of_scope_texts(topics: tuple[Topic, ...], glossary: tuple[GlossaryEntry, ...]):
    replacements = compile_replacements((g.term, g.meaning) for g in glossary)
    return [canonicalize(q, replacements) for t in topics for q in t.questions]


def text_hashes(texts: list[str]) -> list[str]:
    """A short sha256 of each embedded text: what ``TEXTS`` records, row by row."""
    return [hashlib.sha256(text.encode()).hexdigest()[:16] for text in texts]


def pipeline() -> dict[str, Any]:
    """The pipeline record the manifest carries (see ``PIPELINE_VERSION``)."""
    return {"version": PIPELINE_VERSION}


def local_topics(local: tuple[Topic, ...], main: tuple[Topic, ...]) -> tuple[Topic, ...]:
    """A language's out-of-scope topics: its own questions and names, then the main ones
    (the multilingual model matches across languages)."""
    by_id = {t.id: t for t in local}
    return tuple(
        Topic(
            t.id,
            (*by_id[t.id].questions, *t.questions) if t.id in by_id else t.questions,
            tuple(dict.fromkeys((*by_id[t.id].names, *t.names))) if t.id in by_id else t.names,
        )
        for t in main
    )
