"""The REST API: ``POST /api/ask``, ``POST /api/ask/batch`` and ``GET /api/health``.

JSON in, JSON out, typed: the response models below mirror the records of ``app.answer.records``
field for field, so ``/docs`` and ``/openapi.json`` show the answer contract itself
(``Answer.to_dict``), not "any". Every error is a JSON object ``{"error", "status"}`` with
its HTTP status, never a stack trace: 400 for a question kbqa will not read (empty, longer
than ``MAX_QUESTION_CHARS``, not a string, missing, not JSON), 503 while the index cannot
load, 500 (logged here) for a bug.

``create_api(engine, questions)`` is the FastAPI app; ``kbqa serve`` mounts the Gradio page
on it (``app.serve.server.serve``), so page and API share one server. ``create_app()`` is a factory
for ``uvicorn --factory`` and ``kbqa serve --workers N``: each worker process reads the
folders from the environment (``KBQA_INDEX_DIR`` …) and loads the same read-only index.
FastAPI and pydantic load with this module, which nothing imports at start-up.
"""

import logging
import os
import sys
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException

from app import __version__
from app.answer.engine import MAX_QUESTION_CHARS, Engine, clean_question, is_cut
from app.answer.records import VERDICTS
from app.config import ENV_CORPUS_DIR, ENV_FEEDBACK_DIR, ENV_INDEX_DIR, Paths
from app.errors import InputError, KbqaError
from app.reading.sanitize import readable
from app.serve.querylog import ENV_LOG, QuestionLog, enabled

MAX_BATCH = 50  # questions in one POST /api/ask/batch
UNAVAILABLE = "kbqa cannot answer right now: its index is unavailable; try again in a moment"
INTERNAL = "kbqa failed on this request; the server logged why"

log = logging.getLogger("kbqa.api")


# The answer contract, record by record (app/answer.py): same names, same fields, same order.


class Why(BaseModel):
    """Why a passage was quoted: its best-matching vector and its two ranks."""

    matched: str = Field(description='"question", "rule", "sentence" or "text"')
    matched_text: str
    dense: float
    lexical: float
    dense_rank: int
    lexical_rank: int


class Note(BaseModel):
    """A glossary term of the quote and what it means."""

    term: str
    means: str


class Quote(BaseModel):
    """A passage of the guide, verbatim, with the sentence that answers highlighted."""

    id: str
    section: str
    text: str
    highlight: str = Field(description="the sentence of `text` that answers the question")
    score: float
    why: Why
    notes: list[Note]


class Confidence(BaseModel):
    band: Literal["high", "medium", "low", "none"]
    score: float


class Option(BaseModel):
    """One answer to a clarifying question: what kbqa says if the buyer picks it."""

    label: str
    verdict: Literal[VERDICTS]
    headline: str
    quotes: list[str] = Field(description="ids of the quotes that support this side, first first")


class Clarify(BaseModel):
    """The guide's verdict turns on something the question did not say: ask it."""

    question: str
    options: list[Option]


class Answer(BaseModel):
    """kbqa's answer: the JSON contract of `kbqa ask --json`, Gradio's /ask and this API."""

    question: str = Field(description="the question as kbqa read it")
    verdict: Literal[VERDICTS]
    headline: str
    quotes: list[Quote]
    confidence: Confidence
    related: list[str]
    clarify: Clarify | None = Field(
        description="null, or a question whose options each carry a whole answer"
    )
    language: str = Field(description="the question's language, which the headline is worded in")


class Problem(BaseModel):
    """An error: what went wrong, in words, and the HTTP status."""

    error: str
    status: int


class ItemProblem(BaseModel):
    """One question of a batch that got no answer; the others still did."""

    question: str | None = Field(description="the question as sent (null when not a string)")
    error: str
    status: int = Field(description="the status this question alone would have got")


class AskRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "How long do I have to appeal?"}]}
    )

    question: str = Field(
        description=f"the buyer's question, 1 to {MAX_QUESTION_CHARS:,} characters"
    )


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"questions": ["How long do I have to appeal?", "Can I cancel?"]}]
        }
    )

    # Any item is taken: one that is not a string fails alone, as an ItemProblem.
    questions: Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_BATCH),
        WithJsonSchema(
            {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_BATCH}
        ),
    ] = Field(description=f"1 to {MAX_BATCH} questions, answered in order")


class BatchResponse(BaseModel):
    answers: list[Answer | ItemProblem] = Field(
        description="one entry per question, in order: its answer, or why it has none"
    )


class Health(BaseModel):
    status: Literal["ok"]
    kbqa_version: str
    index_version: str = Field(description="changes whenever the index folder is rebuilt")
    built_at: str | None
    corpus_hash: str
    model: str = Field(description="the embedding model of the main language")
    encoder: str = Field(
        description="what encodes questions: onnxruntime (the index's export of the model, "
        "no torch) or sentence-transformers"
    )
    languages: list[str] = Field(description="the languages questions are answered in")
    passages: int | None


class _Refused(Exception):
    """A question this API answers with an error status instead of an answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


ERRORS = {
    400: {"model": Problem, "description": "a question kbqa will not read, or a bad body"},
    503: {"model": Problem, "description": "the index cannot load: try again later"},
    500: {"model": Problem, "description": "a bug; the server logged it"},
}


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def checked(question: Any) -> str:
    """The question as sent, or ``_Refused`` (400) when it is not one kbqa reads whole."""
    if not isinstance(question, str):
        raise _Refused(400, f"a question must be a string, not {_json_type(question)}")
    if is_cut(question):
        length = len(readable(question))
        raise _Refused(
            400,
            f"the question is {length:,} characters long; the limit is "
            f"{MAX_QUESTION_CHARS:,}: shorten it",
        )
    try:
        clean_question(question)
    except InputError as err:
        raise _Refused(400, str(err)) from None
    return question


def answer_one(engine: Engine, question: Any, questions: QuestionLog | None) -> dict[str, Any]:
    """The answer contract for one question; ``_Refused`` with the status when there is none.

    With a question log, the answer is logged, as the page logs its answers.
    """
    from app.serve.page import corpus_hash_of

    text = checked(question)
    try:
        answer, ranking = engine.ask_with_hits(text)
    except InputError as err:
        raise _Refused(400, str(err)) from None
    except KbqaError as err:  # IndexProblem, ModelError: nothing this question can fix
        log.error("could not answer: %s", err)
        raise _Refused(503, UNAVAILABLE) from None
    if questions is not None:
        questions.record(answer, ranking, corpus_hash_of(engine))
    return answer.to_dict()


def health_of(engine: Engine) -> dict[str, Any]:
    """What ``GET /api/health`` says of a loadable index (KbqaError when it cannot load)."""
    index = engine.load().index
    manifest = index.manifest
    languages = [engine.main_language] + [i.language.code for i in index.locales if i.language]
    return {
        "status": "ok",
        "kbqa_version": __version__,
        "index_version": index.version,
        "built_at": manifest.get("built_at"),
        "corpus_hash": str(manifest["corpus"]["hash"]),
        "model": str(manifest["model"]["name"]),
        "encoder": engine.runtime,
        "languages": languages,
        "passages": manifest.get("counts", {}).get("passages"),
    }


def create_api(engine: Engine, questions: QuestionLog | None = None) -> FastAPI:
    """The FastAPI app with the three routes (``questions``: the question log, or None)."""
    api = FastAPI(
        title="kbqa",
        version=__version__,
        description=(
            "Answers buyers' questions about AliExpress disputes from an annotated guide: "
            "a verdict, a headline and verbatim quotes. Errors are JSON `{error, status}`."
        ),
    )

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(400, describe(exc.errors()))

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))  # 404, 405: JSON like the rest

    @api.post(
        "/api/ask",
        response_model=Answer,
        responses=ERRORS,
        summary="Answer one question",
        tags=["answers"],
    )
    def ask(body: AskRequest):
        try:
            return answer_one(engine, body.question, questions)
        except _Refused as refused:
            return problem(refused.status, str(refused))
        except Exception:  # a bug: a JSON 500 for the caller, the traceback for the log
            log.exception("POST /api/ask failed")
            return problem(500, INTERNAL)

    @api.post(
        "/api/ask/batch",
        response_model=BatchResponse,
        responses=ERRORS,
        summary=f"Answer up to {MAX_BATCH} questions",
        tags=["answers"],
    )
    def ask_batch(body: BatchRequest):
        answers: list[dict[str, Any]] = []
        try:
            for question in body.questions:
                try:
                    answers.append(answer_one(engine, question, questions))
                except _Refused as refused:
                    if refused.status == 503:  # the index is down: for every question
                        return problem(503, str(refused))
                    given = question if isinstance(question, str) else None
                    answers.append(
                        {"question": given, "error": str(refused), "status": refused.status}
                    )
        except Exception:
            log.exception("POST /api/ask/batch failed")
            return problem(500, INTERNAL)
        return {"answers": answers}

    @api.get(
        "/api/health",
        response_model=Health,
        responses={503: ERRORS[503]},
        summary="The index answering, or 503",
        tags=["service"],
    )
    def health():
        try:
            return health_of(engine)
        except KbqaError as err:
            log.error("health: the index cannot load: %s", err)
            return problem(503, UNAVAILABLE)
        except Exception:
            log.exception("GET /api/health failed")
            return problem(500, INTERNAL)

    routes = {"ask": "POST", "ask/batch": "POST", "health": "GET"}

    @api.api_route(
        "/api/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        include_in_schema=False,
    )
    def elsewhere(rest: str, request: Request):
        """Any other /api/ request: a JSON 404 or 405 here, not the page's (mounted at /)."""
        name = rest.strip("/")
        if name in routes and request.method != routes[name]:
            return problem(405, f"/api/{name} takes {routes[name]} only")
        return problem(404, f"no /api/{rest}: the API is /api/ask, /api/ask/batch, /api/health")

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, without the 422 it documents by default: this API says 400."""
        if api.openapi_schema is None:
            schema = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    return api


def describe(errors: Any) -> str:
    """Pydantic's validation errors of a body, in words a caller can act on."""
    said = []
    for error in errors:
        kind, where = error.get("type", ""), [str(p) for p in error.get("loc", ())]
        field = where[1] if len(where) > 1 and where[0] == "body" else ""
        if kind == "json_invalid":
            text = "the body is not valid JSON"
        elif field == "" or kind in ("model_attributes_type", "dict_type"):
            text = (
                'the body must be a JSON object, e.g. {"question": "How long do I have to '
                'appeal?"} (or {"questions": [...]} for a batch), sent as application/json'
            )
        elif kind == "missing":
            text = f'"{field}" is missing'
        elif kind == "string_type":
            text = f'"{field}" must be a string, not {_json_type(error.get("input"))}'
        elif kind == "list_type":
            text = f'"{field}" must be a list of strings, not {_json_type(error.get("input"))}'
        elif kind == "too_long":
            text = f'"{field}" holds at most {MAX_BATCH} questions; send the rest in another batch'
        elif kind == "too_short":
            text = f'"{field}" needs at least one question'
        else:
            text = f'"{".".join(where[1:])}": {error.get("msg", "invalid")}'
        if text not in said:
            said.append(text)
    return "; ".join(said) or "the request body is not what this endpoint takes"


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    names |= {dict: "an object", type(None): "null", str: "a string"}
    return names.get(type(value), type(value).__name__)


def create_app() -> FastAPI:
    """The API for ``uvicorn --factory app.serve.api:create_app``: one engine per worker process.

    The folders come from the environment (``KBQA_INDEX_DIR``, ``KBQA_CORPUS_DIR``,
    ``KBQA_FEEDBACK_DIR``; ``KBQA_LOG=0`` turns the question log off). The model and index
    load before the worker accepts a request; an index that cannot load yet is no reason to
    stop: the API answers 503 until it can.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.basicConfig(level=logging.WARNING, format="kbqa: %(message)s")
    paths = Paths.resolve()
    engine = Engine(paths)
    try:
        engine.ask("warm-up")  # loads the model and the index; the first encode pays once
    except KbqaError as err:
        log.warning("the index cannot load yet (/api/health answers 503): %s", err)
    questions = QuestionLog(paths.feedback_dir) if enabled() else None
    print(f"kbqa: worker {os.getpid()} ready", file=sys.stderr, flush=True)
    return create_api(engine, questions)


def serve_workers(
    paths: Paths, *, host: str, port: int, workers: int, log_questions: bool = True
) -> None:
    """The API alone in ``workers`` processes (uvicorn's), each with its own engine over
    the same read-only index folder; runs until interrupted. The Gradio page is not served:
    it keeps each visitor's state in one process."""
    import uvicorn

    os.environ[ENV_INDEX_DIR] = str(paths.index_dir)
    os.environ[ENV_CORPUS_DIR] = str(paths.corpus_dir)
    os.environ[ENV_FEEDBACK_DIR] = str(paths.feedback_dir)
    if not log_questions:
        os.environ[ENV_LOG] = "0"
    print(
        f"kbqa: serving the API on http://{host}:{port}/api/ask with {workers} worker "
        f"processes, each loading {paths.index_dir}  (schema: /docs; Ctrl-C stops)",
        flush=True,
    )
    print("kbqa: the page is served by `kbqa serve` without --workers", flush=True)
    if log_questions:
        print(f"kbqa: questions are logged to {QuestionLog(paths.feedback_dir).path}", flush=True)
    else:
        print("kbqa: questions are not logged (--no-log or KBQA_LOG=0)", flush=True)
    from uvicorn.supervisors import Multiprocess

    from app.serve.server import listening_socket

    config = uvicorn.Config(
        "app.serve.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
    # What uvicorn.run does for workers, with kbqa's socket: a taken port is a message, and
    # answers are not held back by Nagle's algorithm (see ``listening_socket``).
    listening = listening_socket(host, port)
    listening.set_inheritable(True)
    Multiprocess(config, sockets=[listening]).run()
