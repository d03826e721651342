"""Rewrite tests/golden/*.json from the fixture corpus; review the diff before committing.

python scripts/update_golden.py
"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.corpus.load import load_corpus  # noqa: E402
from app.index.build import build_index  # noqa: E402
from app.index.embed import FakeEmbedder  # noqa: E402
from app.index.layout import PIPELINE_VERSION  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402
from tests.test_analyses import golden_record  # noqa: E402
from tests.test_compose import answer, evidence  # noqa: E402
from tests.test_index import FIXED_TIME  # noqa: E402
from tests.test_pipeline import CORPORA, tables  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"
FIXTURE = ROOT / "tests" / "fixtures" / "corpus"


def write(name: str, data: object) -> None:
    (GOLDEN / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote tests/golden/{name}")


def main() -> None:
    record_pipeline()  # first: it may refuse, and then nothing is rewritten
    write("passage.json", load_corpus(FIXTURE).passages[1].to_dict())
    write("analysis.json", golden_record())
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(FIXTURE, Path(tmp) / "corpus")
        build_index(
            Path(tmp) / "corpus", Path(tmp) / "index", FakeEmbedder(), now=lambda: FIXED_TIME
        )
        manifest = json.loads((Path(tmp) / "index" / "manifest.json").read_text())
    for name in ("dense.faiss", "out-of-scope.faiss"):
        manifest["files"][name]["sha256"] = "<faiss>"
    write("manifest.json", manifest)
    result = answer(
        "Should I keep the dispute open until the seller pays?",
        evidence("keep-open-until-paid", 0.9, [0.9, 0.6, 0.3, 0.2], sentence_sims=[0.8, 0.3]),
        evidence("appeal-window", 0.85, [0.2, 0.7, 0.1]),
        evidence("late-parcel", 0.5, [0.6, 0.3, 0.2]),
    )
    write("answer.json", result.to_dict())


def record_pipeline() -> None:
    """The fixture corpora's tables under this PIPELINE_VERSION. A version's tables are
    recorded once: if they changed, the version must be raised first."""
    path = GOLDEN / "pipeline.json"
    recorded = json.loads(path.read_text()) if path.exists() else {}
    with tempfile.TemporaryDirectory() as tmp:
        now = {name: tables(FIXTURES / name, Path(tmp) / name) for name in CORPORA}
    version = str(PIPELINE_VERSION)
    for name, entry in recorded.get(version, {}).items():
        same_fixture = entry["corpus"] == now[name]["corpus"]
        if same_fixture and entry["tables"] != now[name]["tables"]:
            sys.exit(
                f"tests/fixtures/{name} is unchanged, yet its tables differ from those "
                f"recorded for pipeline version {version}: raise PIPELINE_VERSION in "
                "app/index/store.py first (an index built before the change must read as stale)"
            )
    write("pipeline.json", {**recorded, version: now})


if __name__ == "__main__":
    main()
