"""The REST API (app/api.py) through FastAPI's TestClient: the answer contract, batches,
health, every error as JSON with its status, the OpenAPI schema; then, marked integration,
the real server (page and API on one port) and `kbqa serve --workers 2`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.answer import records
from app.answer.engine import Engine
from app.config import Paths
from app.index.embed import FakeEmbedder
from app.reading.input import MAX_QUESTION_CHARS
from app.serve.api import MAX_BATCH, create_api
from app.serve.ask import Asker
from app.serve.feedback import FeedbackLog
from app.serve.page import mount_page
from app.serve.querylog import QuestionLog, read_log
from tests.conftest import ANSWER_KEYS, REPO, free_port

QUESTION = "How long do I have to appeal?"


@pytest.fixture
def client(engine: Engine) -> TestClient:
    return TestClient(create_api(Asker(engine)))


def assert_problem(response, status: int) -> str:
    """An error: JSON ``{"error", "status"}`` with the status, and no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error", "status"]
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body["error"]


def test_ask_returns_the_answer_contract(client: TestClient, engine: Engine):
    response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ANSWER_KEYS
    # Exactly Answer.to_dict(), through JSON.
    assert body == json.loads(json.dumps(engine.ask(QUESTION).to_dict()))
    assert body["quotes"]
    assert list(body["quotes"][0]) == list(records.Quote.model_fields)


def test_answers_are_logged_when_the_server_logs_questions(engine: Engine, tmp_path: Path):
    questions = QuestionLog(tmp_path / "log")
    client = TestClient(create_api(Asker(engine, questions)))
    client.post("/api/ask", json={"question": QUESTION})
    client.post("/api/ask/batch", json={"questions": ["Can I cancel a dispute?", ""]})
    logged = read_log(tmp_path / "log")
    assert [line["question"] for line in logged] == [QUESTION, "Can I cancel a dispute?"]
    manifest = json.loads((engine.paths.index_dir / "manifest.json").read_text())
    assert {line["corpus_hash"] for line in logged} == {manifest["corpus"]["hash"]}


def test_batch_answers_each_question_and_says_why_a_bad_one_has_none(client: TestClient):
    long = "word " * (MAX_QUESTION_CHARS // 4)
    response = client.post(
        "/api/ask/batch", json={"questions": [QUESTION, "   ", 42, long, "Can I cancel?"]}
    )
    assert response.status_code == 200
    answers = response.json()["answers"]
    assert len(answers) == 5
    assert list(answers[0]) == ANSWER_KEYS
    assert answers[0]["question"] == QUESTION
    assert answers[1] == {
        "question": "   ",
        "error": "the question is empty: type a question",
        "status": 400,
    }
    assert answers[2]["question"] is None
    assert answers[2]["status"] == 400
    assert answers[2]["error"] == "a question must be text, not a number"
    assert answers[3]["status"] == 400
    assert "limit is 1,000" in answers[3]["error"]
    assert list(answers[4]) == ANSWER_KEYS  # after the bad ones, still answered


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"questions": []}, "at least one"),
        ({"questions": [QUESTION] * (MAX_BATCH + 1)}, f"at most {MAX_BATCH}"),
        ({"questions": QUESTION}, "must be a list"),
        ({"question": QUESTION}, '"questions" is missing'),
    ],
)
def test_a_bad_batch_is_a_400(client: TestClient, body, says: str):
    assert says in assert_problem(client.post("/api/ask/batch", json=body), 400)


def test_health_names_the_index(client: TestClient, engine: Engine):
    response = client.get("/api/health")
    assert response.status_code == 200
    health = response.json()
    index = engine.load().index
    assert health["status"] == "ok"
    assert health["index_version"] == index.version
    assert health["corpus_hash"] == index.manifest["corpus"]["hash"]
    assert health["model"] == FakeEmbedder().name
    assert health["languages"] == ["en"]
    assert health["passages"] == len(index.passages)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"question": ""}, "the question is empty"),
        ({"question": " \n\t "}, "the question is empty"),
        ({"question": "x " * MAX_QUESTION_CHARS}, "the limit is 1,000: shorten it"),
        ({"question": 5}, '"question" must be a string, not a number'),
        ({"question": None}, '"question" must be a string, not null'),
        ({"question": ["a"]}, '"question" must be a string, not a list'),
        ({}, '"question" is missing'),
        ({"text": QUESTION}, '"question" is missing'),
        (["How?"], "the body must be a JSON object"),
    ],
)
def test_bad_questions_and_bodies_are_a_400_in_words(client: TestClient, body, says: str):
    assert says in assert_problem(client.post("/api/ask", json=body), 400)


def test_a_question_of_exactly_the_limit_is_answered(client: TestClient):
    question = ("appeal " * MAX_QUESTION_CHARS)[:MAX_QUESTION_CHARS]
    assert client.post("/api/ask", json={"question": question}).status_code == 200
    too_long = client.post("/api/ask", json={"question": question + "s"})
    assert "1,001 characters" in assert_problem(too_long, 400)


def test_a_body_that_is_not_json_is_a_400(client: TestClient):
    headers = {"content-type": "application/json"}
    broken = client.post("/api/ask", content=b'{"question": ', headers=headers)
    assert assert_problem(broken, 400) == "the body is not valid JSON"
    form = client.post("/api/ask", data={"question": QUESTION})  # curl -d without -H
    assert "application/json" in assert_problem(form, 400)


def test_other_api_paths_and_methods_get_json(client: TestClient):
    assert "POST only" in assert_problem(client.get("/api/ask"), 405)
    assert "GET only" in assert_problem(client.post("/api/health"), 405)
    assert "/api/ask" in assert_problem(client.get("/api/nothing"), 404)


def test_a_broken_index_folder_is_a_503(engine: Engine):
    (engine.paths.index_dir / "dense.faiss").write_bytes(b"not a faiss index")
    client = TestClient(create_api(Asker(engine)))
    for response in (
        client.post("/api/ask", json={"question": QUESTION}),
        client.post("/api/ask/batch", json={"questions": [QUESTION]}),
        client.get("/api/health"),
    ):
        error = assert_problem(response, 503)
        assert "try again" in error
        assert str(engine.paths.index_dir) not in error  # server paths stay in the log


def test_a_missing_index_is_a_503_but_a_bad_question_still_a_400(tmp_path: Path, fake):
    broken = Engine(Paths(tmp_path / "no-corpus", tmp_path / "no-index", tmp_path), embedder=fake)
    client = TestClient(create_api(Asker(broken)))
    assert_problem(client.post("/api/ask", json={"question": QUESTION}), 503)
    assert_problem(client.post("/api/ask", json={"question": ""}), 400)


class Buggy:
    """An engine with a bug: anything but a KbqaError."""

    def ask_with_hits(self, question: str):
        raise RuntimeError("a bug")

    def load(self):
        raise RuntimeError("a bug")


def test_a_bug_is_a_json_500_without_the_traceback(caplog):
    client = TestClient(create_api(Asker(Buggy())))  # type: ignore[arg-type]
    assert "logged" in assert_problem(client.post("/api/ask", json={"question": QUESTION}), 500)
    batch = client.post("/api/ask/batch", json={"questions": [QUESTION]})
    assert batch.status_code == 200  # per question, like a question kbqa will not read
    assert batch.json()["answers"][0]["status"] == 500
    assert_problem(client.get("/api/health"), 500)
    assert "a bug" in caplog.text  # the traceback goes to the server's log


def test_openapi_names_the_answer_schema_with_its_fields(client: TestClient):
    schema = client.get("/openapi.json").json()
    models = schema["components"]["schemas"]
    assert list(models["Answer"]["properties"]) == ANSWER_KEYS
    assert models["Answer"]["required"] == ANSWER_KEYS  # clarify too: null, never absent
    assert models["Answer"]["properties"]["verdict"]["enum"] == list(records.VERDICTS)
    ok = schema["paths"]["/api/ask"]["post"]["responses"]
    assert ok["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Answer")
    assert ok["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")
    assert "422" not in ok
    assert "HTTPValidationError" not in models
    assert {"Quote", "Why", "Note", "Confidence", "Clarify", "Option", "Health"} <= set(models)
    assert client.get("/docs").status_code == 200


def test_the_api_answers_with_the_records_themselves(client: TestClient):
    """One schema: the route's response model is the answer's record, not a copy of it."""
    (route,) = [r for r in client.app.routes if getattr(r, "path", "") == "/api/ask"]
    assert route.response_model is records.Answer


def test_the_page_is_mounted_on_the_api(engine: Engine, tmp_path: Path):
    asker = Asker(engine)
    app = create_api(asker)
    mount_page(app, asker, FeedbackLog(tmp_path))
    with TestClient(app) as client:
        assert list(client.post("/api/ask", json={"question": QUESTION}).json()) == ANSWER_KEYS
        page = client.get("/")
        assert page.status_code == 200
        assert "kbqa" in page.text
        info = client.get("/gradio_api/info").json()
        assert "/ask" in info["named_endpoints"]
        assert list(client.get("/openapi.json").json()["paths"]) == [
            "/api/ask",
            "/api/ask/batch",
            "/api/health",
        ]


def test_importing_the_ui_and_the_cli_loads_no_web_framework():
    code = (
        "import sys, app.serve.page, app.cli.main; "
        "print([m for m in ('gradio', 'fastapi', 'uvicorn') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_workers_and_share_do_not_go_together():
    from app.cli.main import main

    assert main(["serve", "--workers", "2", "--share", "--port", str(free_port())]) == 2


def test_serve_workers_runs_the_factory_in_n_processes(monkeypatch, tmp_path: Path):
    import socket

    from app.cli import main as cli
    from app.cli import serve as command
    from app.serve import server

    ran = []

    class Recorder:
        def __init__(self, config, sockets):
            ran.append((config, sockets))

        def run(self):
            pass

    monkeypatch.setattr(server, "Multiprocess", Recorder)
    monkeypatch.setattr(command, "engine_for", lambda args, build_missing=False: object())
    for name in ("KBQA_INDEX_DIR", "KBQA_CORPUS_DIR", "KBQA_FEEDBACK_DIR", "KBQA_LOG"):
        monkeypatch.setenv(name, "")  # restored afterwards: serve_workers sets them
    port = free_port()
    argv = ["serve", "--workers", "3", "--port", str(port), "--no-log"]
    assert cli.main([*argv, "--index-dir", str(tmp_path / "idx")]) == 0
    ((config, sockets),) = ran
    assert config.app == "app.serve.api:create_app"
    assert config.factory is True
    assert (config.workers, config.port) == (3, port)
    # One socket, bound by kbqa on the port, handing answers out without Nagle's delay.
    (sock,) = sockets
    assert sock.getsockname()[1] == port
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    sock.close()
    # What each worker process reads: the same index folder, and the log off.
    assert os.environ["KBQA_INDEX_DIR"] == str(tmp_path / "idx")
    assert os.environ["KBQA_LOG"] == "0"


def post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def listening(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.integration
def test_the_real_server_answers_on_the_page_and_the_api(live_server):
    status, answer = post(f"{live_server.url}api/ask", {"question": QUESTION})
    assert status == 200
    assert list(answer) == ANSWER_KEYS
    assert answer["verdict"] != "not_covered"
    assert post(f"{live_server.url}api/ask", {"question": ""})[0] == 400
    with urllib.request.urlopen(f"{live_server.url}api/health", timeout=30) as response:
        health = json.loads(response.read())
    assert health["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert health["languages"] == ["en", "ru"]
    for page in ("", "docs"):
        with urllib.request.urlopen(f"{live_server.url}{page}", timeout=30) as response:
            assert response.status == 200


@pytest.mark.integration
def test_serve_with_workers_answers_from_every_process(tmp_path: Path):
    port = free_port()
    log = tmp_path / "workers.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env={**os.environ, "KBQA_FEEDBACK_DIR": str(tmp_path / "feedback")},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api/"
    try:
        deadline = time.monotonic() + 240
        while not (log.read_text().count("ready") == 2 and listening(f"{url}health")):
            # both workers loaded the index, and one of them listens
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        status, body = post(f"{url}ask/batch", {"questions": [QUESTION, ""]})
        assert status == 200
        assert list(body["answers"][0]) == ANSWER_KEYS
        assert body["answers"][1]["status"] == 400
        for _ in range(4):
            assert post(f"{url}ask", {"question": QUESTION})[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    logged = read_log(tmp_path / "feedback")
    assert len(logged) == 5
