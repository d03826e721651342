"""Build time: export all-MiniLM-L6-v2 to ONNX for the torch-free query path.

sentence-transformers stays the embedder of record: it embeds the corpus, and its weights
are the ones exported here. The graph takes token ids and returns the unit-length mean-
pooled embedding, exactly what ``SentenceTransformer.encode(normalize_embeddings=True)``
returns; every export is checked against it on sample texts (short, long past the model's
256 tokens, non-Latin) before it is used, and refused if any value differs by more than
``TOLERANCE``.

An export takes a few seconds and the torch import, so it is cached beside the index (in
``.kbqa-cache/onnx/``) under the weights' hash and ``EXPORTER_VERSION``, and a rebuild with
the same model copies it, from the index being replaced when the cache is empty (a fresh
clone). The export is float32. int8 (dynamic quantisation) was
measured and rejected: cosine 0.93-0.97 to the float32 vectors, and the evaluation moved by
more than one question (README, "Speed").
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import ModelError
from app.index.onnx_encoder import ONNX_FILE, TOKENIZER_FILE, OnnxEmbedder

OPSET = 17
TOLERANCE = 1e-5
# Raise with any change to what an export holds (the graph, its inputs, the tokenizer's
# settings): an index exported under another version is exported again.
EXPORTER_VERSION = "2"
RECORD_FILE = "query-encoder.json"  # the export's record, beside it in the cache
CHECK_TEXTS = (  # short, long past the model's 256 tokens, non-Latin, one letter
    "Can I change my mind?",
    "the offer came late and it is smaller than promised, should I take it anyway? " * 12,
    "можно ли передумать, если предложение пришло поздно?",
    "x",
)


def export_query_encoder(
    load_model: Callable[[], Any], name: str, model_path: Path, weights: str, cache: Path
) -> tuple[Path, dict[str, Any]]:
    """The folder holding the ONNX export of the model (``load_model`` gives the loaded
    SentenceTransformer; called only on a cache miss) and its tokenizer, with its record."""
    key = f"{weights[:16]}-{EXPORTER_VERSION}"
    folder = Path(cache) / "onnx" / key
    if (folder / RECORD_FILE).is_file():
        return folder, read_record(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.tmp-", dir=folder.parent))
    try:
        record = _export(load_model(), name, model_path, weights, tmp)
        (tmp / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        try:
            os.replace(tmp, folder)
        except OSError:  # another build made it first: theirs is as good
            if not (folder / RECORD_FILE).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder, read_record(folder)


def read_record(folder: Path) -> dict[str, Any]:
    return json.loads((Path(folder) / RECORD_FILE).read_text(encoding="utf-8"))


def _export(model: Any, name: str, model_path: Path, weights: str, folder: Path) -> dict[str, Any]:
    import torch

    # A copy on the CPU: a build on a GPU exports the same weights, and keeps its model.
    transformer = copy.deepcopy(model[0].auto_model).to("cpu").eval()
    max_seq_length = int(model.max_seq_length)

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    ids = torch.tensor([[101, 2064, 1045, 102]])
    axes = {0: "batch", 1: "tokens"}
    # The exporter warns about indexing with negative values, which this graph never does.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(folder / ONNX_FILE),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,  # the TorchScript exporter: deterministic, and no onnxscript
        )
    shutil.copyfile(Path(model_path) / "tokenizer.json", folder / TOKENIZER_FILE)
    record = {
        "name": name,
        "dim": int(transformer.config.hidden_size),
        "exported_from": weights,
        "max_seq_length": max_seq_length,
        "opset": OPSET,
        "precision": "float32",
        "torch": torch.__version__,
        "exporter": EXPORTER_VERSION,
    }
    reference = model.encode(list(CHECK_TEXTS), normalize_embeddings=True, convert_to_numpy=True)
    record["checked_max_abs_diff"] = check_export(reference, OnnxEmbedder(folder, record))
    return record


def check_export(reference: np.ndarray, exported: Any) -> float:
    """The largest difference between sentence-transformers' vectors of ``CHECK_TEXTS``
    (``reference``) and an ONNX encoder's; ``ModelError`` past ``TOLERANCE``."""
    worst = float(np.abs(exported.encode(list(CHECK_TEXTS)) - reference).max())
    if worst > TOLERANCE:
        raise ModelError(
            f"the ONNX export of {exported.name} differs from sentence-transformers by "
            f"{worst:.2e} (more than {TOLERANCE}); kbqa will not answer with it"
        )
    return float(f"{worst:.2e}")


def tensor_names(onnx_file: Path, weights_file: Path) -> dict[str, tuple[str, bool]]:
    """Which tensor of an ONNX export each parameter of the weights it was exported from
    is, and whether the export stores it transposed (a linear layer's weight becomes a
    MatMul's, under a name of the exporter's choosing): found by value, so it holds for
    any export of those weights. Parameters the graph does not use (the pooler) are left
    out."""
    import onnx
    from onnx import numpy_helper
    from safetensors.numpy import load_file

    tensors = {
        init.name: numpy_helper.to_array(init)
        for init in onnx.load(str(onnx_file)).graph.initializer
    }
    by_shape: dict[tuple[int, ...], list[str]] = {}
    for name, array in tensors.items():
        by_shape.setdefault(array.shape, []).append(name)
    places: dict[str, tuple[str, bool]] = {}
    for parameter, array in load_file(str(weights_file)).items():
        for transposed, value in ((False, array), (True, array.T)):
            # The exporter keeps a parameter's own name where it can: that one first.
            candidates = sorted(
                by_shape.get(value.shape, ()),
                key=lambda n: n != parameter and not n.endswith(f".{parameter}"),
            )
            found = next((n for n in candidates if np.array_equal(tensors[n], value)), None)
            if found is not None and array.ndim > 0:
                places[parameter] = (found, transposed and array.ndim == 2)
                break
    if len({name for name, _ in places.values()}) < len(places):
        raise ModelError(f"two parameters match one tensor of {Path(onnx_file).name}")
    return places
