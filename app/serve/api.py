"""The REST API: ``POST /api/ask``, ``POST /api/ask/batch`` and ``GET /api/health``.

JSON in, JSON out, typed: the answer's records (``app.answer.records``) are the response
models, so ``/docs`` and ``/openapi.json`` show the answer contract itself. Every answer
goes through the one path (``app.serve.ask``), and every error is a JSON object
``{"error", "status"}`` with its HTTP status, never a stack trace: 400 for a question kbqa
will not read (empty, too long, not a string, missing, not JSON), 503 while the index
cannot load, 500 (logged) for a bug.

``create_api(asker)`` is the FastAPI app; ``kbqa serve`` mounts the Gradio page on it
(``app.serve.server``), so page and API share one server. ``create_app()`` is a factory for
``uvicorn --factory`` and ``kbqa serve --workers N``: each worker process reads the folders
from the environment (``KBQA_INDEX_DIR`` …) and loads the same read-only index. FastAPI and
pydantic load with this module, which nothing imports at start-up.
"""

import logging
import os
import sys
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, WithJsonSchema
from starlette.exceptions import HTTPException

from app import __version__
from app.answer.engine import Engine
from app.answer.records import Answer
from app.config import Paths
from app.errors import KbqaError
from app.reading.input import MAX_QUESTION_CHARS
from app.serve.ask import INTERNAL, UNAVAILABLE, Asker, Problem
from app.serve.querylog import QuestionLog, enabled

MAX_BATCH = 50  # questions in one POST /api/ask/batch

log = logging.getLogger("kbqa.api")


class ItemProblem(BaseModel):
    """One question of a batch that got no answer; the others still did."""

    question: str | None = Field(description="the question as sent (null when not a string)")
    error: str
    status: int = Field(description="the status this question alone would have got")


class AskRequest(BaseModel):
    question: str = Field(description=f"the question, 1 to {MAX_QUESTION_CHARS:,} characters")


class BatchRequest(BaseModel):
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


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "a question kbqa will not read, or a bad body"},
    503: {"model": Problem, "description": "the index cannot load: try again later"},
    500: {"model": Problem, "description": "a bug; the server logged it"},
}


def problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


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


def create_api(asker: Asker) -> FastAPI:
    """The FastAPI app with the three routes, answering through ``asker``."""
    engine = asker.engine
    api = FastAPI(title="kbqa", version=__version__)

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
        asked = asker.ask(body.question)
        if asked.problem is not None:
            return problem(asked.problem.status, asked.problem.error)
        return asked.answer

    @api.post(
        "/api/ask/batch",
        response_model=BatchResponse,
        responses=ERRORS,
        summary=f"Answer up to {MAX_BATCH} questions",
        tags=["answers"],
    )
    def ask_batch(body: BatchRequest):
        answers: list[dict[str, Any]] = []
        for question in body.questions:
            asked = asker.ask(question)
            if asked.problem is not None and asked.problem.status == 503:
                return problem(503, asked.problem.error)  # the index is down: for every one
            answers.append(asked.to_dict())
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
                description=_description(engine),
                routes=api.routes,
            )
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            schemas = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            examples = _examples(engine)
            if examples and "AskRequest" in schemas:
                schemas["AskRequest"]["examples"] = [{"question": examples[0]}]
                schemas["BatchRequest"]["examples"] = [{"questions": list(examples[:2])}]
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
                'the body must be a JSON object, {"question": "..."} (or {"questions": '
                '["...", ...]} for a batch), sent as application/json'
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


def _description(engine: Engine) -> str:
    """The API's description: the guide's own words (its scope's ``api``), when the index
    loads; the page and the schema say nothing of any one guide otherwise."""
    try:
        return engine.scope(engine.main_language).word("api")
    except (KbqaError, KeyError):
        return "Answers questions from an annotated guide. Errors are JSON `{error, status}`."


def _examples(engine: Engine) -> tuple[str, ...]:
    """The guide's example questions, for the schema's request examples."""
    try:
        return engine.scope(engine.main_language).examples
    except KbqaError:
        return ()


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
    return create_api(Asker(engine, questions))
