"""The question-answering service: load once, lazily, answer many.

``Engine.ask(question) -> Answer`` is the one function the CLI and the UI call. The index
and model load on first use (never at import) and are reused; when a rebuild replaces the
index folder, the next question notices the new manifest and reloads, while questions
already running finish on the old one.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.answer.compose import compose
from app.answer.evidence import Evidence
from app.answer.ranking import Ranking
from app.answer.records import Answer
from app.answer.retrieve import Hit, Query, Retriever
from app.config import Paths
from app.corpus.records import Scope
from app.errors import IndexProblem, KbqaError
from app.index.calibration import Settings, read_calibration
from app.index.embed import Embedder, MiniLMEmbedder, MultilingualEmbedder, get_embedder
from app.index.layout import CALIBRATION
from app.index.onnx_encoder import ENV_ENCODER, encoder_setting, query_encoder
from app.index.store import Index, check_model, load_index, manifest_path
from app.index.tuned import for_index
from app.reading.input import question_text
from app.reading.language import detect

log = logging.getLogger("kbqa.engine")
CANDIDATES = 6  # passages considered for quotes, cautious runner-ups and related questions
ENCODERS = ("auto", "torch")


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while an index loads.

    Loading makes a few small records per vector and per annotated question: over a million
    at 100k passages. The collector runs every 700 new objects and, as they survive, scans
    them again and again, so start-up grew faster than the corpus. The records form no
    cycles, so nothing is lost by letting it run only once they are made.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_settings(
    index_dir: Path, manifest: dict | None = None, language: str | None = None
) -> Settings:
    """Calibrated settings stored with the index, or the defaults when there are none.

    A second language is calibrated on its own questions (``languages.<code>`` of the
    file); without those it takes the main language's. A calibration made for another
    corpus (a rebuild carries it over) is still the best guess there is, so it is used,
    with a warning naming the command that redoes it.
    """
    path = Path(index_dir) / CALIBRATION
    if not path.is_file():
        return Settings()
    # Validated whole (every language's settings, whichever is asked for): a wrong key or
    # value is an IndexProblem naming the file, the key path and the field.
    record = read_calibration(path)
    settings = record.settings_for(language)
    stale = manifest is not None and record.corpus_hash != manifest["corpus"]["hash"]
    if stale and (path, record.corpus_hash) not in _WARNED:
        # Once per process and file: a server reloading after each rebuild says it once.
        _WARNED.add((path, record.corpus_hash))
        log.warning(
            "%s was made for an earlier corpus; run `kbqa eval --calibrate` "
            "(corpus/README.md, the maintainer's loop, step 5)",
            path,
        )
    return settings


_WARNED: set[tuple[Path, str | None]] = set()


@dataclass(frozen=True)
class _Loaded:
    retriever: Retriever
    stamp: tuple  # identifies the manifest and calibration files it was loaded from
    # The retrievers of second languages, made on their first question (their model loads
    # then, so English questions never pay for it).
    locales: dict[str, Retriever] = field(default_factory=dict)


class Engine:
    """Answers questions from the index in ``paths.index_dir``.

    Thread-safe: the loaded state is an immutable snapshot swapped in whole.
    """

    def __init__(
        self,
        paths: Paths | None = None,
        *,
        embedder: Embedder | None = None,
        device: str = "cpu",
        settings: Settings | None = None,
        check_corpus: bool = True,
        multilingual: Embedder | None = None,
        encoder: str | None = None,
    ):
        """``embedder`` encodes questions when given (tests, the build's regression report);
        otherwise ``encoder`` decides: "auto" answers on the CPU with the index's ONNX
        export of the model (no torch), "torch" with sentence-transformers on ``device``;
        by default ``KBQA_ENCODER``, else "auto"."""
        encoder = encoder or encoder_setting()
        if encoder not in ENCODERS:
            raise KbqaError(f"{ENV_ENCODER} must be one of {', '.join(ENCODERS)}, not {encoder!r}")
        self.paths = paths or Paths.resolve()
        self._embedder = embedder  # given: it encodes questions, whatever the index says
        self._model: Embedder | None = None  # else made here, when needed
        self._encoder = encoder
        self._device = device
        self._settings = settings
        self._check_corpus = check_corpus
        self._multilingual = multilingual
        self._loaded: _Loaded | None = None
        self._failed_stamp: tuple[int, int] | None = None
        # Reentrant: a thread holding ``loads_held`` may load the index itself.
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def loads_held(self) -> Iterator[None]:
        """No index or model loads in other threads while the block runs; they wait.

        Python 3.11 keeps the ast module's recursion depth per interpreter, not per thread,
        so two threads building syntax trees at once can fail with "SystemError: AST
        constructor recursion depth mismatch". ``numpy.load`` parses each array's header
        with ``ast.literal_eval``, and importing gradio parses its components' source: the
        server imports gradio inside this block. Answers from a loaded index do not wait.
        """
        with self._lock:
            yield

    @property
    def embedder(self) -> Embedder:
        """The model that builds a missing index (sentence-transformers unless given)."""
        if self._embedder is not None:
            return self._embedder
        if self._model is None:
            self._model = get_embedder(self._device)
        return self._model

    def _query_embedder(self, index: Index) -> Embedder:
        """What encodes questions for ``index``: the given embedder, else the index's ONNX
        export (loaded now: a later rebuild swaps the files under the folder's name), else
        sentence-transformers, checked to be the weights the index was built with."""
        if self._embedder is not None and not isinstance(self._embedder, MiniLMEmbedder):
            return self._embedder  # the fake embedder of a unit test, or another given one
        onnx = None if self._embedder is not None else query_encoder(index.path, index.manifest)
        if onnx is not None and self._encoder == "auto" and self._device == "cpu":
            check_model(index, onnx)
            onnx.load()
            return onnx
        embedder = self.embedder
        if isinstance(embedder, MiniLMEmbedder):  # with the index's tuning, if it has one
            embedder = for_index(index.path, index.manifest, embedder)
        check_model(index, embedder)
        return embedder

    def load(self) -> Retriever:
        """The current retriever, (re)loading the index when its manifest changed."""
        return self._state().retriever

    @property
    def runtime(self) -> str:
        """What encodes questions: "onnxruntime", "sentence-transformers" (or "fake")."""
        return self._state().retriever.embedder.runtime

    def labels(self, language: str) -> dict[str, str]:
        """The words around an answer in ``language`` (the main language's for any other
        code)."""
        index = self._state().retriever.index
        view = index.locale(language) or index
        return dict(view.language.labels) if view.language else {}

    def scope(self, language: str) -> Scope:
        """What the guide covers and its words on the page, in ``language`` (the main
        language's for any other code)."""
        index = self._state().retriever.index
        return (index.locale(language) or index).scope

    @property
    def main_language(self) -> str:
        """The code of the corpus's main language ("en")."""
        language = self._state().retriever.index.language
        return language.code if language else ""

    def language_of(self, question: str) -> str:
        """The code of the language ``question`` is written in ("en", "ru")."""
        return _detect(self._state().retriever.index, question)

    def retriever_for(self, language: str) -> Retriever:
        """The retriever that reads questions in ``language``."""
        return self._retriever(self._state(), language)

    def _retriever(self, state: _Loaded, language: str) -> Retriever:
        if language == self.main_language:
            return state.retriever
        found = state.locales.get(language)
        if found is not None:
            return found
        with self._lock, collector_paused():
            if language not in state.locales:
                state.locales[language] = self._local_retriever(state.retriever.index, language)
        return state.locales[language]

    def _local_retriever(self, index: Index, language: str) -> Retriever:
        local = index.locale(language)
        if local is None:
            raise IndexProblem(f"the index has no {language} annotations; run `kbqa build`")
        if self._multilingual is None:
            self._multilingual = MultilingualEmbedder()
        built = index.manifest["languages"][language]["model"]
        if built["weights_sha256"] != self._multilingual.weights_hash():
            raise IndexProblem(
                f"the {language} vectors in {index.path} were built with other weights of "
                f"{built['name']}; run `kbqa build --force`"
            )
        settings = self._settings or load_settings(index.path, index.manifest, language)
        return Retriever(local, self._multilingual, settings)

    def build_if_missing(self, log: Callable[[str], None]) -> bool:
        """Build the index when there is none but the corpus is there; True if it built."""
        index_dir, corpus_dir = self.paths.index_dir, self.paths.corpus_dir
        if manifest_path(index_dir).exists() or not corpus_dir.is_dir():
            return False
        from app.index.build import build_index  # answering an index never needs the builder

        log(f"no index in {index_dir}: building it from {corpus_dir} (kbqa build)")
        build_index(corpus_dir, index_dir, self.embedder, log=log, progress=True)
        return True

    def _state(self) -> _Loaded:
        loaded = self._loaded
        stamp = _stamp(self.paths.index_dir)
        # A missing manifest mid-swap, or a new index that failed to load, is no reason to
        # drop the working one.
        if loaded is not None and stamp in (None, loaded.stamp, self._failed_stamp):
            return loaded
        with self._lock:
            if self._loaded is not None and stamp in (self._loaded.stamp, self._failed_stamp):
                return self._loaded
            try:
                with collector_paused():
                    index = load_index(
                        self.paths.index_dir,
                        corpus_dir=self.paths.corpus_dir if self._check_corpus else None,
                    )
                    embedder = self._query_embedder(index)
                    settings = self._settings or load_settings(self.paths.index_dir, index.manifest)
                    retriever = Retriever(index, embedder, settings)
            except IndexProblem as err:
                if self._loaded is None:
                    raise
                self._failed_stamp = stamp
                log.warning("still answering from the index loaded before; the new one: %s", err)
                return self._loaded
            self._loaded = _Loaded(retriever, stamp or ((0, 0), None))
            return self._loaded

    def ask(self, question: object) -> Answer:
        return self.ask_with_hits(question)[0]

    def ask_with_hits(
        self, question: object, *, settings: Settings | None = None, query: Query | None = None
    ) -> tuple[Answer, Ranking]:
        """The answer and the ranking behind it (for evaluation and calibration): a lazy
        sequence, scored past the candidates only when read past them.

        ``settings`` overrides the calibrated ones; ``query`` reuses a prepared question.
        """
        text = question_text(question)
        state = self._state()
        index = state.retriever.index
        language = _detect(index, text)
        retriever = self._retriever(state, language)
        if settings is not None:
            retriever = retriever.with_settings(settings)
        query = query or retriever.prepare(text)
        analysis = query.analysis
        ranking = retriever.retrieve(query, k=CANDIDATES)
        hits = ranking[:CANDIDATES]

        def evidence_for(hit: Hit) -> Evidence:
            similarity = retriever.similarities(query, hit.position)
            return Evidence(
                hit=hit,
                question_similarity=similarity.get("question", {}),
                question_analysis=retriever.question_analysis[hit.passage.id],
                risks=retriever.risks[hit.passage.id],
                sentence_similarity=similarity.get("sentence", {}),
            )

        evidence = [evidence_for(hit) for hit in hits]
        # Every side of each candidate's conditional point, wherever it ranked.
        by_position = {e.hit.position: e for e in evidence}
        points = {
            hit.passage.point: tuple(
                by_position.get(p) or evidence_for(ranking.hit(p))
                for p in retriever.points[hit.passage.point]
            )
            for hit in hits
            if hit.passage.point
        }
        index = retriever.index
        out_of_scope, _ = retriever.nearest_out_of_scope(query)
        answer = compose(
            text,
            analysis,
            evidence,
            retriever.settings,
            index.glossary,
            index.scope,
            out_of_scope,
            situation=query.situation,
            points=points,
            conditions=index.conditions,
            language=retriever.language,
        )
        return answer, ranking

    def prepare(self, question: str) -> Query:
        text = question_text(question)
        return self.retriever_for(self.language_of(text)).prepare(text)

    def prepare_many(
        self, questions: list[str], known: dict[tuple[str, str], Any] | None = None
    ) -> dict[str, Query]:
        """Prepared queries by question, each language's encoded in one batch; ``known``
        holds vectors at hand by (language, question)."""
        texts = list(dict.fromkeys(question_text(q) for q in questions))
        by_language: dict[str, list[str]] = {}
        for text in texts:
            by_language.setdefault(self.language_of(text), []).append(text)
        prepared: dict[str, Query] = {}
        for language, group in by_language.items():
            mine = {q: v for (code, q), v in (known or {}).items() if code == language}
            queries = self.retriever_for(language).prepare_many(group, mine)
            prepared.update(zip(group, queries, strict=True))
        return prepared


def _detect(index: Index, text: str) -> str:
    """The language of ``text`` among the index's: a second one's letters, else the main."""
    main = index.language.code if index.language else ""
    return detect(text, tuple(i.language for i in index.locales if i.language), main)


def _stamp(index_dir: Path) -> tuple | None:
    """Identifies the manifest and calibration files: a swapped-in folder brings new inodes,
    a recalibration a new calibration file. None while there is no manifest."""

    def identity(path: Path) -> tuple[int, int] | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    manifest = identity(manifest_path(index_dir))
    return None if manifest is None else (manifest, identity(Path(index_dir) / CALIBRATION))
