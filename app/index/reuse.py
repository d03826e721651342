"""The vectors of the index being replaced, by the text each embeds.

A fresh clone has an empty embedding cache (``app.index.cache``) but a committed index that
holds a vector for every text of its corpus. The first edit there would otherwise embed all
of them again (about 40 s on two cores, for one changed question): the build reads them back
instead. Only an index built by this pipeline version counts (the same code turns the same
corpus into the same texts, so a text's vector is the one this build would make) and only
for the model and weights that made it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.corpus.records import Topic
from app.errors import IndexProblem
from app.index.embed import Embedder
from app.index.store import Index, load_index, out_of_scope_texts, pipeline, vector_texts

Vectors = dict[str, np.ndarray]


def stored_vectors(
    index_dir: Path, embedder: Embedder, multilingual: Embedder | None
) -> dict[str, Vectors]:
    """Text -> vector, by language code ("" for the main language), from the index in
    ``index_dir``; empty where there is none, it cannot load, or another pipeline or model
    made it."""
    try:
        index = load_index(index_dir)
    except IndexProblem:
        return {}
    manifest = index.manifest
    if manifest.get("pipeline") != pipeline():
        return {}
    out: dict[str, Vectors] = {}
    if _same_model(manifest["model"], embedder):
        out[""] = _by_text(index)
    for local in index.locales:
        code = local.language.code if local.language else ""
        record = manifest.get("languages", {}).get(code, {}).get("model", {})
        if multilingual is not None and code and _same_model(record, multilingual):
            out[code] = _by_text(local)
    return out


def _same_model(record: dict, embedder: Embedder) -> bool:
    return (record.get("name"), record.get("weights_sha256")) == (
        embedder.name,
        embedder.weights_hash(),
    )


def _by_text(index: Index) -> Vectors:
    """Each embedded text of one language's view of the index, with its stored vector."""
    _, texts = vector_texts(index.passages, index.glossary)
    topics = _topics(index)
    oos = out_of_scope_texts(topics, index.glossary)
    found: Vectors = {}
    for dense, rows in ((index.dense, texts), (index.out_of_scope_dense, oos)):
        if dense is None or dense.ntotal != len(rows) or not rows:
            continue
        vectors = dense.reconstruct_batch(np.arange(len(rows), dtype=np.int64))
        found.update(zip(rows, np.asarray(vectors, dtype=np.float32), strict=True))
    return found


def _topics(index: Index) -> tuple[Topic, ...]:
    """The out-of-scope questions as the build embedded them: one topic per stored row
    (``out_of_scope_texts`` only reads each topic's questions, in order)."""
    return tuple(Topic(topic, (question,)) for topic, question in index.out_of_scope)
