"""The query encoder that answers questions: all-MiniLM-L6-v2 as ONNX, without torch.

Importing torch and sentence-transformers to encode one sentence took most of a cold
``kbqa ask`` (about 5 s of 8). The build exports the very weights it embedded the corpus
with to ONNX (``app.index.onnx_export``) and stores the graph and the model's fast tokenizer in
the index folder, hashed in the manifest like every other file. Questions are then encoded
with onnxruntime and ``tokenizers`` alone: the same vectors (the export is checked against
sentence-transformers to 1e-5), loaded in a fraction of a second.

Mean pooling and normalisation are inside the graph, so a row comes out of it unit length.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.errors import IndexProblem, ModelError
from app.index.npzfile import read_npz

if TYPE_CHECKING:  # imported when the encoder loads, not with this module
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

ONNX_FILE = "query-encoder.onnx"
TOKENIZER_FILE = "query-tokenizer.json"
ENV_THREADS = "KBQA_ONNX_THREADS"
ENV_ENCODER = "KBQA_ENCODER"  # "torch" answers with sentence-transformers (benchmarks compare)
BATCH = 64  # texts per run when many are encoded at once (the build's regression report)


def encoder_setting() -> str:
    """What ``KBQA_ENCODER`` asks for: "auto" (this ONNX export) unless it says otherwise;
    the engine checks the value."""
    return os.environ.get(ENV_ENCODER, "").strip() or "auto"


def threads() -> int:
    """Threads onnxruntime uses for one question: 1, or ``KBQA_ONNX_THREADS``. A question
    is too small to spread (two threads were no faster on two idle cores, and twice as slow
    while the other core was busy), and a server answers several at once anyway."""
    raw = os.environ.get(ENV_THREADS, "").strip()
    if not raw:
        return 1
    try:
        return max(1, int(raw))
    except ValueError:
        raise ModelError(f"{ENV_THREADS} must be a whole number, not {raw!r}") from None


class OnnxEmbedder:
    """Encodes with the ONNX export stored in an index folder; loaded on first use.

    ``record`` is the manifest's ``query_encoder`` entry. The weights it was exported from
    are the ones the index's vectors were made with, so ``weights_hash`` is that record's,
    and no 90 MB weights file is read again at start-up to prove it.
    """

    runtime = "onnxruntime"

    def __init__(self, folder: Path, record: dict[str, Any]):
        self.folder = Path(folder)
        self.record = record
        self.name = str(record["name"])
        self.dim = int(record["dim"])
        self._session: InferenceSession | None = None
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}

    def weights_hash(self) -> str:
        # A tuned encoder's weights are the export's with the tuning in place.
        return str(self.record.get("weights_sha256") or self.record["exported_from"])

    def load(self) -> None:
        """Open the session now (it opens on the first ``encode`` otherwise)."""
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime
                from tokenizers import Tokenizer
            except ImportError as err:
                raise ModelError(
                    f"onnxruntime or tokenizers is not installed ({err}); pip install -e ."
                ) from err
            try:
                tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
                tokenizer.enable_truncation(int(self.record["max_seq_length"]))
                tokenizer.enable_padding()
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = threads()
                options.inter_op_num_threads = 1
                # Threads that spin while waiting for work steal the core a busy server's
                # other requests need.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3  # warnings about unused initialisers are noise
                # A tuned encoder: the tuning's tensors in place of the export's own.
                values = self._tuned_tensors(onnxruntime)
                for name, value in values.items():
                    options.add_initializer(name, value)
                session = onnxruntime.InferenceSession(
                    str(self.folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
                )
                self._values = values  # onnxruntime keeps no reference of its own
            except Exception as err:  # onnxruntime raises its own, undocumented, classes
                raise IndexProblem(
                    f"the query encoder in {self.folder} does not load ({err}); "
                    "run `kbqa build --force`"
                ) from err
            self._tokenizer, self._session = tokenizer, session

    def _tuned_tensors(self, onnxruntime: Any) -> dict[str, Any]:
        """The tuning's tensors (``app.index.tune``) as onnxruntime values, by the name of
        the export's tensor each replaces, transposed where the export stores the parameter
        transposed; none for an untuned encoder."""
        tuning = self.record.get("tuning")
        if not tuning:
            return {}
        places = tuning["tensors"]
        arrays = read_npz(self.folder / tuning["file"], tuple(places))
        values = {}
        for parameter, (name, transposed) in places.items():
            array = arrays[parameter].astype(np.float32)
            array = np.ascontiguousarray(array.T if transposed else array)
            values[name] = onnxruntime.OrtValue.ortvalue_from_numpy(array)
        return values

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if self._session is None:
            self.load()
        # load() sets both or raises; the tokenizer is assigned first, so a session seen set
        # (by another thread's load) comes with its tokenizer.
        tokenizer, session = self._tokenizer, self._session
        assert tokenizer is not None
        assert session is not None
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorted by length, so a batch pads to its own longest text, not the longest of all.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            encodings = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.zeros_like(ids),
            }
            out[rows] = session.run(None, feed)[0]
        return out


def query_encoder(folder: Path, manifest: dict[str, Any]) -> OnnxEmbedder | None:
    """The index's stored query encoder, or None for an index built without one (a test
    index made with the fake embedder, or one built before kbqa exported them). The one
    ``preload`` started for the same files, if any."""
    record = manifest.get("query_encoder")
    if not isinstance(record, dict):
        return None
    folder = Path(folder)
    identity = _identity(folder)
    early = _PRELOADED.get(identity) if identity is not None else None
    if early is not None and early.record == record:
        return early
    return OnnxEmbedder(folder, record)


def preload(folder: Path) -> None:
    """Start opening the index's query encoder in a thread, now.

    onnxruntime spends a third of a second opening the model, mostly outside the GIL; a
    cold ``kbqa ask`` starts it first and meanwhile imports and loads everything else.
    ``query_encoder`` hands out the same encoder (its ``load`` waits for this one). Best
    effort: any problem is left for the real load to report."""
    if encoder_setting() != "auto":
        return
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        record = manifest["query_encoder"]
        identity = _identity(folder)
    except (OSError, ValueError, KeyError, TypeError):
        return
    if identity is None or not isinstance(record, dict) or identity in _PRELOADED:
        return
    encoder = _PRELOADED[identity] = OnnxEmbedder(folder, record)

    def load() -> None:
        try:
            encoder.load()
        except Exception:  # noqa: BLE001 - reported again, properly, by the engine's load
            _PRELOADED.pop(identity, None)

    # Not a daemon: a process that exits early (an empty question, a broken index) waits
    # for it, since onnxruntime aborts the process when the interpreter finalises under it.
    threading.Thread(target=load, name="kbqa-preload").start()


_PRELOADED: dict[tuple, OnnxEmbedder] = {}


def _identity(folder: Path) -> tuple | None:
    """The ONNX file as it is now (a rebuild swaps in another file under the same name)."""
    try:
        stat = (folder / ONNX_FILE).stat()
    except OSError:
        return None
    return str(folder.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size
