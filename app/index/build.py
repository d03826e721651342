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
from app.corpus.parse import load_corpus
from app.corpus.records import Corpus
from app.corpus.translation import in_language
from app.errors import IndexProblem
from app.index import readings as analyses
from app.index.ann import build_dense
from app.index.cache import EmbeddingCache, cache_dir_for
from app.index.embed import Embedder, MultilingualEmbedder
from app.index.lexical import Lexical, lexical_tokens, passage_words
from app.index.onnx_encoder import ONNX_FILE, TOKENIZER_FILE
from app.index.onnx_export import EXPORTER_VERSION
from app.index.reuse import stored_vectors
from app.index.store import (
    ACTIONS,
    ANALYSES,
    CALIBRATION,
    CALIBRATION_SWEEP,
    CONDITIONS,
    DENSE,
    GLOSSARY,
    INDEX_FORMAT,
    LEXICAL,
    LEXICAL_TERMS,
    LOCALE,
    MANIFEST,
    OUT_OF_SCOPE,
    OUT_OF_SCOPE_DENSE,
    PASSAGES,
    SCOPE,
    SPELLER,
    VECTORS,
    file_sha256,
    load_index,
    local_topics,
    out_of_scope_texts,
    pipeline,
    vector_texts,
)
from app.index.vectors import VectorRef, VectorRefs
from app.index.vocabulary import speller_words
from app.reading.language import Language
from app.reading.text import compile_replacements


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
) -> BuildResult:
    """Parse, validate and embed the corpus; swap the new index in atomically.

    Raises ``CorpusError`` for a bad corpus (the old index stays as it was). An unchanged
    corpus with the same model is a no-op unless ``force``. ``check`` sees the new folder
    complete before the swap (the regression report re-asks questions there and may add a
    file to it); an exception from it leaves the old index in place. Only texts missing
    from the embedding cache (``cache_dir``, by default ``.kbqa-cache/embeddings`` beside
    the index folder) are embedded. The caller reports the result: ``log`` only tells the
    steps.
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    corpus = load_corpus(corpus_dir)
    log(f"parsed {len(corpus.passages)} passages, {len(corpus.sections)} sections: {corpus_dir}")

    if corpus.locales and multilingual is None:
        multilingual = MultilingualEmbedder()
    cache = EmbeddingCache(cache_dir_for(index_dir) if cache_dir is None else cache_dir, log)
    embedded = cached = 0
    with _build_lock(index_dir), _writing(index_dir):
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
        refs, texts = vector_texts(corpus.passages, corpus.glossary)
        oos_texts = out_of_scope_texts(corpus.out_of_scope, corpus.glossary)

        @functools.cache
        def stored() -> dict[str, dict[str, np.ndarray]]:
            return stored_vectors(index_dir, embedder, multilingual)

        encoded = cache.encode(
            embedder, texts + oos_texts, progress=progress, stored=lambda: stored().get("", {})
        )
        embedded, cached, vectors = encoded.embedded, encoded.cached, encoded.vectors
        _check_vectors(vectors, len(texts) + len(oos_texts), embedder.dim)
        vectors, oos_vectors = vectors[: len(texts)], vectors[len(texts) :]
        locales = []
        for locale in corpus.locales:
            assert multilingual is not None
            passages = tuple(in_language(p, locale.code) for p in corpus.passages)
            local_refs, local_texts = vector_texts(passages, locale.glossary)
            topics = local_topics(locale.out_of_scope, corpus.out_of_scope)
            local_oos = out_of_scope_texts(topics, locale.glossary)
            local_encoded = cache.encode(
                multilingual,
                local_texts + local_oos,
                progress=progress,
                label=locale.code,
                stored=lambda code=locale.code: stored().get(code, {}),
            )
            embedded += local_encoded.embedded
            cached += local_encoded.cached
            local = local_encoded.vectors
            _check_vectors(local, len(local_texts) + len(local_oos), multilingual.dim)
            locales.append(
                (locale, local_refs, local[: len(local_texts)], local[len(local_texts) :])
            )

        tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.tmp-", dir=index_dir.parent))
        try:
            tmp.chmod(0o755)  # mkdtemp makes it private; an index is meant to be read by all
            manifest = _write_index(tmp, corpus, refs, vectors, oos_vectors, embedder, now())
            # The export is cached with the embeddings: ``.kbqa-cache/onnx`` by default.
            exports = cache.root.parent if cache_dir is None else Path(cache_dir)
            manifest = _write_query_encoder(tmp, manifest, embedder, exports, index_dir)
            if locales:
                assert multilingual is not None
                manifest = _write_locales(tmp, manifest, locales, corpus, multilingual)
            for name in (CALIBRATION, CALIBRATION_SWEEP):
                if (index_dir / name).is_file():
                    shutil.copy2(index_dir / name, tmp / name)
            if check is not None:
                check(tmp)
            _swap_into_place(tmp, index_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - started
    return BuildResult(
        index_dir, True, len(corpus.passages), len(refs), seconds, manifest, embedded, cached
    )


def _write_derived(
    folder: Path, prefix: str, passages, glossary, language: Language | None, conditions, lexicon
) -> tuple[str, ...]:
    """Write what a retriever would otherwise compute at each start: the BM25 postings, the
    readings of the annotated questions and the speller's words. Returns the names."""
    replacements = compile_replacements((g.term, g.meaning) for g in glossary)
    documents = [lexical_tokens(passage_words(p), replacements, language) for p in passages]
    lexical = Lexical.build(documents)
    lexical.save(folder / f"{prefix}{LEXICAL}", folder / f"{prefix}{LEXICAL_TERMS}")
    grammar = language.grammar if language is not None else None
    readings = analyses.annotated(passages, conditions, lexicon, grammar)
    _write_json(folder / f"{prefix}{ANALYSES}", analyses.to_json(readings))
    words = speller_words(passages, glossary, conditions, lexicon, language)
    _write_json(folder / f"{prefix}{SPELLER}", dict(words))
    return tuple(f"{prefix}{name}" for name in (LEXICAL, LEXICAL_TERMS, ANALYSES, SPELLER))


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
        same = same and multilingual is not None
        same = same and record["model"]["weights_sha256"] == multilingual.weights_hash()
    return manifest if same else None


def _check_vectors(vectors: np.ndarray, rows: int, dim: int) -> None:
    if vectors.shape != (rows, dim):
        raise IndexProblem(f"the embedder returned {vectors.shape} vectors, not ({rows}, {dim})")
    if not np.isfinite(vectors).all():
        raise IndexProblem("the embedder returned vectors with NaN or infinite values")


def _write_index(
    folder: Path,
    corpus: Corpus,
    refs: list[VectorRef],
    vectors: np.ndarray,
    oos_vectors: np.ndarray,
    embedder: Embedder,
    built_at: datetime,
) -> dict[str, Any]:
    dense, description = build_dense(vectors)
    faiss.write_index(dense, str(folder / DENSE))
    oos_dense = faiss.IndexFlatIP(embedder.dim)
    oos_dense.add(oos_vectors)
    faiss.write_index(oos_dense, str(folder / OUT_OF_SCOPE_DENSE))
    _write_json(folder / OUT_OF_SCOPE, [t.to_dict() for t in corpus.out_of_scope])
    _write_json(folder / PASSAGES, [p.to_dict() for p in corpus.passages])
    VectorRefs.of(refs).save(folder / VECTORS)
    _write_json(folder / GLOSSARY, [g.to_dict() for g in corpus.glossary])
    _write_json(folder / SCOPE, corpus.scope.to_dict())
    _write_json(folder / CONDITIONS, corpus.conditions.to_dict())
    _write_json(folder / ACTIONS, corpus.lexicon.to_dict())
    derived = _write_derived(
        folder, "", corpus.passages, corpus.glossary, None, corpus.conditions, corpus.lexicon
    )
    manifest = {
        "format": INDEX_FORMAT,
        "kbqa_version": __version__,
        "built_at": built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "corpus": {"hash": corpus.content_hash, "files": list(corpus.files)},
        "pipeline": pipeline(),
        "model": {
            "name": embedder.name,
            "weights_sha256": embedder.weights_hash(),
            "dim": embedder.dim,
        },
        "faiss": description,
        "counts": {
            "passages": len(corpus.passages),
            "vectors": len(refs),
            "sections": len(corpus.sections),
            "glossary": len(corpus.glossary),
            "out_of_scope": len(oos_vectors),
        },
        "files": {
            name: {"bytes": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)}
            for name in (
                DENSE,
                PASSAGES,
                VECTORS,
                GLOSSARY,
                SCOPE,
                OUT_OF_SCOPE,
                OUT_OF_SCOPE_DENSE,
                CONDITIONS,
                ACTIONS,
                *derived,
            )
        },
    }
    # The manifest goes last: a folder with a manifest is a complete one.
    _write_json(folder / MANIFEST, manifest)
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    return manifest


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
    source, record = _previous_export(previous, model) or files(cache)
    for name in (ONNX_FILE, TOKENIZER_FILE):
        shutil.copyfile(source / name, folder / name)
        manifest["files"][name] = {
            "bytes": (folder / name).stat().st_size,
            "sha256": file_sha256(folder / name),
        }
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


def _write_locales(folder: Path, manifest: dict, locales, corpus: Corpus, model: Embedder) -> dict:
    """Each language's vectors and words beside the main index, listed in the manifest
    (which is written again, last)."""
    languages = {}
    for locale, refs, vectors, oos_vectors in locales:
        code = locale.code
        dense = faiss.IndexFlatIP(model.dim)
        dense.add(vectors)
        faiss.write_index(dense, str(folder / f"{code}-{DENSE}"))
        oos = faiss.IndexFlatIP(model.dim)
        oos.add(oos_vectors)
        faiss.write_index(oos, str(folder / f"{code}-{OUT_OF_SCOPE_DENSE}"))
        VectorRefs.of(refs).save(folder / f"{code}-{VECTORS}")
        language = locale.language
        passages = tuple(in_language(p, code) for p in corpus.passages)
        derived = _write_derived(
            folder,
            f"{code}-",
            passages,
            locale.glossary,
            language,
            locale.conditions,
            locale.lexicon,
        )
        _write_json(
            folder / f"{code}-{LOCALE}",
            {
                "language": {
                    "code": language.code,
                    "name": language.name,
                    "letters": language.letters,
                    "stemmer": language.stemmer,
                    "grammar": {k: list(v) for k, v in language.grammar.__dict__.items()},
                    "labels": [list(pair) for pair in language.labels],
                },
                "glossary": [g.to_dict() for g in locale.glossary],
                "scope": locale.scope.to_dict(),
                "out_of_scope": [
                    t.to_dict() for t in local_topics(locale.out_of_scope, corpus.out_of_scope)
                ],
                "conditions": locale.conditions.to_dict(),
                "actions": locale.lexicon.to_dict(),
            },
        )
        languages[code] = {
            "model": {"name": model.name, "weights_sha256": model.weights_hash(), "dim": model.dim},
            "vectors": len(refs),
            "out_of_scope": len(oos_vectors),
        }
        for name in (DENSE, OUT_OF_SCOPE_DENSE, VECTORS, LOCALE, *derived):
            path = folder / (name if name.startswith(f"{code}-") else f"{code}-{name}")
            manifest["files"][path.name] = {
                "bytes": path.stat().st_size,
                "sha256": file_sha256(path),
            }
    manifest["languages"] = languages
    _write_json(folder / MANIFEST, manifest)
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    return manifest


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
