"""The index's declared pipeline version keeps its promise.

What a build stores from a corpus, before any model (``app.index.tables``: the texts it
embeds, BM25 postings, readings, speller words, each language's words), depends on code.
``PIPELINE_VERSION`` says when that code changed what it stores, and an index of another
version is stale. Two checks hold the version to it:

- the fixture corpora's tables, written afresh, match the golden hashes recorded for this
  version and these fixtures (``tests/golden/pipeline.json``); ``scripts/update_golden.py``
  records them, and refuses to rewrite what a version stores for an unchanged fixture, so a
  change of code that alters what is stored fails here until the version is raised;
- the committed index's tables are what this code writes for the committed corpus, so a
  change that alters them for the real guide (but not for the fixtures) fails too, while a
  comment, a refactor or a rule applied only at answer time leaves the committed index fresh.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.corpus.files import content_hash
from app.corpus.load import load_corpus
from app.index.layout import PIPELINE_VERSION
from app.index.store import file_sha256, load_index
from app.index.tables import write_tables
from tests.conftest import FIXTURES, GOLDEN, REPO

CORPORA = ("corpus", "policy-ru")


def tables(corpus_dir: Path, folder: Path) -> dict[str, object]:
    """The corpus's content hash, and the model-free files its index holds, by name, with
    their sha256."""
    folder.mkdir()
    names = write_tables(folder, load_corpus(corpus_dir))
    hashes = {name: file_sha256(folder / name) for name in sorted(names)}
    return {"corpus": content_hash(corpus_dir), "tables": hashes}


@pytest.mark.parametrize("fixture", CORPORA)
def test_the_fixture_tables_are_the_ones_this_version_promised(fixture: str, tmp_path: Path):
    recorded = json.loads((GOLDEN / "pipeline.json").read_text())
    promised = recorded.get(str(PIPELINE_VERSION))
    assert promised is not None, (
        f"no golden tables for pipeline version {PIPELINE_VERSION}: "
        "run `python scripts/update_golden.py` and review the diff"
    )
    written = tables(FIXTURES / fixture, tmp_path / "tables")
    assert written["corpus"] == promised[fixture]["corpus"], (
        f"tests/fixtures/{fixture} changed: run `python scripts/update_golden.py`"
    )
    now, then = written["tables"], promised[fixture]["tables"]
    changed = sorted(n for n in now.keys() | then.keys() if now.get(n) != then.get(n))
    assert not changed, (
        f"what the build stores changed ({', '.join(changed)}) under the same pipeline "
        f"version {PIPELINE_VERSION}: raise PIPELINE_VERSION in app/index/store.py, run "
        "`python scripts/update_golden.py` and rebuild the committed index"
    )


def test_the_committed_index_holds_what_this_code_stores(tmp_path: Path):
    index = REPO / "index"
    manifest = load_index(index).manifest
    assert manifest["pipeline"] == {"version": PIPELINE_VERSION}, "rebuild: `kbqa build`"
    written = tables(REPO / "corpus", tmp_path / "tables")["tables"]
    changed = sorted(n for n in written if written[n] != manifest["files"][n]["sha256"])
    assert not changed, (
        f"this code stores other {', '.join(changed)} for the committed corpus than the "
        f"committed index holds, under the same pipeline version {PIPELINE_VERSION}: raise "
        "PIPELINE_VERSION and rebuild (`kbqa build`), or undo the change"
    )
