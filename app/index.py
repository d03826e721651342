"""The built index: FAISS vectors, passage records and a manifest, built atomically.

An index folder holds::

    manifest.json   what was built from what (corpus hash, text pipeline, model and weights
                    hash, counts)
    passages.json   the passages, one JSON record each
    vectors.json    for each FAISS row: which passage it embeds and what (text, rule, question)
    glossary.json   the corpus glossary, for matching and for notes beside quotes
    scope.json      what the guide covers and example questions
    conditions.json the variables conditional passages use, and the words to read them
    actions.json    the buyer actions the guide rules on (which are risky) and their words
    out-of-scope.*  questions the guide does not answer, and their embeddings
    calibration.json  fusion weight, refusal threshold and bands (kbqa eval --calibrate)
    dense.faiss     normalised embeddings: exact inner product, or IVF for large corpora
    query-encoder.onnx, query-tokenizer.json
                    the model as ONNX and its tokenizer: questions are encoded without torch
    lexical.npz     the BM25 inverted index (``app.lexical``), its terms in lexical-terms.json
    analyses.json   how each annotated question asks (``app.analyses``), read at build
    speller.json    the words typos are corrected towards (``app.vocabulary``)

A build writes a sibling temporary folder and swaps it in with one ``renameat2`` exchange,
so a reader sees the old index or the new one, never a mix; a crash or Ctrl-C mid-build
leaves the old one untouched. Loading checks every file against the manifest and refuses a
missing, corrupt or stale index with the command that fixes it (stale: another corpus, or
another version of the code that turns its text into embedded texts).

Embeddings are cached beside the index (``app.cache``): a rebuild embeds only new texts.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import fcntl
import functools
import hashlib
import inspect
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from app import __version__, analyses
from app.ann import build_dense, ready
from app.cache import EmbeddingCache, cache_dir_for
from app.conditions import Conditions
from app.corpus import (
    Corpus,
    GlossaryEntry,
    Passage,
    Scope,
    Topic,
    content_hash,
    load_corpus,
)
from app.embed import Embedder, MultilingualEmbedder
from app.errors import IndexProblem
from app.language import Grammar, Language
from app.lexical import Lexical, lexical_tokens, passage_words
from app.lexicon import Lexicon
from app.onnx_encoder import ONNX_FILE, TOKENIZER_FILE
from app.question import Analysis
from app.text import canonicalize, compile_replacements, split_sentences
from app.translation import in_language
from app.vocabulary import speller_words

INDEX_FORMAT = 1
MANIFEST = "manifest.json"
PASSAGES = "passages.json"
VECTORS = "vectors.json"
GLOSSARY = "glossary.json"
SCOPE = "scope.json"
CONDITIONS = "conditions.json"
ACTIONS = "actions.json"
OUT_OF_SCOPE = "out-of-scope.json"
OUT_OF_SCOPE_DENSE = "out-of-scope.faiss"
# Written by `kbqa eval --calibrate`, not by the build; a rebuild carries it over.
CALIBRATION = "calibration.json"
DENSE = "dense.faiss"
LOCALE = "locale.json"  # a language's words: "ru-locale.json"
LEXICAL = "lexical.npz"
LEXICAL_TERMS = "lexical-terms.json"
ANALYSES = "analyses.json"
SPELLER = "speller.json"
# Above this many bytes a file is checked by size only: hashing gigabytes at every start costs.
HASH_LIMIT = 64 << 20
BUILD_HINT = "kbqa build"
# What loading relies on in a manifest; anything missing means it is not one of ours.
REQUIRED = (
    ("files",),
    ("counts", "passages"),
    ("counts", "vectors"),
    ("corpus", "hash"),
    ("model", "name"),
    ("model", "weights_sha256"),
    ("model", "dim"),
)
# The code that turns corpus text into embedded texts and stored ordinals (sentence
# splitting, canonicalisation, parsing, a language's view of a passage): the manifest
# records a hash of its source, and an index built by other code is stale, since its
# vectors and ordinals may point at other sentences. Raise the version for a change the
# sources do not show (a dependency that splits or normalises differently).
TEXT_PIPELINE_VERSION = 1
# The stored BM25 postings and annotated questions' readings follow their code too.
TEXT_PIPELINE_MODULES = (
    "text.py",
    "corpus.py",
    "mdfile.py",
    "translation.py",
    "locales.py",
    "lexical.py",
    "vocabulary.py",
    *analyses.MODULES,
)


@dataclass(frozen=True)
class VectorRef:
    """What one FAISS row embeds: a passage's text, rule, or n-th sentence or question."""

    passage: int
    kind: str
    ordinal: int = 0


@dataclass(frozen=True, eq=False)
class Index:
    path: Path
    manifest: dict[str, Any]
    passages: tuple[Passage, ...]
    vectors: tuple[VectorRef, ...]
    glossary: tuple[GlossaryEntry, ...]
    scope: Scope
    dense: faiss.Index
    out_of_scope: tuple[tuple[str, str], ...] = ()  # (topic id, question), one per row of:
    out_of_scope_dense: faiss.Index | None = None
    out_of_scope_names: tuple[tuple[str, str], ...] = ()  # (topic id, name)
    conditions: Conditions = field(default_factory=Conditions)
    lexicon: Lexicon = field(default_factory=Lexicon)
    # A second language's view (passages with its annotations, its own vectors, words and
    # wording): ``language`` is set on it; the main index lists them in ``locales``.
    language: Language | None = None
    locales: tuple[Index, ...] = ()
    # Made at build (None in an index made otherwise: the retriever makes them then).
    lexical: Lexical | None = None
    analyses: dict[str, tuple[Analysis, ...]] | None = None
    vocabulary: dict[str, int] | None = None  # the speller's words and their counts

    def locale(self, code: str) -> Index | None:
        return next((i for i in self.locales if i.language and i.language.code == code), None)

    @property
    def version(self) -> str:
        """Changes whenever the folder is rebuilt: the manifest's own hash."""
        return hashlib.sha256(json.dumps(self.manifest, sort_keys=True).encode()).hexdigest()


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


@functools.cache
def text_pipeline() -> dict[str, Any]:
    """The text pipeline's version and the sha256 of its source, as the manifest records."""
    digest = hashlib.sha256()
    for name in TEXT_PIPELINE_MODULES:
        digest.update(f"{name}\0".encode())
        digest.update(Path(__file__).with_name(name).read_bytes())
    for function in (vector_texts, out_of_scope_texts, _local_topics):
        digest.update(f"{function.__name__}\0{inspect.getsource(function)}".encode())
    return {"version": TEXT_PIPELINE_VERSION, "sha256": digest.hexdigest()}


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
        encoded = cache.encode(embedder, texts + oos_texts, progress=progress)
        embedded, cached, vectors = encoded.embedded, encoded.cached, encoded.vectors
        _check_vectors(vectors, len(texts) + len(oos_texts), embedder.dim)
        vectors, oos_vectors = vectors[: len(texts)], vectors[len(texts) :]
        locales = []
        for locale in corpus.locales:
            assert multilingual is not None
            passages = tuple(in_language(p, locale.code) for p in corpus.passages)
            local_refs, local_texts = vector_texts(passages, locale.glossary)
            topics = _local_topics(locale.out_of_scope, corpus.out_of_scope)
            local_oos = out_of_scope_texts(topics, locale.glossary)
            local_encoded = cache.encode(
                multilingual, local_texts + local_oos, progress=progress, label=locale.code
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
            manifest = _write_query_encoder(tmp, manifest, embedder, exports)
            if locales:
                assert multilingual is not None
                manifest = _write_locales(tmp, manifest, locales, corpus, multilingual)
            if (index_dir / CALIBRATION).is_file():
                shutil.copy2(index_dir / CALIBRATION, tmp / CALIBRATION)
            if check is not None:
                check(tmp)
            _swap_into_place(tmp, index_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - started
    return BuildResult(
        index_dir, True, len(corpus.passages), len(refs), seconds, manifest, embedded, cached
    )


def load_index(
    index_dir: Path,
    *,
    corpus_dir: Path | None = None,
    embedder: Embedder | None = None,
) -> Index:
    """Load and verify an index folder.

    With ``corpus_dir`` (when it exists) the index must have been built from that corpus;
    with ``embedder`` it must have been built with the same model weights.
    """
    index_dir = Path(index_dir)
    # A rebuild may swap the folder while we read it: the manifest check catches that, and
    # a second read sees the new folder whole.
    for attempt in range(3):
        try:
            index = _read_index(index_dir)
            break
        except _Raced:
            if attempt == 2:
                raise IndexProblem(f"{index_dir} kept changing while loading; try again") from None
            time.sleep(0.05)
    fresh = corpus_dir is None or not Path(corpus_dir).is_dir()
    if not fresh and content_hash(Path(corpus_dir)) != index.manifest["corpus"]["hash"]:
        raise IndexProblem(
            f"the index in {index_dir} is stale: {corpus_dir} changed since it was built; "
            f"run `{BUILD_HINT}`"
        )
    if not fresh and index.manifest.get("text_pipeline") != text_pipeline():
        raise IndexProblem(
            f"the index in {index_dir} is stale: it was built by another version of kbqa's "
            f"text pipeline (sentence splitting, parsing); run `{BUILD_HINT}`"
        )
    if embedder is not None:
        check_model(index, embedder)
    return index


def check_model(index: Index, embedder: Embedder) -> None:
    """``IndexProblem`` unless ``embedder`` is the model, with the weights, that made the
    index's vectors: questions must be encoded as the passages were."""
    built = index.manifest["model"]
    if built["name"] != embedder.name or built["weights_sha256"] != embedder.weights_hash():
        raise IndexProblem(
            f"the index in {index.path} was built with {built['name']} "
            f"(weights {built['weights_sha256'][:12]}), not the installed {embedder.name} "
            f"(weights {embedder.weights_hash()[:12]}); run `{BUILD_HINT} --force`"
        )


def manifest_path(index_dir: Path) -> Path:
    return Path(index_dir) / MANIFEST


# --- reading -------------------------------------------------------------------------------


class _Raced(Exception):
    """The folder changed under the reader (an atomic swap); read again."""


def _read_index(index_dir: Path) -> Index:
    manifest_file = index_dir / MANIFEST
    if not manifest_file.is_file():
        raise IndexProblem(f"no index in {index_dir} (no {MANIFEST}); run `{BUILD_HINT}`")
    manifest = _read_json(manifest_file)
    if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
        raise IndexProblem(
            f"{manifest_file} is not a kbqa index manifest of format {INDEX_FORMAT}; "
            f"run `{BUILD_HINT} --force`"
        )
    for path in REQUIRED:
        value = manifest
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            raise IndexProblem(
                f"{manifest_file} lacks {'.'.join(path)}; run `{BUILD_HINT} --force`"
            )
    files, counts = manifest["files"], manifest["counts"]
    if not isinstance(files, dict) or not all(
        isinstance(f, dict) and {"bytes", "sha256"} <= set(f) for f in files.values()
    ):
        raise IndexProblem(f"{manifest_file} has a malformed file list; run `{BUILD_HINT} --force`")
    for name, expected in files.items():
        _verify_file(index_dir, name, expected, manifest_file)

    try:
        passages = tuple(Passage.from_dict(r) for r in _read_json(index_dir / PASSAGES))
        vectors = tuple(VectorRef(**r) for r in _read_json(index_dir / VECTORS))
        glossary = tuple(GlossaryEntry(**r) for r in _read_json(index_dir / GLOSSARY))
        scope_record = _read_json(index_dir / SCOPE)
        scope = Scope(scope_record["text"], tuple(scope_record["examples"]))
        topics = tuple(
            Topic(r["id"], tuple(r["questions"]), tuple(r.get("names", ())))
            for r in _read_json(index_dir / OUT_OF_SCOPE)
        )
        conditions = (
            Conditions.from_dict(_read_json(index_dir / CONDITIONS))
            if CONDITIONS in files
            else Conditions()
        )
        lexicon = (
            Lexicon.from_dict(_read_json(index_dir / ACTIONS)) if ACTIONS in files else Lexicon()
        )
        lexical, readings, vocabulary = _read_derived(index_dir, "", files)
    except (TypeError, KeyError, ValueError) as err:
        raise IndexProblem(
            f"{index_dir} holds records kbqa cannot read ({err}); run `{BUILD_HINT} --force`"
        ) from None
    dense = ready(_read_faiss(index_dir / DENSE), manifest.get("faiss", {}))
    rows = tuple((t.id, q) for t in topics for q in t.questions)
    oos_dense = _read_faiss(index_dir / OUT_OF_SCOPE_DENSE)
    actual = {"passages": len(passages), "vectors": len(vectors), "dim": dense.d}
    expected = {
        "passages": counts["passages"],
        "vectors": counts["vectors"],
        "dim": manifest["model"]["dim"],
    }
    if actual != expected or dense.ntotal != len(vectors) or oos_dense.ntotal != len(rows):
        raise IndexProblem(
            f"{index_dir} does not match its manifest (found {actual}, expected {expected}); "
            f"run `{BUILD_HINT} --force`"
        )
    if manifest != _read_json(manifest_file):
        raise _Raced()
    names = tuple((t.id, name) for t in topics for name in t.names)
    locales = tuple(
        _read_locale(index_dir, code, record, manifest, passages)
        for code, record in manifest.get("languages", {}).items()
    )
    return Index(
        index_dir,
        manifest,
        passages,
        vectors,
        glossary,
        scope,
        dense,
        rows,
        oos_dense,
        names,
        conditions,
        lexicon,
        locales=locales,
        lexical=lexical,
        analyses=readings,
        vocabulary=vocabulary,
    )


def _read_locale(index_dir: Path, code: str, record: dict, manifest: dict, passages) -> Index:
    """A language's view of the index: its passages' annotations, vectors and words."""
    try:
        data = _read_json(index_dir / f"{code}-{LOCALE}")
        language = Language(
            data["language"]["code"],
            data["language"]["name"],
            data["language"]["letters"],
            data["language"]["stemmer"],
            Grammar(**{k: tuple(v) for k, v in data["language"]["grammar"].items()}),
            tuple(tuple(pair) for pair in data["language"]["labels"]),
        )
        topics = tuple(
            Topic(r["id"], tuple(r["questions"]), tuple(r.get("names", ())))
            for r in data["out_of_scope"]
        )
        vectors = tuple(VectorRef(**r) for r in _read_json(index_dir / f"{code}-{VECTORS}"))
        local = Index(
            index_dir,
            manifest,
            tuple(in_language(p, code) for p in passages),
            vectors,
            tuple(GlossaryEntry(**g) for g in data["glossary"]),
            Scope(data["scope"]["text"], tuple(data["scope"]["examples"])),
            _read_faiss(index_dir / f"{code}-{DENSE}"),
            tuple((t.id, q) for t in topics for q in t.questions),
            _read_faiss(index_dir / f"{code}-{OUT_OF_SCOPE_DENSE}"),
            tuple((t.id, name) for t in topics for name in t.names),
            Conditions.from_dict(data["conditions"]),
            Lexicon.from_dict(data["actions"]),
            language=language,
        )
        lexical, readings, vocabulary = _read_derived(index_dir, f"{code}-", manifest["files"])
        local = dataclasses.replace(
            local, lexical=lexical, analyses=readings, vocabulary=vocabulary
        )
    except (TypeError, KeyError, ValueError) as err:
        raise IndexProblem(
            f"{index_dir} holds {code} records kbqa cannot read ({err}); run `{BUILD_HINT} --force`"
        ) from None
    if local.dense.ntotal != len(vectors) or local.dense.d != record["model"]["dim"]:
        raise IndexProblem(
            f"{index_dir}: the {code} vectors do not match the manifest; run `{BUILD_HINT} --force`"
        )
    return local


def _read_derived(index_dir: Path, prefix: str, files: dict):
    """The stored BM25 index, annotated questions' readings and speller words, where the
    manifest lists them."""
    lexical = readings = vocabulary = None
    if f"{prefix}{LEXICAL}" in files:
        arrays, terms = index_dir / f"{prefix}{LEXICAL}", index_dir / f"{prefix}{LEXICAL_TERMS}"
        lexical = Lexical.load(arrays, terms)
    if f"{prefix}{ANALYSES}" in files:
        readings = analyses.from_json(_read_json(index_dir / f"{prefix}{ANALYSES}"))
    if f"{prefix}{SPELLER}" in files:
        vocabulary = _read_json(index_dir / f"{prefix}{SPELLER}")
        if not isinstance(vocabulary, dict):
            raise TypeError(f"{prefix}{SPELLER} is not an object of word counts")
    return lexical, readings, vocabulary


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


def _read_faiss(path: Path) -> faiss.Index:
    try:
        return faiss.read_index(str(path))
    except RuntimeError as err:
        raise IndexProblem(
            f"{path} is unreadable ({str(err).splitlines()[0]}); run `{BUILD_HINT} --force`"
        ) from None


def _verify_file(index_dir: Path, name: str, expected: dict[str, Any], manifest_file: Path) -> None:
    path = index_dir / name
    if not path.is_file():
        if not manifest_file.exists():
            raise _Raced()
        raise IndexProblem(f"{path} is missing; run `{BUILD_HINT} --force`")
    size = path.stat().st_size
    if size != expected["bytes"] or (size <= HASH_LIMIT and _sha256(path) != expected["sha256"]):
        if _read_json(manifest_file).get("files", {}).get(name) != expected:
            raise _Raced()
        raise IndexProblem(
            f"{path} does not match {MANIFEST} (edited or truncated); run `{BUILD_HINT} --force`"
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Raced() from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexProblem(
            f"{path} is not valid JSON ({err}); run `{BUILD_HINT} --force`"
        ) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- writing -------------------------------------------------------------------------------


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
        and manifest.get("text_pipeline") == text_pipeline()
        and manifest["model"]["name"] == embedder.name
        and manifest["model"]["weights_sha256"] == embedder.weights_hash()
    )
    if getattr(embedder, "query_encoder_files", None) is not None:
        from app.onnx_export import exporter_version

        exported = manifest.get("query_encoder") or {}
        same = same and exported.get("exporter") == exporter_version()
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
    _write_json(folder / VECTORS, [ref.__dict__ for ref in refs])
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
        "text_pipeline": text_pipeline(),
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
            name: {"bytes": (folder / name).stat().st_size, "sha256": _sha256(folder / name)}
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


def _write_query_encoder(folder: Path, manifest: dict, model: Embedder, cache: Path) -> dict:
    """The model's ONNX export and tokenizer, for questions without torch, when the model
    offers one (the fake test embedder does not: its index answers with it)."""
    files = getattr(model, "query_encoder_files", None)
    if files is None:
        return manifest
    source, record = files(cache)
    for name in (ONNX_FILE, TOKENIZER_FILE):
        shutil.copyfile(source / name, folder / name)
        manifest["files"][name] = {
            "bytes": (folder / name).stat().st_size,
            "sha256": _sha256(folder / name),
        }
    manifest["query_encoder"] = record
    _write_json(folder / MANIFEST, manifest)
    return manifest


def _local_topics(local: tuple[Topic, ...], main: tuple[Topic, ...]) -> tuple[Topic, ...]:
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
        _write_json(folder / f"{code}-{VECTORS}", [ref.__dict__ for ref in refs])
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
                    t.to_dict() for t in _local_topics(locale.out_of_scope, corpus.out_of_scope)
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
            manifest["files"][path.name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
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
