"""Embeddings cached by what was embedded, so a one-passage edit re-embeds one passage.

The cache lives beside the index folder, never inside it (the index is swapped whole)::

    .kbqa-cache/embeddings/<model>/<chunk>.npy    float32 rows, unit length
    .kbqa-cache/embeddings/<model>/<chunk>.json   what each row embeds, and the .npy's sha256

``<model>`` is a hash of the model's name and weights hash; each row's key is the sha256 of
the model's name, its weights hash and the exact (canonicalised) text. A build writes one
new chunk with the texts it had to embed; past ``MAX_CHUNKS`` chunks it merges them into
one. Files are written to a temporary name and renamed, the ``.json`` after its ``.npy``,
and never with pickle. Reading trusts nothing: a chunk that fails any check (unreadable
JSON, a missing or altered ``.npy``, another model, the wrong shape, NaN) is ignored and
removed, and its texts are embedded again. A cache that cannot be written costs speed, not
the build.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import IndexProblem
from app.index.embed import Embedder
from app.index.layout import text_hashes

CACHE_DIR = ".kbqa-cache"
EMBEDDINGS = "embeddings"
CACHE_FORMAT = 1
MAX_CHUNKS = 8
# What a merge keeps besides this build's rows: older rows (other branches, undone edits)
# up to this many times as many as the build uses, newest first.
KEEP_FACTOR = 3
STALE_TEMP_SECONDS = 3600


def cache_dir_for(index_dir: Path) -> Path:
    """The embedding cache of an index folder: beside it, in ``.kbqa-cache/embeddings``."""
    return Path(index_dir).parent / CACHE_DIR / EMBEDDINGS


@dataclass(frozen=True)
class Encoded:
    vectors: np.ndarray  # one row per text asked for, in order
    embedded: int  # distinct texts the model embedded
    cached: int  # texts answered from the cache (or the index being replaced)


class EmbeddingCache:
    """Vectors by (model, text), stored under ``root``."""

    def __init__(self, root: Path, log: Callable[[str], None] = lambda message: None):
        self.root = Path(root)
        self.log = log

    def encode(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        *,
        progress: bool = False,
        label: str = "",
        stored: Callable[[], Mapping[str, np.ndarray]] | None = None,
    ) -> Encoded:
        """Vectors for ``texts``: from the cache where it has them, else from ``stored``
        (called only when the cache lacks a text: the vectors of the index being replaced,
        by the text's hash, ``app.index.store.text_hashes``; a fresh clone's cache is
        empty, but its committed index holds them), and from ``embedder`` (one call, each
        missing text once) for the rest; what was not in the cache is then stored in it.
        ``label`` names the texts in the log line (a language code)."""
        weights = embedder.weights_hash()
        folder = self.root / _model_key(embedder.name, weights)
        keys = [text_key(embedder.name, weights, t) for t in texts]
        known, chunks = self._read(folder, embedder.name, weights, embedder.dim)
        absent = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
        previous = stored() if absent and stored is not None else {}
        hashes = dict(zip(absent, text_hashes(absent), strict=True)) if previous else {}
        reused = [t for t in absent if hashes.get(t) in previous]
        missing = [t for t in absent if hashes.get(t) not in previous]
        fresh: dict[str, np.ndarray] = {}
        if absent:
            what = " ".join(filter(None, (label, "text" if len(missing) == 1 else "texts")))
            self.log(
                f"embedding {len(missing)} new {what} with {embedder.name} "
                f"({len(texts) - len(absent)} cached, {len(reused)} from the index)"
            )
            vectors = embedder.encode(missing, progress=progress) if missing else None
            if vectors is not None:
                _check(vectors, len(missing), embedder.dim)
            taken = np.stack([previous[hashes[t]] for t in reused]) if reused else None
            rows = [r for r in (taken, vectors) if r is not None]
            vectors = np.concatenate(rows).astype(np.float32, copy=False)
            fresh_keys = [text_key(embedder.name, weights, t) for t in (*reused, *missing)]
            fresh = dict(zip(fresh_keys, vectors, strict=True))
            try:
                self._store(folder, embedder, weights, fresh_keys, vectors, keys, known, chunks)
            except OSError as err:
                self.log(f"could not write the embedding cache in {folder}: {err}")
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = fresh[key] if key in fresh else known[key]
        embedded = set(missing)
        return Encoded(out, len(missing), sum(1 for t in texts if t not in embedded))

    # --- reading ---------------------------------------------------------------------------

    def _read(
        self, folder: Path, name: str, weights: str, dim: int
    ) -> tuple[dict[str, np.ndarray], list[Path]]:
        """Every row of every sound chunk (newer chunks win), and those chunks, oldest
        first."""
        known: dict[str, np.ndarray] = {}
        chunks: list[Path] = []
        try:
            listing = sorted(folder.glob("*.json"))
        except OSError:
            return known, chunks
        for record_path in listing:
            rows = _read_chunk(record_path, name, weights, dim)
            if rows is None:
                if record_path.exists():  # not merely removed by a concurrent merge
                    self.log(f"ignoring a damaged embedding cache file: {record_path}")
                    _remove(record_path)
                continue
            known.update(rows)
            chunks.append(record_path)
        return known, chunks

    # --- writing ---------------------------------------------------------------------------

    def _store(
        self,
        folder: Path,
        embedder: Embedder,
        weights: str,
        fresh_keys: list[str],
        fresh: np.ndarray,
        used: list[str],
        known: dict[str, np.ndarray],
        chunks: list[Path],
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        _sweep_temps(folder)
        if len(chunks) + 1 <= MAX_CHUNKS:
            _write_chunk(folder, embedder.name, weights, embedder.dim, fresh_keys, fresh)
            return
        # Merge: this build's rows first, then older ones, newest first, up to a limit.
        rows = dict(zip(fresh_keys, fresh, strict=True))
        for key in used:
            if key not in rows:
                rows[key] = known[key]
        limit = KEEP_FACTOR * len(rows)
        for key in reversed(list(known)):
            if len(rows) >= limit:
                break
            rows.setdefault(key, known[key])
        merged = list(rows)
        vectors = np.stack([rows[k] for k in merged]).astype(np.float32, copy=False)
        _write_chunk(folder, embedder.name, weights, embedder.dim, merged, vectors)
        for record_path in chunks:
            _remove(record_path)


def text_key(name: str, weights: str, text: str) -> str:
    """The cache key of one text embedded by one model."""
    return hashlib.sha256(f"{name}\0{weights}\0{text}".encode()).hexdigest()


def _model_key(name: str, weights: str) -> str:
    return hashlib.sha256(f"{name}\0{weights}".encode()).hexdigest()[:24]


def _check(vectors: np.ndarray, rows: int, dim: int) -> None:
    if not isinstance(vectors, np.ndarray) or vectors.shape != (rows, dim):
        shape = getattr(vectors, "shape", type(vectors).__name__)
        raise IndexProblem(f"the embedder returned {shape} vectors, not ({rows}, {dim})")
    if not np.isfinite(vectors).all():
        raise IndexProblem("the embedder returned vectors with NaN or infinite values")


def _read_chunk(
    record_path: Path, name: str, weights: str, dim: int
) -> dict[str, np.ndarray] | None:
    """The rows of one chunk, or None if anything about it is off."""
    try:
        record: Any = json.loads(record_path.read_text(encoding="utf-8"))
        if not (
            isinstance(record, dict)
            and record.get("format") == CACHE_FORMAT
            and record.get("model") == name
            and record.get("weights_sha256") == weights
            and record.get("dim") == dim
            and isinstance(record.get("keys"), list)
            and all(isinstance(k, str) for k in record["keys"])
            and isinstance(record.get("npy_sha256"), str)
        ):
            return None
        data = record_path.with_suffix(".npy").read_bytes()
        if hashlib.sha256(data).hexdigest() != record["npy_sha256"]:
            return None
        vectors = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, UnicodeDecodeError, EOFError):
        return None
    keys = record["keys"]
    if (
        vectors.dtype != np.float32
        or vectors.shape != (len(keys), dim)
        or not np.isfinite(vectors).all()
    ):
        return None
    return dict(zip(keys, vectors, strict=True))


def _write_chunk(
    folder: Path, name: str, weights: str, dim: int, keys: list[str], vectors: np.ndarray
) -> None:
    """A ``.npy`` and its ``.json``, each written aside and renamed into place."""
    stem = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    data = buffer.getvalue()
    _write_atomic(folder / f"{stem}.npy", data)
    record = {
        "format": CACHE_FORMAT,
        "model": name,
        "weights_sha256": weights,
        "dim": dim,
        "npy_sha256": hashlib.sha256(data).hexdigest(),
        "keys": keys,
    }
    _write_atomic(folder / f"{stem}.json", (json.dumps(record) + "\n").encode())


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; like the index, readable by all
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _remove(record_path: Path) -> None:
    for path in (record_path, record_path.with_suffix(".npy")):
        with contextlib.suppress(OSError):
            path.unlink()


def _sweep_temps(folder: Path) -> None:
    """Leftovers of killed writers, and ``.npy`` files whose ``.json`` never came; only old
    ones, as another build may be writing its own right now."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in folder.iterdir():
        orphan = path.suffix == ".npy" and not path.with_suffix(".json").exists()
        if path.name.startswith(".tmp-") or orphan:
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
