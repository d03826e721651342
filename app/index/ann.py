"""Which FAISS index holds the vectors: exact while that is cheap, approximate beyond.

Up to ``ANN_THRESHOLD`` vectors an exact ``IndexFlatIP`` answers in milliseconds. Above it
kbqa builds an ``IndexIVFFlat`` (inverted lists over k-means cells; nlist = 4 * sqrt(n)) and
picks the smallest ``nprobe`` whose recall@10 against exact search, measured at build time on
a seeded sample of the vectors themselves, reaches ``RECALL_TARGET``. The choice and the
measured recall go into the manifest, and loading restores ``nprobe`` from it.
"""

from __future__ import annotations

import math
from typing import Any

import faiss
import numpy as np

ANN_THRESHOLD = 50_000
RECALL_TARGET = 0.98
NPROBES = (4, 8, 16, 32, 64, 128, 256)
SAMPLE_QUERIES = 256
SEED = 20261126


def build_dense(vectors: np.ndarray, *, ann_threshold: int = ANN_THRESHOLD):
    """The index for these unit vectors, and its description for the manifest."""
    n, dim = vectors.shape
    if n <= ann_threshold:
        exact = faiss.IndexFlatIP(dim)
        exact.add(vectors)
        return exact, {"type": "IndexFlatIP", "metric": "inner_product", "normalized": True}

    rng = np.random.default_rng(SEED)
    nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))  # FAISS wants ~39 points per cell
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    training = vectors[rng.choice(n, size=min(n, 64 * nlist), replace=False)]
    index.train(training)
    index.add(vectors)
    nprobe, recall = _tune_nprobe(index, vectors, rng)
    index.nprobe = nprobe
    return index, {
        "type": "IndexIVFFlat",
        "metric": "inner_product",
        "normalized": True,
        "nlist": nlist,
        "nprobe": nprobe,
        "recall_at_10": round(recall, 4),
        "recall_target": RECALL_TARGET,
    }


def ready(index: faiss.Index, description: dict[str, Any]) -> faiss.Index:
    """Restore search parameters after loading, and allow ``reconstruct`` on IVF."""
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = int(description.get("nprobe", 16))
        index.make_direct_map()
    return index


def recall_at_k(approximate: faiss.Index, vectors: np.ndarray, queries: np.ndarray, k: int = 10):
    """Share of the exact top-k that the approximate index also returns."""
    return _recall(approximate, _exact_neighbours(vectors, queries, k), queries)


def _exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    return exact.search(queries, k)[1]


def _recall(index: faiss.Index, truth: np.ndarray, queries: np.ndarray) -> float:
    k = truth.shape[1]
    found = index.search(queries, k)[1]
    return sum(len(set(t) & set(f)) for t, f in zip(truth, found, strict=True)) / truth.size


def _tune_nprobe(index: faiss.IndexIVF, vectors: np.ndarray, rng: np.random.Generator):
    """Smallest nprobe reaching the recall target on queries like real ones: between two
    indexed vectors, plus noise (a question is never exactly a passage)."""
    n, dim = vectors.shape
    size = min(SAMPLE_QUERIES, n)
    a = rng.random((size, 1)).astype(np.float32)
    queries = a * vectors[rng.integers(0, n, size)] + (1 - a) * vectors[rng.integers(0, n, size)]
    queries += rng.normal(0, 0.5 / math.sqrt(dim), queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    truth = _exact_neighbours(vectors, queries, 10)
    recall = 0.0
    for nprobe in NPROBES:
        index.nprobe = nprobe
        recall = _recall(index, truth, queries)
        if recall >= RECALL_TARGET:
            return nprobe, recall
    return NPROBES[-1], recall
