"""Incremental, honest builds: the embedding cache, the text pipeline's version, quiet logs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import app.cli.build
import app.index.cache
import app.index.embed
import app.index.store
from app.cli.main import main
from app.corpus.load import load_corpus
from app.errors import IndexProblem
from app.index.build import build_index
from app.index.cache import cache_dir_for
from app.index.embed import FakeEmbedder
from app.index.layout import vector_texts
from app.index.store import load_index
from tests.conftest import FIXTURES


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, noting every call: which texts, and whether bars were asked for."""

    def __init__(self, name: str = FakeEmbedder.name):
        super().__init__()
        self.name = name
        self.calls: list[tuple[list[str], bool]] = []

    @property
    def texts(self) -> list[str]:
        return [t for texts, _ in self.calls for t in texts]

    def encode(self, texts, *, progress=False) -> np.ndarray:
        self.calls.append((list(texts), progress))
        return super().encode(texts, progress=progress)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _vectors(index_dir: Path) -> np.ndarray:
    dense = load_index(index_dir).dense
    return np.vstack([dense.reconstruct(i) for i in range(dense.ntotal)])


def _passage_texts(corpus_dir: Path, passage_id: str) -> set[str]:
    corpus = load_corpus(corpus_dir)
    refs, texts = vector_texts(corpus.passages, corpus.glossary)
    number = next(i for i, p in enumerate(corpus.passages) if p.id == passage_id)
    return {t for ref, t in zip(refs, texts, strict=True) if ref.passage == number}


def _chunks(index_dir: Path) -> list[Path]:
    return sorted(cache_dir_for(index_dir).rglob("*.json"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            "- rule: You have 15 days to appeal.",
            "- rule: You have 15 days to appeal a decision.",
            id="rule",
        ),
        # The quote: its text and its second sentence change; the first sentence is cached.
        pytest.param("After that it is too late.", "After that, it is too late.", id="quote"),
    ],
)
def test_second_build_embeds_only_the_edited_passage(tmp_path: Path, corpus_dir: Path, old, new):
    index_dir = tmp_path / "index"
    first = CountingEmbedder()
    built = build_index(corpus_dir, index_dir, first)
    assert built.embedded == len(set(first.texts))
    assert built.cached == 0
    before = _passage_texts(corpus_dir, "appeal-window")

    _edit(corpus_dir / "b.md", old, new)
    if "rule" not in old:  # a quote is verbatim from the source
        _edit(corpus_dir / "source" / "guide.txt", old, new)
    second = CountingEmbedder()
    rebuilt = build_index(corpus_dir, index_dir, second)

    after = _passage_texts(corpus_dir, "appeal-window")
    assert len(second.calls) == 1
    assert len(second.texts) == len(set(second.texts))  # each new text once
    assert set(second.texts) == after - before
    assert 1 <= len(second.texts) <= 2
    assert rebuilt.embedded == len(second.texts)
    assert rebuilt.cached == rebuilt.manifest["counts"]["vectors"] + rebuilt.manifest["counts"][
        "out_of_scope"
    ] - len(second.texts)
    # The same vectors as a build from nothing.
    scratch = tmp_path / "scratch" / "index"
    build_index(corpus_dir, scratch, FakeEmbedder())
    np.testing.assert_array_equal(_vectors(index_dir), _vectors(scratch))


def test_unchanged_corpus_forced_embeds_nothing(tmp_path: Path, corpus_dir: Path):
    build_index(corpus_dir, tmp_path / "index", FakeEmbedder())
    counting = CountingEmbedder()
    again = build_index(corpus_dir, tmp_path / "index", counting, force=True)
    assert again.built
    assert again.embedded == 0
    assert counting.calls == []


def test_second_language_embeds_only_its_edited_text(tmp_path: Path):
    corpus_dir = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "policy-ru", corpus_dir)
    index_dir = tmp_path / "index"
    build_index(corpus_dir, index_dir, CountingEmbedder(), multilingual=CountingEmbedder("ml"))

    old = "- ru-rule: Абонемент начинает действовать в день"
    _edit(corpus_dir / "01-joining.md", old, "- ru-rule: Абонемент действует с того дня")
    main_model, multilingual = CountingEmbedder(), CountingEmbedder("ml")
    result = build_index(corpus_dir, index_dir, main_model, multilingual=multilingual)

    assert main_model.calls == []  # no English text changed
    assert len(multilingual.texts) == 1
    assert multilingual.texts[0].startswith("Абонемент действует с того дня")
    assert result.embedded == 1
    assert load_index(index_dir, corpus_dir=corpus_dir).locale("ru") is not None


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:40])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes: only the recorded sha256 tells
    path.write_bytes(bytes(data))


def _garbage(path: Path) -> None:
    path.write_text("{not json")


def _other_dim(path: Path) -> None:
    record = json.loads(path.read_text())
    record["dim"] = 32
    path.write_text(json.dumps(record))


def _pickled(path: Path) -> None:
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)


DAMAGES = [
    pytest.param(".npy", _truncate, id="truncated-npy"),
    pytest.param(".npy", _flip, id="altered-npy"),
    pytest.param(".npy", Path.unlink, id="missing-npy"),
    pytest.param(".npy", _pickled, id="pickle"),
    pytest.param(".json", _garbage, id="garbage-json"),
    pytest.param(".json", _truncate, id="truncated-json"),
    pytest.param(".json", _other_dim, id="other-dim"),
]


@pytest.mark.parametrize(("suffix", "damage"), DAMAGES)
def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path, corpus_dir: Path, suffix, damage):
    index_dir = tmp_path / "index"
    build_index(corpus_dir, index_dir, FakeEmbedder())
    expected = _vectors(index_dir)
    (chunk,) = _chunks(index_dir)
    damage(chunk.with_suffix(suffix))
    messages: list[str] = []

    counting = CountingEmbedder()
    # Into another folder: the old index would give its vectors back (see below).
    other = tmp_path / "other-index"
    result = build_index(
        corpus_dir, other, counting, log=messages.append, cache_dir=chunk.parent.parent
    )
    shutil.rmtree(index_dir)
    other.rename(index_dir)

    assert result.built
    assert result.embedded == len(set(counting.texts)) > 0
    assert any("ignoring a damaged embedding cache file" in m for m in messages)
    np.testing.assert_array_equal(_vectors(index_dir), expected)
    assert chunk not in _chunks(index_dir)  # the damaged chunk is gone, a sound one is there
    assert build_index(corpus_dir, index_dir, CountingEmbedder(), force=True).embedded == 0


def test_an_empty_cache_takes_the_vectors_of_the_index_it_replaces(
    tmp_path: Path, corpus_dir: Path
):
    """A fresh clone: no cache, a committed index. An edit embeds only what it changed."""
    index_dir = tmp_path / "index"
    build_index(corpus_dir, index_dir, FakeEmbedder())
    expected = _vectors(index_dir)
    shutil.rmtree(cache_dir_for(index_dir))
    messages: list[str] = []
    counting = CountingEmbedder()
    result = build_index(corpus_dir, index_dir, counting, force=True, log=messages.append)
    assert (result.embedded, counting.texts) == (0, [])
    assert any("from the index" in m for m in messages)
    np.testing.assert_array_equal(_vectors(index_dir), expected)
    # What it took is in the cache now, and an edit embeds its one new text.
    _edit(corpus_dir / "b.md", "Is there an appeal deadline?", "Appeal when?")
    assert build_index(corpus_dir, index_dir, counting).embedded == 1
    assert counting.texts == ["Appeal when?"]


def test_vectors_are_taken_by_their_texts_hash_and_model(tmp_path: Path, corpus_dir: Path):
    index_dir = tmp_path / "index"
    build_index(corpus_dir, index_dir, FakeEmbedder())
    # An index that records no text hashes, built by another pipeline: its texts may have
    # been made otherwise, so none of its vectors is taken.
    shutil.rmtree(cache_dir_for(index_dir))
    (index_dir / "texts.json").unlink()
    _set_pipeline(index_dir, {"version": 1})
    assert build_index(corpus_dir, index_dir, CountingEmbedder(), force=True).embedded > 0
    # Another model's vectors are never taken.
    shutil.rmtree(cache_dir_for(index_dir))
    other = CountingEmbedder(name="fake/another-model")
    assert build_index(corpus_dir, index_dir, other, force=True).embedded > 0
    # A text whose hash the index records gets its vector back, whatever else changed.
    shutil.rmtree(cache_dir_for(index_dir))
    _edit(corpus_dir / "b.md", "Is there an appeal deadline?", "Appeal when?")
    counting = CountingEmbedder(name="fake/another-model")
    assert build_index(corpus_dir, index_dir, counting).embedded == 1
    assert counting.texts == ["Appeal when?"]


def test_cache_that_cannot_be_written_costs_speed_not_the_build(tmp_path: Path, corpus_dir):
    (tmp_path / app.index.cache.CACHE_DIR).write_text("a file where the cache folder would go")
    messages: list[str] = []
    result = build_index(corpus_dir, tmp_path / "index", FakeEmbedder(), log=messages.append)
    assert result.built
    assert any("could not write the embedding cache" in m for m in messages)
    load_index(tmp_path / "index", corpus_dir=corpus_dir)


def test_cache_lies_beside_the_index_never_inside(tmp_path: Path, corpus_dir: Path):
    index_dir = tmp_path / "index"
    build_index(corpus_dir, index_dir, FakeEmbedder())
    cache = cache_dir_for(index_dir)
    assert cache == tmp_path / ".kbqa-cache" / "embeddings"
    assert _chunks(index_dir)
    assert index_dir not in cache.parents
    inside = {p.name for p in index_dir.rglob("*")}
    assert not any(n.endswith(".npy") or "cache" in n for n in inside)
    # A rebuild swaps the index folder; the cache stays where it was, and is used.
    _edit(corpus_dir / "b.md", "Is there an appeal deadline?", "Appeal when?")
    assert build_index(corpus_dir, index_dir, FakeEmbedder()).embedded == 1
    assert not any(p.suffix == ".npy" for p in index_dir.rglob("*"))


def test_chunks_are_merged(tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(app.index.cache, "MAX_CHUNKS", 2)
    index_dir = tmp_path / "index"
    build_index(corpus_dir, index_dir, FakeEmbedder())
    for n in range(5):
        _edit(corpus_dir / "b.md", "Is there an appeal deadline?", f"Appeal deadline {n}?")
        build_index(corpus_dir, index_dir, FakeEmbedder())
        _edit(corpus_dir / "b.md", f"Appeal deadline {n}?", "Is there an appeal deadline?")
        assert len(_chunks(index_dir)) <= 2
    assert build_index(corpus_dir, index_dir, CountingEmbedder()).embedded == 0
    assert not list(cache_dir_for(index_dir).rglob(".tmp-*"))


def _set_pipeline(index_dir: Path, value) -> None:
    path = index_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    if value is None:
        del manifest["pipeline"]
    else:
        manifest["pipeline"] = value
    path.write_text(json.dumps(manifest, indent=2))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"version": 1, "sha256": "0" * 64}, id="the-source-hash-it-replaced"),
        pytest.param({"version": 0}, id="other-version"),
        pytest.param(None, id="absent"),  # an index built before the field existed
    ],
)
def test_other_text_pipeline_makes_the_index_stale(
    tmp_path: Path, corpus_dir: Path, index_dir: Path, value
):
    _set_pipeline(index_dir, value)
    with pytest.raises(IndexProblem, match=r"stale: .*text pipeline.*run `kbqa build`"):
        load_index(index_dir, corpus_dir=corpus_dir)
    load_index(index_dir)  # without the corpus there is nothing to compare with
    counting = CountingEmbedder()
    rebuilt = build_index(corpus_dir, index_dir, counting)
    assert rebuilt.built
    assert counting.calls == []
    load_index(index_dir, corpus_dir=corpus_dir)


class _Terminal:
    """A stderr that says it is a terminal."""

    def __init__(self, stream):
        self.stream = stream

    def isatty(self) -> bool:
        return True

    def __getattr__(self, name):
        return getattr(self.stream, name)


@pytest.mark.parametrize("terminal", [False, True])
def test_build_shows_bars_on_a_terminal_only_and_one_summary(
    tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys, terminal: bool
):
    counting = CountingEmbedder()
    monkeypatch.setattr(app.cli.build, "get_embedder", lambda device="cpu": counting)
    if terminal:
        import sys

        monkeypatch.setattr(sys, "stderr", _Terminal(sys.stderr))
    index_dir = tmp_path / "index"
    args = ["build", "--corpus-dir", str(corpus_dir), "--index-dir", str(index_dir)]

    assert main(args) == 0

    assert counting.calls
    assert {progress for _, progress in counting.calls} == {terminal}
    out, err = capsys.readouterr()
    summaries = [line for line in (out + err).splitlines() if f"{index_dir}:" in line]
    assert summaries == [
        f"built {index_dir}: 5 passages, 30 vectors in {summaries[0].split(' in ')[1]}"
    ]
    assert summaries[0].endswith(f"({len(counting.texts)} texts embedded, 0 from the cache)")
    assert "Batches" not in err
