"""Latency benchmark: kbqa's full answer path against a bare encode + FAISS search.

    python scripts/bench.py [--rounds 3] [--cold-runs 3]

Prints warm per-question latency (p50/p95, in-process, model and index already loaded) and
cold ``kbqa ask`` wall time, and the same two figures for the bare baseline (encode the
question with all-MiniLM-L6-v2, search the same FAISS index), with kbqa/bare ratios.
A benchmark, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine import Engine  # noqa: E402
from app.evaluate import load_items  # noqa: E402

BARE_COLD = """
import os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import faiss
from sentence_transformers import SentenceTransformer
from app.embed import model_dir
model = SentenceTransformer(str(model_dir()), device="cpu")
index = faiss.read_index(sys.argv[1] + "/dense.faiss")
vector = model.encode([sys.argv[2]], normalize_embeddings=True)
index.search(vector, 10)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def warm(questions: list[str], rounds: int) -> tuple[list[float], list[float]]:
    engine = Engine()
    engine.ask(questions[0])  # load model and index, JIT warm-up
    retriever = engine.load()
    model, index = retriever.embedder, retriever.index.dense
    model.encode([questions[0]])
    kbqa, bare = [], []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            index.search(model.encode([question]), 10)
            bare.append(time.perf_counter() - started)
            started = time.perf_counter()
            engine.ask(question)
            kbqa.append(time.perf_counter() - started)
    return kbqa, bare


def cold(command: list[str], runs: int) -> list[float]:
    times = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (warm)")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes per command")
    args = parser.parse_args()

    questions = [item.q for item in load_items(ROOT / "tests" / "eval" / "tune.yaml")]
    kbqa, bare = warm(questions, args.rounds)
    print(f"warm, in-process, {len(kbqa)} questions ({len(questions)} x {args.rounds})")
    print(f"  {'':24}{'p50 ms':>10}{'p95 ms':>10}")
    for name, values in (("kbqa ask", kbqa), ("bare encode+search", bare)):
        p50, p95 = percentile(values, 0.5) * 1e3, percentile(values, 0.95) * 1e3
        print(f"  {name:24}{p50:>10.1f}{p95:>10.1f}")
    ratio50 = percentile(kbqa, 0.5) / percentile(bare, 0.5)
    ratio95 = percentile(kbqa, 0.95) / percentile(bare, 0.95)
    print(f"  {'ratio kbqa / bare':24}{ratio50:>10.2f}{ratio95:>10.2f}")

    question = "Should I close the dispute if the seller offers a PayPal refund?"
    kbqa_cold = cold([sys.executable, "-m", "app.cli", "ask", question], args.cold_runs)
    bare_cold = cold(
        [sys.executable, "-c", BARE_COLD, str(ROOT / "index"), question], args.cold_runs
    )
    print(f"\ncold, a fresh process per question (median of {args.cold_runs})")
    print(f"  {'kbqa ask':24}{statistics.median(kbqa_cold):>10.2f} s")
    print(f"  {'bare encode+search':24}{statistics.median(bare_cold):>10.2f} s")
    ratio = statistics.median(kbqa_cold) / statistics.median(bare_cold)
    print(f"  {'ratio kbqa / bare':24}{ratio:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
