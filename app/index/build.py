"""``kbqa build``: parse, validate and embed the corpus, write every artifact of an index
folder with its hash in the manifest, and swap the folder in atomically.

A build writes a sibling temporary folder and swaps it in with one ``renameat2`` exchange,
so a reader sees the old index or the new one, never a mix; a crash or Ctrl-C mid-build
leaves the old one untouched. An unchanged corpus with the same models is a no-op.
Embeddings are cached beside the index (``app.index.cache``): a rebuild embeds only new texts.
What the folder holds, and how it is read and verified: ``app.index.store``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app import __version__
from app.corpus.load import load_corpus
from app.corpus.records import Corpus
from app.errors import IndexProblem
from app.index.ann import build_dense
from app.index.cache import EmbeddingCache, cache_dir_for
from app.index.embed import Embedder, MultilingualEmbedder
from app.index.layout import (
    CALIBRATION,
    CALIBRATION_SWEEP,
    DENSE,
    INDEX_FORMAT,
    MANIFEST,
    OUT_OF_SCOPE_DENSE,
    pipeline,
)
from app.index.onnx_encoder import ONNX_FILE, TOKENIZER_FILE
from app.index.onnx_export import EXPORTER_VERSION
from app.index.reuse import stored_vectors
from app.index.store import file_sha256, load_index
from app.index.tables import View, views, write_tables
from app.index.tuned import TunedEmbedder, plan_tuning, store_tuning


@dataclass(frozen=True)
class BuildResult:
    index_dir: Path
    built: bool  # False when the index was already up to date
    passages: int
    vectors: int
    seconds: float
    manifest: dict[str, Any]
    embedded: int = 0  # texts the models embedded (the rest came from the cache)
    cached: int = 0


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
    progress: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    multilingual: Embedder | None = None,
    check: Callable[[Path], None] | None = None,
    cache_dir: Path | None = None,
    tune: bool = True,
    retune: bool = False,
) -> BuildResult:
    """Parse, validate and embed the corpus; swap the new index in atomically.

    Raises ``CorpusError`` for a bad corpus (the old index stays as it was). An unchanged
    corpus with the same model is a no-op unless ``force``. ``check`` sees the new folder
    complete before the swap (the regression report re-asks questions there and may add a
    file to it); an exception from it leaves the old index in place. Only texts missing
    from the embedding cache (``cache_dir``, by default ``.kbqa-cache/embeddings`` beside
    the index folder) are embedded. With ``tune``, the English encoder is the base model
    tuned on the annotations (``app.index.tuned``: kept from the index being replaced
    unless ``retune`` or enough changed). The caller reports the result: ``log`` only
    tells the steps.
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    corpus = load_corpus(corpus_dir)
    log(f"parsed {len(corpus.passages)} passages, {len(corpus.sections)} sections: {corpus_dir}")

    if corpus.locales and multilingual is None:
        multilingual = MultilingualEmbedder()
    cache = EmbeddingCache(cache_dir_for(index_dir) if cache_dir is None else cache_dir, log)
    with _build_lock(index_dir), _writing(index_dir):
        exports = cache.root.parent if cache_dir is None else Path(cache_dir)
        plan = None
        if tune:
            plan = plan_tuning(corpus, embedder, index_dir, exports, retune=retune, log=log)
        if plan is not None:
            embedder = plan.embedder
        if not force:
            current = _up_to_date(index_dir, corpus, embedder, multilingual)
            if current is not None:
                return BuildResult(
                    index_dir,
                    built=False,
                    passages=current["counts"]["passages"],
                    vectors=current["counts"]["vectors"],
                    seconds=time.perf_counter() - started,
                    manifest=current,
                )

        @functools.cache
        def stored() -> dict[str, dict[str, np.ndarray]]:
            return stored_vectors(index_dir, embedder, multilingual)

        embedded = cached = 0
        encoded: list[tuple[View, Embedder, np.ndarray]] = []
        for view in views(corpus):
            model = embedder if view.main else multilingual
            assert model is not None
            code = view.prefix.rstrip("-")
            texts = [*view.texts, *view.out_of_scope]

            def stored_here(code: str = code) -> dict[str, np.ndarray]:
                return stored().get(code, {})

            result = cache.encode(model, texts, progress=progress, label=code, stored=stored_here)
            _check_vectors(result.vectors, len(texts), model.dim)
            embedded, cached = embedded + result.embedded, cached + result.cached
            encoded.append((view, model, result.vectors))

        tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.tmp-", dir=index_dir.parent))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; an index is meant to be read by all
            names = write_tables(tmp, corpus)
            manifest = _manifest(tmp, corpus, encoded, names, now())
            # The export is cached with the embeddings: ``.kbqa-cache/onnx`` by default.
            manifest = _write_query_encoder(tmp, manifest, embedder, exports, index_dir)
            if plan is not None:
                manifest = store_tuning(tmp, manifest, plan)
                _write_json(tmp / MANIFEST, manifest)
                log(plan.note)
            for path in tmp.iterdir():
                with path.open("rb") as handle:
                    os.fsync(handle.fileno())
            for name in (CALIBRATION, CALIBRATION_SWEEP):
                if (index_dir / name).is_file():
                    shutil.copy2(index_dir / name, tmp / name)
            if check is not None:
                check(tmp)
            _swap_into_place(tmp, index_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - started
    vectors = manifest["counts"]["vectors"]
    return BuildResult(
        index_dir, True, len(corpus.passages), vectors, seconds, manifest, embedded, cached
    )


def _manifest(
    folder: Path,
    corpus: Corpus,
    encoded: list[tuple[View, Embedder, np.ndarray]],
    names: tuple[str, ...],
    built_at: datetime,
) -> dict[str, Any]:
    """Write each language's FAISS files, then the manifest, last: a folder with a manifest
    is a complete one. The main language's vectors may be an approximate index
    (``app.index.ann``); a second language's, and every out-of-scope table, are exact."""
    files = list(names)
    languages: dict[str, Any] = {}
    description: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for view, model, vectors in encoded:
        rows = len(view.texts)
        if view.main:
            dense, description = build_dense(vectors[:rows])
        else:
            dense = faiss.IndexFlatIP(model.dim)
            dense.add(vectors[:rows])
        oos = faiss.IndexFlatIP(model.dim)
        oos.add(vectors[rows:])
        for name, table in ((DENSE, dense), (OUT_OF_SCOPE_DENSE, oos)):
            faiss.write_index(table, str(folder / f"{view.prefix}{name}"))
            files.append(f"{view.prefix}{name}")
        record = {"name": model.name, "weights_sha256": model.weights_hash(), "dim": model.dim}
        if view.main:
            main_model = record
            counts = {"vectors": rows, "out_of_scope": len(vectors) - rows}
        else:
            languages[view.prefix.rstrip("-")] = {
                "model": record,
                "vectors": rows,
                "out_of_scope": len(vectors) - rows,
            }
    manifest: dict[str, Any] = {
        "format": INDEX_FORMAT,
        "kbqa_version": __version__,
        "built_at": built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "corpus": {"hash": corpus.content_hash, "files": list(corpus.files)},
        "pipeline": pipeline(),
        "model": main_model,
        "faiss": description,
        "counts": {
            "passages": len(corpus.passages),
            "vectors": counts["vectors"],
            "sections": len(corpus.sections),
            "glossary": len(corpus.glossary),
            "out_of_scope": counts["out_of_scope"],
        },
        "files": {name: _file_record(folder / name) for name in sorted(files)},
    }
    if languages:
        manifest["languages"] = languages
    _write_json(folder / MANIFEST, manifest)
    return manifest


def _file_record(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def _up_to_date(
    index_dir: Path, corpus: Corpus, embedder: Embedder, multilingual: Embedder | None
) -> dict[str, Any] | None:
    """The current manifest if the index there is intact and built from this corpus and
    these models."""
    try:
        index = load_index(index_dir)
    except IndexProblem:
        return None
    manifest = index.manifest
    same = (
        manifest["corpus"]["hash"] == corpus.content_hash
        and manifest.get("pipeline") == pipeline()
        and manifest["model"]["name"] == embedder.name
        and manifest["model"]["weights_sha256"] == embedder.weights_hash()
    )
    if getattr(embedder, "query_encoder_files", None) is not None:
        exported = manifest.get("query_encoder") or {}
        same = same and exported.get("exporter") == EXPORTER_VERSION
    for record in manifest.get("languages", {}).values():
        same = (
            same
            and multilingual is not None
            and record["model"]["weights_sha256"] == multilingual.weights_hash()
        )
    return manifest if same else None


def _check_vectors(vectors: np.ndarray, rows: int, dim: int) -> None:
    if vectors.shape != (rows, dim):
        raise IndexProblem(f"the embedder returned {vectors.shape} vectors, not ({rows}, {dim})")
    if not np.isfinite(vectors).all():
        raise IndexProblem("the embedder returned vectors with NaN or infinite values")


def _write_query_encoder(
    folder: Path, manifest: dict, model: Embedder, cache: Path, previous: Path
) -> dict:
    """The model's ONNX export and tokenizer, for questions without torch, when the model
    offers one (the fake test embedder does not: its index answers with it): the export of
    the index being replaced (``previous``) when it is of these weights by this exporter,
    else the cached one, else a new one (torch loads for that)."""
    files = getattr(model, "query_encoder_files", None)
    if files is None:
        return manifest
    # A tuned model answers with its base model's export, the tuning put on top.
    exported = model.base if isinstance(model, TunedEmbedder) else model
    source, record = _previous_export(previous, exported) or files(cache)
    # The export's own record: a tuning is recorded on it afresh (``store_tuning``).
    record = {k: v for k, v in record.items() if k not in ("tuning", "weights_sha256")}
    for name in (ONNX_FILE, TOKENIZER_FILE):
        shutil.copyfile(source / name, folder / name)
        manifest["files"][name] = _file_record(folder / name)
    manifest["query_encoder"] = record
    _write_json(folder / MANIFEST, manifest)
    return manifest


def _previous_export(index_dir: Path, model: Embedder) -> tuple[Path, dict] | None:
    """The folder and record of the ONNX export in ``index_dir``, if it is one of this
    model's weights by this exporter and its files are intact."""
    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        record, files = manifest["query_encoder"], manifest["files"]
        same = record["exported_from"] == model.weights_hash()
        same = same and record["exporter"] == EXPORTER_VERSION
        intact = all(
            file_sha256(index_dir / name) == files[name]["sha256"]
            for name in (ONNX_FILE, TOKENIZER_FILE)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (index_dir, dict(record)) if same and intact else None


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _writing(index_dir: Path) -> Iterator[None]:
    """Turn a failure to write (read-only folder, full disk) into a message."""
    try:
        yield
    except OSError as err:
        raise IndexProblem(
            f"cannot write the index at {index_dir}: {err.strerror or err}; the old one, if any, "
            "is untouched"
        ) from None


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder; also sweeps leftovers of killed builds."""
    lock_path = index_dir.parent / f".{index_dir.name}.lock"
    try:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        lock = lock_path.open("w")
    except OSError as err:
        raise IndexProblem(f"cannot write the index at {index_dir}: {err.strerror}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for leftover in index_dir.parent.glob(f".{index_dir.name}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        yield


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap_into_place(new: Path, target: Path) -> None:
    """Make ``new`` the folder at ``target``; afterwards ``new`` holds the old one (if any)."""
    if not target.exists():
        os.rename(new, target)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        done = renameat2(
            _AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE
        )
        if done == 0:
            return
        if ctypes.get_errno() not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(target))
    # No atomic exchange here (old kernel or other filesystem): two renames, a brief gap.
    aside = new.with_name(new.name + "-old")
    os.rename(target, aside)
    os.rename(new, target)
    os.rename(aside, new)
