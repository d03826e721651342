"""The English encoder with the guide's tuning in place (``app.index.tune``).

The tuned model is the base model's weights with a tuning's tensors put in their place: in
sentence-transformers when the build embeds the corpus, in onnxruntime when a question is
encoded (``tensor_names`` says which tensor of the base ONNX export each parameter is). Its
weights hash combines the base model's with the tuning file's, so the embedding cache, the
manifest and the engine's check that questions are encoded as the passages were all tell a
tuned index from a base one.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.corpus.records import Corpus
from app.errors import IndexProblem
from app.index.embed import EditEmbedder, Embedder, MiniLMEmbedder, model_dir
from app.index.layout import MANIFEST
from app.index.npzfile import write_npz
from app.index.onnx_encoder import ONNX_FILE, OnnxEmbedder
from app.index.onnx_export import CHECK_TEXTS, check_export, tensor_names
from app.index.store import file_sha256
from app.index.tune import (
    RETUNE_SHARE,
    TUNING_FILE,
    Pair,
    Tuning,
    apply,
    changed_share,
    read_tuning,
    recipe_record,
    train,
    training_pairs,
    write_tuning,
)


def tuning_sha256(tuning: Tuning) -> str:
    """The sha256 of the file a tuning is stored in (``write_npz`` writes the same bytes
    for the same tensors)."""
    buffer = io.BytesIO()
    write_npz(buffer, tuning.tensors)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


class TunedEmbedder:
    """The base model with a tuning's tensors in place, loaded once on first use.

    ``model`` may be given already tuned (the build that just trained it); otherwise the
    base model is loaded, copied and the tuning applied. ``export`` (an ONNX encoder of the
    same tuned weights) embeds a handful of texts without loading torch, as the build's
    ``EditEmbedder`` does for the base model."""

    SMALL = 256

    def __init__(
        self,
        base: MiniLMEmbedder,
        tuning: Tuning,
        *,
        model: Any = None,
        export: Embedder | None = None,
    ):
        self.base, self.tuning = base, tuning
        self.digest = tuning_sha256(tuning)
        self.name, self.dim, self.runtime = base.name, base.dim, base.runtime
        self._model = model
        self.export = export
        self._lock = threading.Lock()

    def weights_hash(self) -> str:
        return hashlib.sha256(f"{self.base.weights_hash()}+{self.digest}".encode()).hexdigest()

    def query_encoder_files(self, cache: Path) -> tuple[Path, dict]:
        """The base model's ONNX export: the tuning goes on top of it when it loads."""
        return self.base.query_encoder_files(cache)

    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                model = copy.deepcopy(self.base.load())
                apply(model, self.tuning)
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        export = self.export
        if (
            export is not None
            and self._model is None
            and len(texts) <= self.SMALL
            and export.weights_hash() == self.weights_hash()
        ):
            return export.encode(texts)
        vectors = self.model().encode(
            list(texts),
            batch_size=self.base.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def stored_tuning(folder: Path, manifest: dict[str, Any]) -> Tuning | None:
    """The tuning an index folder holds, or None for an index of the base model."""
    record = manifest.get("encoder_tuning")
    if not isinstance(record, dict):
        return None
    return read_tuning(folder, record)


def for_index(folder: Path, manifest: dict[str, Any], base: MiniLMEmbedder) -> Embedder:
    """The sentence-transformers encoder of an index's vectors: the base model, with the
    index's tuning in place when it has one (``KBQA_ENCODER=torch``, a build's edits)."""
    tuning = stored_tuning(folder, manifest)
    return base if tuning is None else TunedEmbedder(base, tuning)


@dataclass(frozen=True)
class Plan:
    """What a build embeds with: the tuned encoder, and whether it was trained just now."""

    embedder: TunedEmbedder
    pairs: list[Pair]
    trained: bool
    note: str  # for the build's log


def plan_tuning(
    corpus: Corpus,
    embedder: Embedder,
    index_dir: Path,
    cache: Path,
    *,
    retune: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> Plan | None:
    """The tuned encoder a build of ``corpus`` embeds with: the tuning of the index being
    replaced when it is of this base model and recipe and few training pairs changed, else
    a new one (torch and about two minutes on two cores). None for an embedder that cannot
    be tuned (the fake one of the unit tests)."""
    base = embedder.model if isinstance(embedder, EditEmbedder) else embedder
    if not isinstance(base, MiniLMEmbedder):
        return None
    export = embedder.export if isinstance(embedder, EditEmbedder) else None
    pairs = training_pairs(corpus)
    kept = None if retune else _kept(index_dir, base, pairs)
    if kept is not None:
        tuning, share = kept
        note = (
            f"encoder tuning kept: {share:.0%} of its training texts changed "
            f"(it retunes past {RETUNE_SHARE:.0%}, or with --retune)"
        )
        return Plan(TunedEmbedder(base, tuning, export=export), pairs, False, note)
    # The base model's export first: it is made from the untouched weights.
    folder, _ = base.query_encoder_files(cache)
    log(f"tuning the encoder on {len(pairs)} pairs from the annotations")
    model = copy.deepcopy(base.load())
    base_record = {"name": base.name, "weights_sha256": base.weights_hash()}
    tuning = train(model, pairs, base_record, log=log)
    places = tensor_names(folder / ONNX_FILE, model_dir() / "model.safetensors")
    tuning = Tuning(
        tuning.tensors,
        {**tuning.record, "onnx": {k: list(places[k]) for k in tuning.tensors}},
    )
    note = f"encoder tuned in {tuning.record['seconds']:.0f} s ({len(pairs)} pairs)"
    return Plan(TunedEmbedder(base, tuning, model=model), pairs, True, note)


def _kept(index_dir: Path, base: MiniLMEmbedder, pairs: list[Pair]) -> tuple[Tuning, float] | None:
    """The tuning of the index in ``index_dir`` and the share of pairs changed since, if
    it may be kept."""
    try:
        manifest = json.loads((Path(index_dir) / MANIFEST).read_text(encoding="utf-8"))
        stored = stored_tuning(Path(index_dir), manifest)
    except (OSError, ValueError, IndexProblem):
        return None
    if stored is None:
        return None
    tuning = stored
    same = tuning.record.get("base", {}).get("weights_sha256") == base.weights_hash()
    same = same and all(tuning.record.get(k) == v for k, v in recipe_record().items())
    share = changed_share(pairs, Path(index_dir))
    if not same or share is None or share > RETUNE_SHARE:
        return None
    return tuning, share


def store_tuning(folder: Path, manifest: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """Write a plan's tuning beside the base model's ONNX export in a new index folder and
    record it in the manifest (returned): the tuning itself (``encoder_tuning``) and, in the
    query encoder's record, where its tensors go. A tuning trained just now is checked
    first: the ONNX encoder with it in place must give sentence-transformers' vectors."""
    embedder = plan.embedder
    files = write_tuning(folder, embedder.tuning, plan.pairs)
    for name in files:
        path = folder / name
        manifest["files"][name] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    record = dict(embedder.tuning.record)
    places = record.pop("onnx")
    manifest["encoder_tuning"] = record | {"onnx": places}
    manifest["query_encoder"] = manifest["query_encoder"] | {
        "weights_sha256": embedder.weights_hash(),
        "tuning": {"file": TUNING_FILE, "tensors": places},
    }
    if plan.trained:
        reference = embedder.encode(list(CHECK_TEXTS))
        exported = OnnxEmbedder(folder, manifest["query_encoder"])
        manifest["query_encoder"]["tuning"]["checked_max_abs_diff"] = check_export(
            reference, exported
        )
    return manifest
