"""The ``kbqa`` command: a thin shell over the library.

This module parses the command line and hands it to the command's module
(``app.cli.ask``, ``build``, ``evaluate``, ``serve``, ``review``), which calls plain
functions and prints; an expected failure (``KbqaError``) becomes a message on stderr and an
exit code (1 for a failure, 2 for refused input), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from app import __version__
from app.cli.common import say
from app.config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ENV_CORPUS_DIR,
    ENV_FEEDBACK_DIR,
    ENV_HOST,
    ENV_INDEX_DIR,
    ENV_PORT,
)
from app.errors import KbqaError


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    paths = argparse.ArgumentParser(add_help=False)
    paths.add_argument(
        "--corpus-dir",
        metavar="DIR",
        help=f"annotated corpus folder (env {ENV_CORPUS_DIR}; default corpus/)",
    )
    paths.add_argument(
        "--index-dir", metavar="DIR", help=f"index folder (env {ENV_INDEX_DIR}; default index/)"
    )

    parser = argparse.ArgumentParser(
        prog="kbqa",
        description="Answer questions from an annotated guide, with a verdict and verbatim quotes.",
    )
    parser.add_argument("--version", action="version", version=f"kbqa {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", parents=[paths], help="parse, validate and index the corpus")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="cpu",
        help="where to run the model (default cpu; auto picks a GPU if present)",
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="refuse the new index when an annotated question is no longer answered by its "
        "own passage with its own verdict",
    )
    build.add_argument(
        "--sets",
        metavar="DIR",
        help="question sets the regression report re-asks too (default: tests/eval/ for the "
        "checkout's corpus)",
    )
    build.add_argument(
        "--no-report",
        action="store_true",
        help="skip the regression report (re-asking every annotated and evaluation question); "
        "the next report compares with the last answers stored",
    )
    build.add_argument(
        "--retune",
        action="store_true",
        help="tune the encoder on the annotations again, even if few of them changed",
    )
    build.add_argument(
        "--no-tune",
        action="store_true",
        help="embed with the base model, untuned (to measure what tuning gains)",
    )
    build.set_defaults(command="build")

    ask = sub.add_parser("ask", parents=[paths], help="answer a question (or stdin, one per line)")
    ask.add_argument("question", nargs="*", default=None, help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (JSON Lines)")
    ask.set_defaults(command="ask")

    ev = sub.add_parser("eval", parents=[paths], help="measure answers on question sets")
    ev.add_argument(
        "--set",
        action="append",
        metavar="YAML",
        help="question set (repeatable; default: every tests/eval/*.yaml)",
    )
    ev.add_argument(
        "--failures",
        action="store_true",
        help="list the questions answered wrong, by passage with its file:line, "
        "yes↔no opposites first (!!)",
    )
    ev.add_argument(
        "--compare",
        action="store_true",
        help="show what changed since the last stored run (every run is stored beside "
        "the index, in .kbqa-eval/): questions fixed, broken or changed, metric deltas",
    )
    ev.add_argument(
        "--calibrate",
        action="store_true",
        help="sweep fusion weight, refusal threshold and out-of-scope margin on the "
        "tune*.yaml sets and store the best with the index",
    )
    ev.set_defaults(command="evaluate")

    srv = sub.add_parser(
        "serve", parents=[paths], help="start the web UI and the REST API (/api/ask, /docs)"
    )
    srv.add_argument(
        "--host", help=f"address to listen on (env {ENV_HOST}; default {DEFAULT_HOST})"
    )
    srv.add_argument("--port", help=f"port (env {ENV_PORT}; default {DEFAULT_PORT})")
    srv.add_argument(
        "--share", action="store_true", help="also open a public Gradio share link (off by default)"
    )
    srv.add_argument(
        "--feedback-dir",
        metavar="DIR",
        help="where feedback.jsonl and the question log questions.jsonl go "
        f"(env {ENV_FEEDBACK_DIR}; default feedback/)",
    )
    srv.add_argument(
        "--no-log",
        action="store_true",
        help="do not log the questions answered (env KBQA_LOG=0 does the same)",
    )
    srv.add_argument(
        "--workers",
        type=_limit,
        default=1,
        metavar="N",
        help="serve the REST API alone in N processes, one per core (each loads the index); "
        "the page needs the default, 1",
    )
    srv.set_defaults(command="serve")

    rev = sub.add_parser(
        "review", parents=[paths], help="list logged answers that need a maintainer, by passage"
    )
    rev.add_argument(
        "--feedback-dir",
        metavar="DIR",
        help=f"where questions.jsonl and feedback.jsonl are (env {ENV_FEEDBACK_DIR}; "
        "default feedback/)",
    )
    rev.add_argument("--json", action="store_true", help="print the groups as JSON")
    rev.add_argument(
        "--to-eval",
        metavar="FILE.yaml",
        help="write the items as evaluation items (verdicts to confirm by hand)",
    )
    rev.add_argument("--limit", type=_limit, metavar="N", help="only the first N passages (groups)")
    rev.set_defaults(command="review")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="kbqa: %(message)s")
    try:
        # Each command's module loads only when it runs: `kbqa ask` never imports the
        # builder, torch or the web frameworks (a cold ask is a few hundred milliseconds).
        command = importlib.import_module(f"app.cli.{args.command}")
        return command.run(args)
    except KbqaError as err:
        say(f"kbqa: {err}")
        return err.exit_code
    except KeyboardInterrupt:
        say("kbqa: interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`kbqa ask --json < q | head -1`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
