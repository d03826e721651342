"""Load test: N concurrent users asking M questions each of `kbqa serve`, through the REST
API (`POST /api/ask`) and through Gradio's `/ask` (gradio_client).

    python scripts/load.py [--users 20] [--questions 25] [--target rest|gradio|both] [--url URL]
                           [--workers N]

Without --url it starts `kbqa serve` on a free loopback port (with --workers N: the REST API
in N processes, which serves no page, so --target rest) and stops it afterwards. With
--target both (the default) it drives Gradio first, then REST, one after the other, and
prints errors, latency p50/p95/p99 and throughput for each. The load generator runs on the
same machine as the server and shares its cores. A benchmark: it measures, it does not
assert (exit status 1 only when some request failed).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.maintain.evaluate import load_items  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(feedback: str, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "KBQA_FEEDBACK_DIR": feedback},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    ready = url if workers == 1 else f"{url}api/health"  # workers serve no page
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("kbqa serve exited before it was ready")
        try:
            with urllib.request.urlopen(ready, timeout=2):
                return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("kbqa serve was not ready after 300 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def run(url: str, users: int, per_user: int, questions: list[str]) -> dict[str, object]:
    """Gradio's /ask through gradio_client (its queue: join, then the event stream)."""
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


def run_rest(url: str, users: int, per_user: int, questions: list[str]) -> dict[str, object]:
    """``POST /api/ask`` with JSON, one kept-alive HTTP connection per user."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rstrip("/") + "/api/ask"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(users, timeout=120)

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=120)

    def user(n: int) -> None:
        connection = connect()
        with contextlib.suppress(threading.BrokenBarrierError):
            start_line.wait()
        for m in range(per_user):
            question = questions[(n * per_user + m) % len(questions)]
            body = json.dumps({"question": question}).encode()
            started = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                answer = json.loads(response.read())
                ok = response.status == 200 and isinstance(answer, dict) and "verdict" in answer
                problem = None if ok else f"HTTP {response.status}: {str(answer)[:80]}"
            except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                problem = f"{type(err).__name__}: {err}"
                connection.close()
                connection = connect()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors.append(problem)
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(user, range(users)))
    wall = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "wall": wall}


def report(title: str, url: str, users: int, per_user: int, result: dict[str, object]) -> None:
    latencies, errors = result["latencies"], result["errors"]
    total = len(latencies)
    print(title)
    print(f"{users} users x {per_user} questions = {total} requests to {url}")
    print(f"  errors          {len(errors)}")
    for ms, label in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        print(f"  latency {label}     {percentile(latencies, ms) * 1e3:8.0f} ms")
    print(f"  throughput      {total / result['wall']:8.1f} answers/s ({result['wall']:.1f} s)")
    for problem in sorted(set(errors))[:10]:
        print(f"  ! {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=25, help="questions per user")
    parser.add_argument("--url", help="an already running kbqa server")
    parser.add_argument(
        "--target",
        choices=("rest", "gradio", "both"),
        default="both",
        help="POST /api/ask, Gradio's /ask, or both one after the other (default both)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="start `kbqa serve --workers N` (the REST API alone; needs --target rest)",
    )
    args = parser.parse_args()
    if args.workers > 1 and (args.url or args.target != "rest"):
        parser.error("--workers starts the API alone: use it with --target rest, without --url")

    questions = [
        item.q
        for name in ("tune.yaml", "tune2.yaml")
        for item in load_items(ROOT / "tests" / "eval" / name)
    ]
    targets = ("gradio", "rest") if args.target == "both" else (args.target,)
    results = {}
    with tempfile.TemporaryDirectory(prefix="kbqa-load-") as feedback:
        process = None
        url = args.url
        try:
            if url is None:
                process, url = start_server(feedback, args.workers)
            if "gradio" in targets:
                results["gradio"] = run(url, args.users, args.questions, questions)
            if "rest" in targets:
                results["rest"] = run_rest(url, args.users, args.questions, questions)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)

    titles = {
        "gradio": "Gradio /ask (gradio_client: the queue's join, then its event stream)",
        "rest": "REST POST /api/ask (JSON over one kept-alive connection per user)",
    }
    for n, target in enumerate(targets):
        if n:
            print()
        where = url if target == "gradio" else url.rstrip("/") + "/api/ask"
        report(titles[target], where, args.users, args.questions, results[target])
    server = "kbqa serve" + (f" --workers {args.workers}" if args.workers > 1 else "")
    print(
        f"\n({server}; the load generator runs on the same machine and shares its "
        f"{os.cpu_count()} cores)"
    )
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
