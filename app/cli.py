"""The ``kbqa`` command: a thin shell over the library.

Each subcommand parses its flags, calls plain functions, and turns ``KbqaError`` into a
message on stderr and an exit code (1 for a failure, 2 for refused input). No traceback
reaches the user for an expected failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__
from app.config import ENV_CORPUS_DIR, ENV_FEEDBACK_DIR, ENV_INDEX_DIR, PROJECT_ROOT, Paths
from app.errors import CorpusError, InputError, KbqaError

DEFAULT_EVAL = PROJECT_ROOT / "tests" / "eval"
ENV_HOST, ENV_PORT = "KBQA_HOST", "KBQA_PORT"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    from app.embed import get_embedder
    from app.index import build_index

    paths = Paths.resolve(args.corpus_dir, args.index_dir)
    try:
        result = build_index(
            paths.corpus_dir,
            paths.index_dir,
            get_embedder(args.device),
            force=args.force,
            log=lambda message: _err(f"kbqa: {message}"),
            progress=True,
        )
    except CorpusError as err:
        for issue in err.issues:
            _err(str(issue))
        _err(
            f"kbqa: {len(err.issues)} corpus problem(s); the index in {paths.index_dir} "
            "was not changed"
        )
        return 1
    if result.built:
        print(
            f"built {result.index_dir}: {result.passages} passages, {result.vectors} vectors "
            f"in {result.seconds:.1f} s"
        )
    else:
        print(
            f"index is up to date ({result.index_dir}, corpus "
            f"{result.manifest['corpus']['hash'][:12]}); use --force to rebuild"
        )
    return 0


def _engine(args: argparse.Namespace, *, build_missing: bool = False):
    """The engine for these paths; with build_missing, a missing index is built first."""
    from app.engine import Engine

    engine = Engine(Paths.resolve(args.corpus_dir, args.index_dir))
    if build_missing:
        engine.build_if_missing(lambda message: _err(f"kbqa: {message}"))
    return engine


def cmd_ask(args: argparse.Namespace) -> int:
    from app.engine import clean_question
    from app.render import render_text

    if args.question:
        question = " ".join(args.question)
        clean_question(question)  # refuse empty input before loading anything
        engine = _engine(args, build_missing=True)
        answer = engine.ask(question)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            labels = engine.labels(answer.language)
            print(render_text(answer, color=_color(sys.stdout), labels=labels))
        return 0
    if sys.stdin.isatty():
        _err('kbqa: give a question (kbqa ask "…") or pipe questions, one per line, into stdin')
        return 2
    engine = _engine(args, build_missing=True)
    for line in sys.stdin:
        try:
            answer = engine.ask(line)
        except InputError as err:
            if args.json:
                print(json.dumps({"question": line.strip(), "error": str(err)}), flush=True)
            else:
                _err(f"kbqa: {err}")
            continue
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            labels = engine.labels(answer.language)
            print(render_text(answer, color=_color(sys.stdout), labels=labels) + "\n", flush=True)
    return 0


def _color(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def cmd_eval(args: argparse.Namespace) -> int:
    from app import calibrate as calibration
    from app import evaluate
    from app.evalset import load_sets

    paths = [Path(p) for p in args.set] if args.set else evaluate.default_sets(DEFAULT_EVAL)
    sets = load_sets(paths)  # every set validated before the model loads
    engine = _engine(args)
    if args.calibrate:
        tuning = [p for p in sets if p.stem.startswith("tune")]
        if not tuning:
            _err("kbqa: --calibrate needs a tuning set (a file named tune*.yaml)")
            return 2
        by_language: dict[str, list[Path]] = {}
        for path in tuning:
            language = calibration.set_language(engine, sets[path])
            by_language.setdefault(language, []).append(path)
        results = {}
        for language, paths_of in by_language.items():
            items = [item for path in paths_of for item in sets[path]]
            names = ", ".join(p.name for p in paths_of)
            _err(f"kbqa: calibrating {language} on {names} ({len(items)} questions)")
            settings, sweep = calibration.calibrate(engine, items, language)
            results[language] = (settings, sweep, paths_of)
            print(f"calibrated {language}: {settings}")
        path = calibration.write_calibration(
            engine.paths.index_dir, results, engine.load().index.manifest
        )
        # The engine notices the new calibration file and reloads, keeping the loaded model.
        print(f"wrote {path}\n")
    by_set = {path.stem: evaluate.run(engine, items) for path, items in sets.items()}
    columns = evaluate.columns(by_set)
    print(evaluate.report({name: evaluate.metrics(rows) for name, rows in columns.items()}))
    # Per kind, the pooled splits when there are any (the per-set blocks would be too wide).
    pooled = {name: rows for name, rows in columns.items() if name not in by_set} or by_set
    print("\n" + evaluate.kind_report({n: evaluate.by_kind(rows) for n, rows in pooled.items()}))
    wrong = evaluate.failures([o for rows in by_set.values() for o in rows])
    if args.failures and wrong:
        print("\n" + "\n".join(wrong))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # Gradio must not phone home: this machine has no internet, and buyers' questions stay here.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from app.feedback import FeedbackLog
    from app.ui import serve

    paths = Paths.resolve(args.corpus_dir, args.index_dir, args.feedback_dir)
    port = _port(args.port or os.environ.get(ENV_PORT) or DEFAULT_PORT)
    host = args.host or os.environ.get(ENV_HOST) or DEFAULT_HOST
    _check_free(host, port)  # before the slow model load, not after it
    engine = _engine(args, build_missing=True)
    _err(f"kbqa: loading the model and the index in {paths.index_dir} …")
    serve(engine, host=host, port=port, share=args.share, feedback=FeedbackLog(paths.feedback_dir))
    return 0


def _check_free(host: str, port: int) -> None:
    import socket

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
        description="Answer buyers' questions from an annotated guide, with verbatim quotes.",
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
    build.set_defaults(func=cmd_build)

    ask = sub.add_parser("ask", parents=[paths], help="answer a question (or stdin, one per line)")
    ask.add_argument("question", nargs="*", default=None, help="the question; omit to read stdin")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (JSON Lines)")
    ask.set_defaults(func=cmd_ask)

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
        help="list the questions answered wrong, yes↔no opposites first (!!)",
    )
    ev.add_argument(
        "--calibrate",
        action="store_true",
        help="sweep fusion weight, refusal threshold and out-of-scope margin on the "
        "tune*.yaml sets and store the best with the index",
    )
    ev.set_defaults(func=cmd_eval)

    srv = sub.add_parser("serve", parents=[paths], help="start the web UI (and the /ask API)")
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
        help=f"where feedback.jsonl goes (env {ENV_FEEDBACK_DIR}; default feedback/)",
    )
    srv.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="kbqa: %(message)s")
    try:
        return args.func(args)
    except KbqaError as err:
        _err(f"kbqa: {err}")
        return err.exit_code
    except KeyboardInterrupt:
        _err("kbqa: interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`kbqa ask --json < q | head -1`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
