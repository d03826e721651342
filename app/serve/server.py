"""``kbqa serve``: one uvicorn server for the REST API and the page, listening in seconds.

Importing gradio takes most of a server's start (5-15 s on two cores), and the REST API
does not need it. So the server listens as soon as the index is loaded and one question
answered: ``/api/*`` answers at once, ``/`` says the page is on its way (503, refreshing
itself), and a thread imports gradio, builds the page and mounts it; the page's startup
(its queue) then runs on the server's event loop, as a mount made before start-up would.
Other languages' models load first, in the same thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from typing import TYPE_CHECKING, cast

import uvicorn
from fastapi.responses import HTMLResponse
from starlette.routing import Mount
from uvicorn.supervisors import Multiprocess

from app.answer.engine import Engine
from app.config import ENV_CORPUS_DIR, ENV_FEEDBACK_DIR, ENV_INDEX_DIR, Paths
from app.errors import KbqaError
from app.serve.api import create_api
from app.serve.ask import Asker
from app.serve.feedback import FeedbackLog
from app.serve.page import mount_page
from app.serve.querylog import ENV_LOG, QuestionLog

if TYPE_CHECKING:  # gradio loads in the page's thread, after the server listens
    from gradio.routes import App

log = logging.getLogger("kbqa.server")

LOADING_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="refresh" content="1"><title>kbqa · starting</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto">
<p>kbqa is starting its page; this one reloads itself in a second.</p>
<p>The REST API already answers: <code>POST /api/ask</code>, schema at
<a href="/docs">/docs</a>.</p></body></html>"""


def serve(
    engine: Engine,
    *,
    host: str,
    port: int,
    share: bool,
    feedback: FeedbackLog,
    questions: QuestionLog | None = None,
) -> None:
    """Load the index, listen, then mount the page; run until interrupted. ``questions``
    is the question log (None: questions are not logged)."""
    engine.load()
    engine.ask("warm-up")  # the first encode pays one-off costs; pay them before users do
    asker = Asker(engine, questions)
    api = create_api(asker)

    async def loading() -> HTMLResponse:
        return HTMLResponse(LOADING_PAGE, status_code=503, headers={"Retry-After": "1"})

    api.add_api_route("/", loading, methods=["GET"], include_in_schema=False)
    placeholder = next(r for r in api.router.routes if getattr(r, "endpoint", None) is loading)
    listening = listening_socket(host, port)

    def started() -> None:
        print(f"kbqa: serving on http://{host}:{port}  (Ctrl-C stops)", flush=True)
        print(f"kbqa: REST API at http://{host}:{port}/api/ask, its schema at /docs", flush=True)
        if questions is None:
            print("kbqa: questions are not logged (--no-log or KBQA_LOG=0)", flush=True)
        else:
            print(f"kbqa: questions are logged to {questions.path}", flush=True)
        print(f"kbqa: feedback goes to {feedback.path}", flush=True)

    class Server(uvicorn.Server):
        page_lifespan: contextlib.AsyncExitStack | None = None

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                started()
                loop = asyncio.get_running_loop()
                threading.Thread(target=self.after_listening, args=(loop,), daemon=True).start()

        def after_listening(self, loop: asyncio.AbstractEventLoop) -> None:
            """Each other language's model, which would otherwise load on its first
            question (about 2 s), then the page: one after the other, as loading one while
            importing gradio can fail (see ``Engine.loads_held``), and so that the page
            appears with every language warm (no model load competing with its first users)."""
            try:
                _warm_languages(engine)
            except Exception:  # a model that will not warm is no reason to lose the page
                log.exception("could not load the other languages' models")
            self.add_page(loop)

        def add_page(self, loop: asyncio.AbstractEventLoop) -> None:
            try:
                with engine.loads_held():
                    blocks = mount_page(api, asker, feedback, host=host, port=port)
                asyncio.run_coroutine_threadsafe(self.start_page(), loop).result()
            except Exception:  # the API keeps serving; the page says it is not there
                log.exception("the page could not be started; the REST API still answers")
                return
            print(f"kbqa: page ready at http://{host}:{port}/", flush=True)
            if share:
                _share(blocks, host, port)

        async def start_page(self) -> None:
            """What gradio runs at start-up for a page mounted before it, then the switch
            from the placeholder to the page."""
            # The mount is gradio's App (mount_page); Starlette types it as any ASGI app.
            page = cast(
                "App", next(r.app for r in reversed(api.router.routes) if isinstance(r, Mount))
            )
            stack = contextlib.AsyncExitStack()
            await stack.enter_async_context(page.router.lifespan_context(page))
            page.get_blocks().run_startup_events()
            await page.get_blocks().run_extra_startup_events()
            self.page_lifespan = stack
            api.router.routes.remove(placeholder)

        async def shutdown(self, sockets=None) -> None:
            await super().shutdown(sockets)
            if self.page_lifespan is not None:
                await self.page_lifespan.aclose()

    config = uvicorn.Config(api, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    # Ctrl-C (or SIGTERM) stops it gracefully; uvicorn then re-raises the signal.
    Server(config).run(sockets=[listening])


def listening_socket(host: str, port: int):
    """The server's socket, bound here so that a taken port is a KbqaError, not an exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Connections inherit it: an answer's headers and body leave at once, instead of the
        # body waiting ~40 ms for the client's delayed ACK on a kept-alive connection.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise KbqaError(f"cannot serve on {host}:{port}: {err}") from None
    return sock


def _share(blocks, host: str, port: int) -> None:
    """A public Gradio share link to the server (``--share``), when one can be made."""
    import secrets

    from gradio import networking

    try:
        url = networking.setup_tunnel(host, port, secrets.token_urlsafe(32), None, None)
    except Exception as err:  # noqa: BLE001 - no link is no reason to stop serving
        print(f"kbqa: could not create a share link ({err}); serving locally only", flush=True)
        return
    blocks.share_url = url
    print(f"kbqa: public share link: {url}", flush=True)


def _warm_languages(engine: Engine) -> None:
    for local in engine.load().index.locales:
        if local.scope.examples:
            try:
                engine.ask(local.scope.examples[0])
            except KbqaError as err:
                log.warning(
                    "could not load the %s model: %s", local.language and local.language.code, err
                )


def serve_workers(
    paths: Paths, *, host: str, port: int, workers: int, log_questions: bool = True
) -> None:
    """The API alone in ``workers`` processes (uvicorn's), each with its own engine over
    the same read-only index folder; runs until interrupted. The Gradio page is not served:
    it keeps each visitor's state in one process."""

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
