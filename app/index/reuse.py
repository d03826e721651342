"""The vectors of the index being replaced, by the text each embeds.

A fresh clone has an empty embedding cache (``app.index.cache``) but a committed index that
holds a vector for every text of its corpus. The first edit there would otherwise embed all
of them again (about 40 s on two cores, for one changed question): the build reads them back
instead, for the model and weights that made them. Each row's text is known by the hash the
index records beside it (``texts.json``); an index built before it recorded them counts only
when built by this pipeline version (the same code made the same texts).
"""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np

from app.corpus.records import Topic
from app.errors import IndexProblem
from app.index.embed import Embedder
from app.index.layout import (
    DENSE,
    MANIFEST,
    OUT_OF_SCOPE_DENSE,
    TEXTS,
    out_of_scope_texts,
    pipeline,
    text_hashes,
    vector_texts,
)
from app.index.store import Index, load_index

Vectors = dict[str, np.ndarray]  # a text's hash -> its vector


def stored_vectors(
    index_dir: Path, embedder: Embedder, multilingual: Embedder | None
) -> dict[str, Vectors]:
    """Text hash -> vector, by language code ("" for the main language), from the index in
    ``index_dir``; empty where there is none, it cannot be read, or another model made it.

    Read from the few files that hold them (the manifest, each language's ``texts.json``
    and FAISS files), so that an index of an older format still gives its vectors back."""
    folder = Path(index_dir)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        models = {"": manifest["model"]} | {
            code: record["model"] for code, record in manifest.get("languages", {}).items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    out: dict[str, Vectors] = {}
    for code, record in models.items():
        model = embedder if code == "" else multilingual
        if model is None or not _same_model(record, model):
            continue
        prefix = f"{code}-" if code else ""
        hashes = _hashes(folder, prefix, manifest)
        if hashes is not None:
            out[code] = _vectors(folder, prefix, *hashes)
    return out


def _hashes(folder: Path, prefix: str, manifest: dict) -> tuple[list[str], list[str]] | None:
    """The hashes of the texts behind each row (dense, out of scope), from ``texts.json``;
    for an index built before it was written, the texts this pipeline makes of its passages
    when the same pipeline built it; else None."""
    try:
        record = json.loads((folder / f"{prefix}{TEXTS}").read_text(encoding="utf-8"))
        return list(record["dense"]), list(record["out-of-scope"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if manifest.get("pipeline") != pipeline():
        return None
    try:
        index = load_index(folder)
    except IndexProblem:
        return None
    view = index.locale(prefix.rstrip("-")) if prefix else index
    if view is None:
        return None
    texts = text_hashes(vector_texts(view.passages, view.glossary)[1])
    return texts, text_hashes(out_of_scope_texts(_topics(view), view.glossary))


def _vectors(folder: Path, prefix: str, texts: list[str], oos: list[str]) -> Vectors:
    found: Vectors = {}
    for name, rows in ((DENSE, texts), (OUT_OF_SCOPE_DENSE, oos)):
        try:
            dense = faiss.read_index(str(folder / f"{prefix}{name}"))
        except RuntimeError:
            continue
        if dense.ntotal != len(rows) or not rows:
            continue
        if isinstance(dense, faiss.IndexIVF):
            dense.make_direct_map()
        vectors = dense.reconstruct_batch(np.arange(len(rows), dtype=np.int64))
        found.update(zip(rows, np.asarray(vectors, dtype=np.float32), strict=True))
    return found


def _same_model(record: dict, embedder: Embedder) -> bool:
    return (record.get("name"), record.get("weights_sha256")) == (
        embedder.name,
        embedder.weights_hash(),
    )


def _topics(index: Index) -> tuple[Topic, ...]:
    """The out-of-scope questions as the build embedded them: one topic per stored row
    (``out_of_scope_texts`` only reads each topic's questions, in order)."""
    return tuple(Topic(topic, (question,)) for topic, question in index.out_of_scope)
