"""The built index: loading it, verified, into one ``Index`` record.

What the folder holds is ``app.index.layout``'s; building and writing it is
``app.index.build`` (atomic: a reader sees the old folder or the new one, never a mix).
Loading checks every file against the manifest and refuses a missing, corrupt or stale index
with the command that fixes it (stale: another corpus, or another pipeline version).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss

from app.corpus.files import content_hash
from app.corpus.records import GlossaryEntry, Passage, Scope, Topic
from app.corpus.translation import in_language
from app.errors import IndexProblem
from app.index import readings as analyses
from app.index.ann import ready
from app.index.embed import Embedder
from app.index.layout import (
    ACTIONS,
    ANALYSES,
    CONDITIONS,
    DENSE,
    GLOSSARY,
    INDEX_FORMAT,
    LANGUAGE,
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
    pipeline,
)
from app.index.lexical import Lexical
from app.index.vectors import VectorRefs
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions
from app.reading.language import Language
from app.reading.question import Analysis
from app.records import from_json

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


@dataclass(frozen=True, eq=False)
class Index:
    path: Path
    manifest: dict[str, Any]
    passages: tuple[Passage, ...]
    vectors: VectorRefs
    glossary: tuple[GlossaryEntry, ...]
    scope: Scope
    dense: faiss.Index
    out_of_scope: tuple[tuple[str, str], ...] = ()  # (topic id, question), one per row of:
    out_of_scope_dense: faiss.Index | None = None
    out_of_scope_names: tuple[tuple[str, str], ...] = ()  # (topic id, name)
    conditions: Conditions = field(default_factory=Conditions)
    lexicon: Lexicon = field(default_factory=Lexicon)
    # The language its questions are read in (set on every index read from a folder); a
    # second language's view (passages with its annotations, its own vectors, words and
    # wording) is ``main=False``, and the main index lists them in ``locales``.
    language: Language | None = None
    main: bool = True
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
    if (
        corpus_dir is not None
        and not fresh
        and content_hash(Path(corpus_dir)) != index.manifest["corpus"]["hash"]
    ):
        raise IndexProblem(
            f"the index in {index_dir} is stale: {corpus_dir} changed since it was built; "
            f"run `{BUILD_HINT}`"
        )
    if not fresh and index.manifest.get("pipeline") != pipeline():
        raise IndexProblem(
            f"the index in {index_dir} is stale: it was built by another version of kbqa's "
            f"text pipeline ({index.manifest.get('pipeline')}, this kbqa stores {pipeline()}); "
            f"run `{BUILD_HINT}`"
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
    manifest = read_json(manifest_file)
    if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
        raise IndexProblem(
            f"{manifest_file} is not a kbqa index manifest of format {INDEX_FORMAT}; "
            f"run `{BUILD_HINT} --force`"
        )
    for path in REQUIRED:
        value: Any = manifest
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
        passages = tuple(Passage.from_dict(r) for r in read_json(index_dir / PASSAGES))
        vectors = VectorRefs.load(index_dir / VECTORS)
        glossary = tuple(GlossaryEntry(**r) for r in read_json(index_dir / GLOSSARY))
        scope_record = read_json(index_dir / SCOPE)
        scope = Scope.from_dict(scope_record)
        topics = tuple(
            Topic(r["id"], tuple(r["questions"]), tuple(r.get("names", ())))
            for r in read_json(index_dir / OUT_OF_SCOPE)
        )
        conditions = (
            Conditions.from_dict(read_json(index_dir / CONDITIONS))
            if CONDITIONS in files
            else Conditions()
        )
        lexicon = (
            Lexicon.from_dict(read_json(index_dir / ACTIONS)) if ACTIONS in files else Lexicon()
        )
        lexical, readings, vocabulary = _read_derived(index_dir, "", files)
        if LANGUAGE not in files:
            raise ValueError(f"no {LANGUAGE}: it was built by an older kbqa")
        language = from_json(Language, read_json(index_dir / LANGUAGE))
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
    if manifest != read_json(manifest_file):
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
        language=language,
        locales=locales,
        lexical=lexical,
        analyses=readings,
        vocabulary=vocabulary,
    )


def _read_locale(index_dir: Path, code: str, record: dict, manifest: dict, passages) -> Index:
    """A language's view of the index: its passages' annotations, vectors and words."""
    try:
        data = read_json(index_dir / f"{code}-{LOCALE}")
        language = from_json(Language, read_json(index_dir / f"{code}-{LANGUAGE}"))
        topics = tuple(
            Topic(r["id"], tuple(r["questions"]), tuple(r.get("names", ())))
            for r in data["out_of_scope"]
        )
        vectors = VectorRefs.load(index_dir / f"{code}-{VECTORS}")
        local = Index(
            index_dir,
            manifest,
            tuple(in_language(p, code) for p in passages),
            vectors,
            tuple(GlossaryEntry(**g) for g in data["glossary"]),
            Scope.from_dict(data["scope"]),
            _read_faiss(index_dir / f"{code}-{DENSE}"),
            tuple((t.id, q) for t in topics for q in t.questions),
            _read_faiss(index_dir / f"{code}-{OUT_OF_SCOPE_DENSE}"),
            tuple((t.id, name) for t in topics for name in t.names),
            Conditions.from_dict(data["conditions"]),
            Lexicon.from_dict(data["actions"]),
            language=language,
            main=False,
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
        readings = analyses.from_json(read_json(index_dir / f"{prefix}{ANALYSES}"))
    if f"{prefix}{SPELLER}" in files:
        vocabulary = read_json(index_dir / f"{prefix}{SPELLER}")
        if not isinstance(vocabulary, dict):
            raise TypeError(f"{prefix}{SPELLER} is not an object of word counts")
    return lexical, readings, vocabulary


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
    if size != expected["bytes"] or (
        size <= HASH_LIMIT and file_sha256(path) != expected["sha256"]
    ):
        if read_json(manifest_file).get("files", {}).get(name) != expected:
            raise _Raced()
        raise IndexProblem(
            f"{path} does not match {MANIFEST} (edited or truncated); run `{BUILD_HINT} --force`"
        )


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Raced() from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexProblem(
            f"{path} is not valid JSON ({err}); run `{BUILD_HINT} --force`"
        ) from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- writing -------------------------------------------------------------------------------
