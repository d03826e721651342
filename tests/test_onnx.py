"""The torch-free query path: the index's ONNX export encodes questions as the model does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.answer.engine import Engine
from app.errors import KbqaError
from app.index.build import build_index
from app.index.embed import EditEmbedder, FakeEmbedder, MiniLMEmbedder
from app.index.onnx_encoder import ONNX_FILE, TOKENIZER_FILE, query_encoder
from app.index.store import load_index
from app.index.tuned import for_index
from tests.conftest import REPO

QUESTIONS = [
    "Can I reopen a dispute after closing it?",
    "seller sayz close the disput and he sends money on paypal, ok??",
    "продавец просит закрыть спор",
    "refund " * 300,  # past the model's 256 tokens: truncated the same way
]


class Recording(FakeEmbedder):
    """A fake model that counts the texts it was asked to encode."""

    def __init__(self, weights: str = "w1"):
        super().__init__()
        self.weights, self.texts = weights, 0

    def weights_hash(self) -> str:
        return self.weights

    def encode(self, texts, *, progress=False):
        self.texts += len(texts)
        return super().encode(texts)


def test_an_edit_is_embedded_by_the_export_and_a_bulk_by_the_model():
    model, export = Recording(), Recording()
    edit = EditEmbedder(model, export)
    edit.encode(["a rule", "a question"])
    assert (export.texts, model.texts) == (2, 0)
    edit.encode(["text"] * (EditEmbedder.SMALL + 1))
    assert (export.texts, model.texts) == (2, EditEmbedder.SMALL + 1)


def test_an_export_of_other_weights_is_never_used():
    model, export = Recording("new weights"), Recording("old weights")
    EditEmbedder(model, export).encode(["a rule"])
    assert (export.texts, model.texts) == (0, 1)
    assert EditEmbedder(model, None).encode(["a rule"]).shape == (1, 64)


def test_an_index_built_with_the_fake_model_has_no_query_encoder(index_dir):
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert "query_encoder" not in manifest
    assert query_encoder(index_dir, manifest) is None


def test_an_unknown_encoder_setting_is_refused(monkeypatch):
    monkeypatch.setenv("KBQA_ENCODER", "tensorflow")
    with pytest.raises(KbqaError, match="KBQA_ENCODER must be one of auto, torch"):
        Engine()


@pytest.mark.integration
def test_the_committed_index_records_its_query_encoder():
    index = load_index(REPO / "index")
    record = index.manifest["query_encoder"]
    # The export is the base model's; the tuning goes on top, and the two make the vectors.
    assert record["exported_from"] == MiniLMEmbedder().weights_hash()
    assert record["exported_from"] == index.manifest["encoder_tuning"]["base"]["weights_sha256"]
    assert record["weights_sha256"] == index.manifest["model"]["weights_sha256"]
    assert record["tuning"]["file"] == "encoder-tuning.npz"
    assert record["precision"] == "float32"
    for name in (ONNX_FILE, TOKENIZER_FILE):
        assert index.manifest["files"][name]["bytes"] == (REPO / "index" / name).stat().st_size


@pytest.mark.integration
def test_onnx_encodes_questions_as_sentence_transformers_does():
    index = load_index(REPO / "index")
    onnx = query_encoder(index.path, index.manifest)
    assert onnx is not None
    tuned = for_index(index.path, index.manifest, MiniLMEmbedder())
    exported, reference = onnx.encode(QUESTIONS), tuned.encode(QUESTIONS)
    assert exported.shape == reference.shape == (len(QUESTIONS), 384)
    assert np.abs(exported - reference).max() < 1e-5


@pytest.mark.integration
def test_a_rebuild_reuses_the_cached_export(tmp_path):
    """The second build of a corpus copies the export from the cache: same bytes."""
    corpus = REPO / "tests" / "fixtures" / "corpus"
    cache = tmp_path / "cache"
    first = build_index(corpus, tmp_path / "a", MiniLMEmbedder(), cache_dir=cache)
    second = build_index(corpus, tmp_path / "b", MiniLMEmbedder(), cache_dir=cache)
    assert first.manifest["query_encoder"] == second.manifest["query_encoder"]
    assert first.manifest["files"][ONNX_FILE] == second.manifest["files"][ONNX_FILE]
    assert len(list((cache / "onnx").iterdir())) == 1
    engine = Engine(_paths(corpus, tmp_path / "b"))
    assert engine.runtime == "onnxruntime"
    assert engine.ask("Can I reopen a dispute?").quotes


def _paths(corpus, index):
    from app.config import Paths

    return Paths(corpus, index, index.parent / "feedback")


@pytest.mark.integration
def test_preload_hands_its_encoder_to_the_engine_and_not_to_other_files(tmp_path):
    import shutil

    from app.index.onnx_encoder import preload

    folder = tmp_path / "index"
    shutil.copytree(REPO / "index", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    preload(folder)
    early = query_encoder(folder, manifest)
    assert query_encoder(folder, manifest) is early
    assert early.encode(["Can I reopen a dispute?"]).shape == (1, 384)
    # A rebuild swaps in another file under the same name: not the preloaded encoder.
    (folder / ONNX_FILE).unlink()
    shutil.copyfile(REPO / "index" / ONNX_FILE, folder / ONNX_FILE)
    assert query_encoder(folder, manifest) is not early
