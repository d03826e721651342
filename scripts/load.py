"""Load test: N concurrent gradio_client users asking M questions each of `kbqa serve`.

    python scripts/load.py [--users 20] [--questions 25] [--url URL]

Without --url it starts `kbqa serve` on a free loopback port and stops it afterwards.
Prints errors, latency p50/p95/p99 and throughput. A benchmark: it measures, it does not
assert (exit status 1 only when some request failed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.evaluate import load_items  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(feedback: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "KBQA_FEEDBACK_DIR": feedback},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("kbqa serve exited before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("kbqa serve was not ready after 300 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def run(url: str, users: int, per_user: int, questions: list[str]) -> dict[str, object]:
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(users, timeout=120)

    def user(n: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as err:  # noqa: BLE001 - a user who cannot connect is an error too
            start_line.abort()  # and the others must not wait for them
            with lock:
                errors.extend([f"connect: {type(err).__name__}: {err}"] * per_user)
            return
        # All users start together; if one could not connect, the rest go anyway.
        with contextlib.suppress(threading.BrokenBarrierError):
            start_line.wait()
        for m in range(per_user):
            question = questions[(n * per_user + m) % len(questions)]
            started = time.perf_counter()
            try:
                answer = client.predict(question, api_name="/ask")
                ok = isinstance(answer, dict) and "verdict" in answer
                problem = None if ok else f"unexpected reply {str(answer)[:80]}"
            except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                problem = f"{type(err).__name__}: {err}"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors.append(problem)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    wall = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "wall": wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=25, help="questions per user")
    parser.add_argument("--url", help="an already running kbqa server")
    args = parser.parse_args()

    questions = [
        item.q
        for name in ("tune.yaml", "tune2.yaml")
        for item in load_items(ROOT / "tests" / "eval" / name)
    ]
    with tempfile.TemporaryDirectory(prefix="kbqa-load-") as feedback:
        process = None
        url = args.url
        try:
            if url is None:
                process, url = start_server(feedback)
            result = run(url, args.users, args.questions, questions)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)

    latencies, errors = result["latencies"], result["errors"]
    total = len(latencies)
    print(f"{args.users} users x {args.questions} questions = {total} requests to {url}")
    print(f"  errors          {len(errors)}")
    for ms, label in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        print(f"  latency {label}     {percentile(latencies, ms) * 1e3:8.0f} ms")
    print(f"  throughput      {total / result['wall']:8.1f} answers/s ({result['wall']:.1f} s)")
    for problem in sorted(set(errors))[:10]:
        print(f"  ! {problem}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
