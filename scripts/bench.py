"""Benchmarks: answer latency against a bare encode + FAISS search, and costs at scale.

    python scripts/bench.py [--rounds 3] [--cold-runs 3]
    python scripts/bench.py --scale [--sizes 10000 100000 1000000] [--device auto]

Default: warm per-question latency (p50/p95, in-process, model and index loaded) and cold
``kbqa ask`` wall time, with the same two figures for the bare baseline (encode the question
with the same encoder, the index's ONNX export of all-MiniLM-L6-v2, and search the same
FAISS index) and the kbqa/bare ratios; cold ``kbqa ask`` again on the torch path
(``KBQA_ENCODER=torch``, sentence-transformers) for the ratio; and how long ``kbqa serve``
takes until its REST API, then its page, answer.

--scale measures the two costs of a bigger corpus apart: embedding throughput on ~2,000
synthetic passages (seeded recombinations of real ones), and the FAISS index at each size
(real embeddings mixed and noised, seeded): build time, size on disk, peak memory, query
p50/p95 and, for the approximate index chosen above the threshold, recall@10 against exact
search. A benchmark, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

# The same with the index's ONNX export: what kbqa's own cold path is measured against.
BARE_COLD_ONNX = """
import json, sys
import faiss
from app.onnx_encoder import query_encoder
folder = sys.argv[1]
encoder = query_encoder(folder, json.load(open(folder + "/manifest.json")))
index = faiss.read_index(folder + "/dense.faiss")
index.search(encoder.encode([sys.argv[2]]), 10)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def warm(questions: list[str], rounds: int) -> tuple[list[float], list[float]]:
    engine = Engine()
    engine.ask(questions[0])  # load model and index, JIT warm-up
    retriever = engine.load()
    retriever.embedder.encode([questions[0]])
    return timed(engine, retriever, questions, rounds)


def timed(engine: Engine, retriever, questions: list[str], rounds: int):
    """Each question answered, and encoded + searched bare with the same model and index."""
    model, index = retriever.embedder, retriever.index.dense
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


def warm_language(
    questions: list[str], rounds: int, language: str
) -> tuple[float, list[float], list[float]]:
    """A second language: the first question (its model loads lazily), then warm answers
    against a bare encode + search with the same multilingual model and its index."""
    engine = Engine()
    engine.ask("warm-up")  # the English side loaded, as in a running server
    started = time.perf_counter()
    engine.ask(questions[0])
    first = time.perf_counter() - started
    kbqa, bare = timed(engine, engine.retriever_for(language), questions, rounds)
    return first, kbqa, bare


def cold(command: list[str], runs: int, **env: str) -> list[float]:
    times = []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **env}
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
        times.append(time.perf_counter() - started)
    return times


def serve_start(runs: int) -> tuple[list[float], list[float]]:
    """Seconds from starting ``kbqa serve`` until /api/health answers, and until the page
    does (each run a fresh process)."""
    import socket
    import urllib.request

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    api, page = [], []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), "KBQA_LOG": "0"}
    for _ in range(runs):
        port = free_port()
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
        started = time.perf_counter()
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            ready_api = ready_page = None
            while ready_page is None and time.perf_counter() - started < 120:
                if ready_api is None and answers(base + "/api/health"):
                    ready_api = time.perf_counter() - started
                if ready_api is not None and answers(base + "/"):
                    ready_page = time.perf_counter() - started
                time.sleep(0.05)
            api.append(ready_api if ready_api is not None else float("nan"))
            page.append(ready_page if ready_page is not None else float("nan"))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return api, page


def synthetic_passages(texts: list[str], count: int, seed: int = 7) -> list[str]:
    """Seeded recombinations of real passages: sentences of two, shuffled, at most 120 words."""
    from app.text import split_sentences

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        sentences = split_sentences(rng.choice(texts)) + split_sentences(rng.choice(texts))
        rng.shuffle(sentences)
        out.append(" ".join(" ".join(sentences).split()[:120]))
    return out


def scale(sizes: list[int], device: str) -> None:
    from app.embed import get_embedder
    from app.index import load_index

    index = load_index(ROOT / "index")
    texts = synthetic_passages([p.text for p in index.passages], 2000)
    embedder = get_embedder(device)
    embedder.encode(texts[:64])  # load and warm up
    started = time.perf_counter()
    embedder.encode(texts)
    seconds = time.perf_counter() - started
    words = statistics.mean(len(t.split()) for t in texts)
    print(
        f"embedding: {len(texts)} synthetic passages ({words:.0f} words on average) on "
        f"{getattr(embedder, 'device', device)}: {seconds:.1f} s, "
        f"{len(texts) / seconds:.0f} passages/s"
    )
    print(
        f"\n{'vectors':>10}{'index':>15}{'build s':>10}{'disk MB':>10}{'peak MB':>10}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'recall@10':>11}"
    )
    for n in sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--scale-one", str(n)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{n:>10,}{r['type']:>15}{r['build_s']:>10.1f}{r['disk_mb']:>10.0f}"
            f"{r['peak_mb']:>10.0f}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['recall']:>11.3f}"
        )


def scale_one(n: int) -> None:
    """One index size in a fresh process, so that its peak memory is its own."""
    import resource
    import tempfile

    import faiss
    import numpy as np

    from app.ann import build_dense, recall_at_k

    base = faiss.read_index(str(ROOT / "index" / "dense.faiss"))
    base = base.reconstruct_n(0, base.ntotal)
    rng = np.random.default_rng(n)

    def mixed(count: int) -> np.ndarray:
        a = rng.random((count, 1)).astype(np.float32)
        x = a * base[rng.integers(0, len(base), count)]
        x += (1 - a) * base[rng.integers(0, len(base), count)]
        x += rng.normal(0, 0.04, x.shape).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    vectors = np.concatenate([mixed(min(100_000, n - s)) for s in range(0, n, 100_000)])
    started = time.perf_counter()
    index, description = build_dense(vectors)
    build_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dense.faiss"
        faiss.write_index(index, str(path))
        disk_mb = path.stat().st_size / 2**20
    queries = mixed(200)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        index.search(query.reshape(1, -1), 10)
        latencies.append(time.perf_counter() - started)
    recall = recall_at_k(index, vectors, queries)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "type": description["type"],
                "build_s": build_s,
                "disk_mb": disk_mb,
                "peak_mb": peak_mb,
                "p50_ms": percentile(latencies, 0.5) * 1e3,
                "p95_ms": percentile(latencies, 0.95) * 1e3,
                "recall": recall,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (warm)")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes per command")
    parser.add_argument("--scale", action="store_true", help="embedding and index costs at size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--scale-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_one:
        scale_one(args.scale_one)
        return 0
    if args.scale:
        scale(args.sizes, args.device)
        return 0

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

    ru = [item.q for item in load_items(ROOT / "tests" / "eval" / "tune-ru.yaml")]
    first, kbqa_ru, bare_ru = warm_language(ru, args.rounds, "ru")
    print(f"\nRussian, warm, in-process, {len(kbqa_ru)} questions ({len(ru)} x {args.rounds})")
    print(f"  first Russian question (loads the multilingual model): {first * 1e3:.0f} ms")
    print(f"  {'':24}{'p50 ms':>10}{'p95 ms':>10}")
    for name, values in (("kbqa ask (ru)", kbqa_ru), ("bare encode+search (ru)", bare_ru)):
        p50, p95 = percentile(values, 0.5) * 1e3, percentile(values, 0.95) * 1e3
        print(f"  {name:24}{p50:>10.1f}{p95:>10.1f}")

    question = "Should I close the dispute if the seller offers a PayPal refund?"
    ask = [sys.executable, "-m", "app.cli", "ask", question]
    folder = str(ROOT / "index")
    rows = (
        ("kbqa ask", cold(ask, args.cold_runs)),
        ("bare encode+search", cold([sys.executable, "-c", BARE_COLD_ONNX, folder, question], 1)),
        ("kbqa ask (torch path)", cold(ask, args.cold_runs, KBQA_ENCODER="torch")),
        ("bare (torch)", cold([sys.executable, "-c", BARE_COLD, folder, question], 1)),
    )
    medians = {name: statistics.median(values) for name, values in rows}
    print(f"\ncold, a fresh process per question (median of {args.cold_runs}; bare: 1 run)")
    for name, value in medians.items():
        print(f"  {name:24}{value:>10.2f} s")
    print(f"  {'ratio kbqa / bare':24}{medians['kbqa ask'] / medians['bare encode+search']:>10.2f}")
    ratio = medians["kbqa ask"] / medians["kbqa ask (torch path)"]
    print(f"  {'ratio onnx / torch path':24}{ratio:>10.2f}")

    api, page = serve_start(args.cold_runs)
    print(f"\nkbqa serve, from start (median of {args.cold_runs})")
    print(f"  {'REST API answers':24}{statistics.median(api):>10.2f} s")
    print(f"  {'page answers':24}{statistics.median(page):>10.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
