"""Benchmarks: answer latency against a bare encode + FAISS search, and costs at scale.

    python scripts/bench.py [--rounds 3] [--cold-runs 3]
    python scripts/bench.py --scale [--sizes 10000 100000 1000000] [--device auto]
    python scripts/bench.py --engine-scale [--sizes 10000 100000] [--compare-with DIR]
    python scripts/bench.py --lexical [--sizes 10000 100000]

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

--engine-scale builds a whole index of each size (``kbqa build``'s code) from a synthetic
corpus: copies of the real passages, each copy's text recombined with sentences of another
passage, its questions with one recombined question added, ids and conditional points
suffixed per copy (English only: no second language). Embedding a million texts with the
real model is out of reach on a small CPU, so these builds use a cheap deterministic
embedder of the same dimension (384, hashed words); the real model's query encode time is
printed apart, to add to the per-question figures. Each size is built in a fresh process,
and answered in another: start-up (load the index + first answer), p50/p95 of
``Engine.ask`` over real and annotated questions, peak memory (ru_maxrss). With
``--compare-with DIR`` (a checkout of other kbqa code, e.g. ``git worktree add``) the same
index is answered by that code too.

--lexical compares the BM25 inverted index of ``app.index.lexical`` with bm25s on the synthetic
corpora's passages: build time, query p50, and the largest score difference.
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
# --compare-with runs this script's children against another checkout's ``app``.
sys.path.insert(0, os.environ.get("KBQA_BENCH_CODE", str(ROOT)))

from app.answer.engine import Engine  # noqa: E402
from app.maintain.evaluate import load_items  # noqa: E402

BARE_COLD = """
import os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import faiss
from sentence_transformers import SentenceTransformer
from app.index.embed import model_dir
model = SentenceTransformer(str(model_dir()), device="cpu")
index = faiss.read_index(sys.argv[1] + "/dense.faiss")
vector = model.encode([sys.argv[2]], normalize_embeddings=True)
index.search(vector, 10)
"""

# The same with the index's ONNX export: what kbqa's own cold path is measured against.
BARE_COLD_ONNX = """
import json, sys
import faiss
from app.index.onnx_encoder import query_encoder
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
        command = [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)]
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
    from app.reading.text import split_sentences

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        sentences = split_sentences(rng.choice(texts)) + split_sentences(rng.choice(texts))
        rng.shuffle(sentences)
        out.append(" ".join(" ".join(sentences).split()[:120]))
    return out


def scale(sizes: list[int], device: str) -> None:
    from app.index.embed import get_embedder
    from app.index.store import load_index

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

    from app.index.ann import build_dense, recall_at_k

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


class HashingEmbedder:
    """The scale bench's stand-in for the model: hashed words (crc32, signed) in 384
    dimensions, unit length. Deterministic across processes and ~50x cheaper than
    ``FakeEmbedder``; its similarities are cruder than the model's, its costs in FAISS the
    same (same dimension, same index types)."""

    name = "bench/hashing-384"
    dim = 384

    def weights_hash(self) -> str:
        return "bench-hashing-384-v1"

    def encode(self, texts, *, progress: bool = False):
        import re
        import zlib

        import numpy as np

        rows, columns, signs = [], [], []
        for row, text in enumerate(texts):
            for word in re.findall(r"[^\W_]+", text.lower()):
                h = zlib.crc32(word.encode())
                rows.append(row)
                columns.append(h % self.dim)
                signs.append(1.0 if h & 0x10000 else -1.0)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        np.add.at(out, (np.array(rows, dtype=np.int64), np.array(columns)), signs)
        norms = np.linalg.norm(out, axis=1)
        out[norms == 0, 0] = 1.0
        norms[norms == 0] = 1.0
        return out / norms[:, None]


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across
    exec from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def synthetic_corpus(n: int):
    """The real corpus's passages copied and recombined up to ``n`` passages (seeded)."""
    from dataclasses import replace

    from app.corpus.load import load_corpus
    from app.corpus.records import Question
    from app.reading.text import split_sentences

    real = load_corpus(ROOT / "corpus")
    rng = random.Random(n)
    passages = []
    while len(passages) < n:
        copy = len(passages) // len(real.passages)
        for base in real.passages[: n - len(passages)]:
            other = rng.choice(real.passages)
            sentences = split_sentences(base.text) + split_sentences(other.text)[:2]
            rng.shuffle(sentences)
            one, two = rng.choice(real.passages), rng.choice(real.passages)
            words = one.questions[0].text.split()
            more = two.questions[-1].text.split()
            mixed = " ".join(words[: len(words) // 2] + more[len(more) // 2 :])
            passages.append(
                replace(
                    base,
                    id=f"{base.id}~{copy}",
                    text=" ".join(sentences[:4]),
                    questions=(*base.questions, Question(mixed)),
                    point=f"{base.point}~{copy}" if base.point else None,
                    translations=(),
                )
            )
    return replace(real, passages=tuple(passages), locales=())


def engine_build(n: int, folder: Path) -> None:
    """Build the synthetic index of ``n`` passages in ``folder`` (a fresh process)."""
    import app.index.build

    corpus = synthetic_corpus(n)
    app.index.build.load_corpus = lambda _: corpus  # build_index parses; here the corpus is made
    started = time.perf_counter()
    result = app.index.build.build_index(
        ROOT / "corpus", folder / "index", HashingEmbedder(), cache_dir=folder / "cache"
    )
    print(
        json.dumps(
            {
                "build_s": time.perf_counter() - started,
                "passages": result.passages,
                "vectors": result.vectors,
                "faiss": result.manifest["faiss"]["type"],
                "peak_mb": peak_mb(),
            }
        )
    )


def engine_serve(folder: Path, rounds: int) -> None:
    """Start an engine on the synthetic index and answer questions (a fresh process)."""
    from app.answer.engine import Engine
    from app.config import Paths

    real = [item.q for item in load_items(ROOT / "tests" / "eval" / "tune.yaml")]
    started = time.perf_counter()
    paths = Paths(corpus_dir=folder / "none", index_dir=folder / "index", feedback_dir=folder)
    engine = Engine(paths, embedder=HashingEmbedder(), check_corpus=False)
    engine.ask(real[0])
    startup = time.perf_counter() - started
    passages = engine.load().index.passages
    rng = random.Random(len(passages))
    annotated = [q.text for p in rng.sample(passages, 100) for q in p.questions[:1]]
    latencies = []
    for _ in range(rounds):
        for question in real + annotated:
            started = time.perf_counter()
            engine.ask(question)
            latencies.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "startup_s": startup,
                "questions": len(latencies),
                "p50_ms": percentile(latencies, 0.5) * 1e3,
                "p95_ms": percentile(latencies, 0.95) * 1e3,
                "peak_mb": peak_mb(),
            }
        )
    )


def child(args: list[str], code: Path = ROOT) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(code)}
    env["KBQA_BENCH_CODE"] = str(code)
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=code, env=env
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def engine_scale(sizes: list[int], rounds: int, compare: Path | None) -> None:
    import tempfile

    from app.errors import ModelError
    from app.index.embed import get_embedder

    try:
        model = get_embedder("cpu")
        model.encode(["warm up"])
        question = "Should I close the dispute if the seller offers a PayPal refund?"
        times = []
        for _ in range(50):
            started = time.perf_counter()
            model.encode([question])
            times.append(time.perf_counter() - started)
        p50, p95 = percentile(times, 0.5) * 1e3, percentile(times, 0.95) * 1e3
        print(
            f"real model query encode (all-MiniLM-L6-v2, cpu): p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms (add to the figures below)"
        )
    except ModelError as err:
        print(f"real model query encode: n/a ({err})")
    print("synthetic corpora, cheap 384-d hashing embedder (see --help); English only\n")
    print(
        f"{'passages':>9}{'vectors':>10}{'faiss':>14}{'code':>9}{'build s':>9}{'build MB':>9}"
        f"{'start s':>9}{'p50 ms':>8}{'p95 ms':>8}{'peak MB':>9}"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            built = child(["--engine-build", str(n), tmp])
            runs = [("this", child(["--engine-serve", tmp, "--rounds", str(rounds)]))]
            if compare is not None:
                serve = ["--engine-serve", tmp, "--rounds", "1"]
                runs.append((compare.name[:8], child(serve, compare)))
            for name, r in runs:
                print(
                    f"{built['passages']:>9,}{built['vectors']:>10,}{built['faiss']:>14}"
                    f"{name:>9}{built['build_s']:>9.1f}{built['peak_mb']:>9.0f}"
                    f"{r['startup_s']:>9.2f}{r['p50_ms']:>8.1f}{r['p95_ms']:>8.1f}"
                    f"{r['peak_mb']:>9.0f}",
                    flush=True,
                )


def lexical_bench(sizes: list[int]) -> None:
    """``app.index.lexical`` against bm25s (float32, its default, and float64) on the same tokens:
    build, query p50/p95, and the largest difference from ``app.index.lexical``'s scores."""
    import bm25s
    import numpy as np

    from app.index.lexical import Lexical, idf, lexical_tokens, passage_words
    from app.reading.text import compile_replacements

    real = [item.q for item in load_items(ROOT / "tests" / "eval" / "tune.yaml")]
    print(
        f"{'passages':>9}{'engine':>11}{'build s':>9}{'p50 ms':>8}{'p95 ms':>8}{'max |diff|':>12}"
    )
    for n in sizes:
        corpus = synthetic_corpus(n)
        replacements = compile_replacements((g.term, g.meaning) for g in corpus.glossary)
        documents = [lexical_tokens(passage_words(p), replacements) for p in corpus.passages]
        queries = [lexical_tokens(q, replacements) for q in real]
        started = time.perf_counter()
        own = Lexical.build(documents)
        own_build = time.perf_counter() - started
        mine, expected = [], []
        for query in queries:
            started = time.perf_counter()
            expected.append(own.scores(query))
            mine.append(time.perf_counter() - started)
        rows = [("app", own_build, mine, 0.0)]
        for dtype in ("float32", "float64"):
            started = time.perf_counter()
            other = bm25s.BM25(method="lucene", k1=1.2, b=0.75, dtype=dtype)
            other.index(documents, show_progress=False)
            other_build = time.perf_counter() - started
            theirs, diff = [], 0.0
            for query, a in zip(queries, expected, strict=True):
                started = time.perf_counter()
                terms = list(dict.fromkeys(query))
                known = [t for t in terms if t in other.vocab_dict]
                b = other.get_scores(known) if known else np.zeros(n)
                # bm25s drops unknown terms and omits (k1 + 1): normalise as kbqa does.
                best = sum(idf(df(own, t), n) for t in terms)
                b = b / best if best else b
                theirs.append(time.perf_counter() - started)
                diff = max(diff, float(np.abs(a - b).max()))
            rows.append((f"bm25s {dtype}", other_build, theirs, diff))
        for name, build_s, times, diff in rows:
            print(
                f"{n:>9,}{name:>11}{build_s:>9.2f}{percentile(times, 0.5) * 1e3:>8.2f}"
                f"{percentile(times, 0.95) * 1e3:>8.2f}{diff:>12.2e}",
                flush=True,
            )


def df(lexical, term: str) -> int:
    """How many documents of an ``app.index.lexical`` index hold ``term``."""
    column = lexical.terms.get(term)
    return 0 if column is None else int(lexical.starts[column + 1] - lexical.starts[column])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (warm)")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes per command")
    parser.add_argument("--scale", action="store_true", help="embedding and index costs at size")
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="default 10k 100k 1M (--scale), 10k 100k (others)"
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--scale-one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine-scale", action="store_true", help="whole engine at size")
    parser.add_argument("--compare-with", type=Path, help="other kbqa code to answer too")
    parser.add_argument("--lexical", action="store_true", help="app.index.lexical against bm25s")
    parser.add_argument("--engine-build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--engine-serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_build:
        engine_build(int(args.engine_build[0]), Path(args.engine_build[1]))
        return 0
    if args.engine_serve:
        engine_serve(args.engine_serve, args.rounds)
        return 0
    if args.engine_scale:
        engine_scale(args.sizes or [10_000, 100_000], args.rounds, args.compare_with)
        return 0
    if args.lexical:
        lexical_bench(args.sizes or [10_000, 100_000])
        return 0
    if args.scale_one:
        scale_one(args.scale_one)
        return 0
    if args.scale:
        scale(args.sizes or [10_000, 100_000, 1_000_000], args.device)
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
    ask = [sys.executable, "-m", "app.cli.main", "ask", question]
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
