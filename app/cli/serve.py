"""``kbqa serve``: the page, Gradio's ``/ask`` and the REST API on one port, or the API alone
in N processes."""

from __future__ import annotations

import argparse
import os
import socket

from app.cli.common import engine_for, say
from app.config import DEFAULT_HOST, DEFAULT_PORT, ENV_HOST, ENV_PORT, Paths
from app.errors import InputError, KbqaError
from app.serve.feedback import FeedbackLog
from app.serve.querylog import QuestionLog, enabled
from app.serve.server import serve, serve_workers


def run(args: argparse.Namespace) -> int:
    # Gradio must not phone home: this machine has no internet, and buyers' questions stay here.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    paths = Paths.resolve(args.corpus_dir, args.index_dir, args.feedback_dir)
    port = _port(args.port or os.environ.get(ENV_PORT) or DEFAULT_PORT)
    host = args.host or os.environ.get(ENV_HOST) or DEFAULT_HOST
    _check_free(host, port)  # before the slow model load, not after it
    if args.workers > 1 and args.share:
        raise InputError("--share serves the page, which runs in one process: drop --workers")
    engine = engine_for(args, build_missing=True)
    if args.workers > 1:
        # The API alone, in N processes: each loads the (read-only) index folder itself.
        serve_workers(
            paths, host=host, port=port, workers=args.workers, log_questions=enabled(args.no_log)
        )
        return 0
    say(f"kbqa: loading the model and the index in {paths.index_dir} …")
    questions = QuestionLog(paths.feedback_dir) if enabled(args.no_log) else None
    feedback = FeedbackLog(paths.feedback_dir)
    serve(engine, host=host, port=port, share=args.share, feedback=feedback, questions=questions)
    return 0


def _check_free(host: str, port: int) -> None:

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as err:
            raise KbqaError(
                f"cannot listen on {host}:{port} ({err.strerror}); choose another with --port"
            ) from None


def _port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        raise InputError(f"port must be a number, not {value!r}") from None
    if not 0 < port < 65536:
        raise InputError(f"port must be between 1 and 65535, not {port}")
    return port
