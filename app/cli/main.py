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
    from app.index.build import build_index
    from app.index.embed import EditEmbedder, MiniLMEmbedder, MultilingualEmbedder, get_embedder
    from app.maintain.regress import carry_snapshot, regression_report, render

    paths = Paths.resolve(args.corpus_dir, args.index_dir)
    embedder, multilingual = get_embedder(args.device), MultilingualEmbedder()
    if isinstance(embedder, MiniLMEmbedder) and embedder.device == "cpu":
        embedder = EditEmbedder(embedder, _current_export(paths.index_dir))
    reported = []

    def check(folder: Path) -> None:
        if args.no_report:
            carry_snapshot(paths.index_dir, folder)  # the next report compares with them
            return
        # The checkout's question sets belong to the checkout's corpus; another corpus
        # names its own with --sets.
        sets = Path(args.sets) if args.sets else None
        if sets is None and paths.corpus_dir == PROJECT_ROOT / "corpus":
            sets = DEFAULT_EVAL
        # The new index's own query encoder asks, as it will when it serves (None), when
        # the model exports one.
        asker = None if hasattr(embedder, "query_encoder_files") else embedder
        report = regression_report(paths, folder, asker, multilingual, sets)
        reported.append(report)
        if args.strict and report.failing:
            raise _StrictFailure()

    try:
        result = build_index(
            paths.corpus_dir,
            paths.index_dir,
            embedder,
            force=args.force,
            log=lambda message: _err(f"kbqa: {message}"),
            # Bars on a terminal only: in a log file or CI they are noise.
            progress=sys.stderr.isatty(),
            multilingual=multilingual,
            check=check,
        )
    except CorpusError as err:
        for issue in err.issues:
            _err(str(issue))
        _err(
            f"kbqa: {len(err.issues)} corpus problem(s); the index in {paths.index_dir} "
            "was not changed"
        )
        return 1
    except _StrictFailure:
        print(render(reported[-1]))
        _err(
            f"kbqa: --strict: {len(reported[-1].failing)} annotated question(s) off their "
            f"passage; the index in {paths.index_dir} was not changed"
        )
        return 1
    if result.built:
        print(
            f"built {result.index_dir}: {result.passages} passages, {result.vectors} vectors "
            f"in {result.seconds:.1f} s ({result.embedded} "
            f"text{'' if result.embedded == 1 else 's'} embedded, {result.cached} from the cache)"
        )
        if reported:
            print(render(reported[-1]))
        _calibration_reminder(paths)
    else:
        print(
            f"index is up to date ({result.index_dir}, corpus "
            f"{result.manifest['corpus']['hash'][:12]}); use --force to rebuild"
        )
    return 0


def _current_export(index_dir: Path):
    """The ONNX query encoder of the index being replaced, if it has one (loaded now, before
    a swap can move its files), else None."""
    from app.index.onnx_encoder import query_encoder
    from app.index.store import manifest_path

    try:
        manifest = json.loads(manifest_path(index_dir).read_text(encoding="utf-8"))
        export = query_encoder(index_dir, manifest)
        if export is not None:
            export.load()
        return export
    except (OSError, ValueError, KbqaError):
        return None


class _StrictFailure(Exception):
    """--strict and an annotated question off its passage: keep the old index."""


def _calibration_reminder(paths: Paths) -> None:
    """Calibration is fitted to the corpus: after a build, say so once if it is stale."""
    calibration = paths.index_dir / "calibration.json"
    manifest = paths.index_dir / "manifest.json"
    try:
        made_for = json.loads(calibration.read_text(encoding="utf-8")).get("corpus_hash")
        built = json.loads(manifest.read_text(encoding="utf-8"))["corpus"]["hash"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    if made_for != built:
        print(
            "calibration was made for the previous corpus: run `kbqa eval --calibrate` "
            "(about a minute) and commit index/ with it"
        )


def _engine(args: argparse.Namespace, *, build_missing: bool = False):
    """The engine for these paths; with build_missing, a missing index is built first."""
    from app.answer.engine import Engine

    engine = Engine(Paths.resolve(args.corpus_dir, args.index_dir))
    if build_missing:
        engine.build_if_missing(lambda message: _err(f"kbqa: {message}"))
    return engine


def cmd_ask(args: argparse.Namespace) -> int:
    from app.index.onnx_encoder import preload

    # Opening the model overlaps with importing and loading the rest (cold ask).
    preload(Paths.resolve(args.corpus_dir, args.index_dir).index_dir)
    from app.reading.input import question_text
    from app.serve.ask import Asked, Asker, Problem

    if args.question:
        question = " ".join(args.question)
        try:
            question_text(question)  # refuse what kbqa will not read before loading anything
        except InputError as err:
            refused = Asked(question, problem=Problem(error=str(err), status=err.status))
            return _print_asked(refused, args.json, None)
        asker = Asker(_engine(args, build_missing=True))
        return _print_asked(asker.ask(question), args.json, asker)
    if sys.stdin.isatty():
        _err('kbqa: give a question (kbqa ask "…") or pipe questions, one per line, into stdin')
        return 2
    asker = Asker(_engine(args, build_missing=True))
    for line in sys.stdin:
        # One answer per line, in order: a question kbqa will not read gets its error (as
        # {question, error, status} in JSON Lines) and the others still get theirs.
        _print_asked(asker.ask(line.rstrip("\n")), args.json, asker, gap=True)
    return 0


def _print_asked(asked, as_json: bool, asker, gap: bool = False) -> int:
    """Print what one question got; the exit status it means (2: refused, 1: unavailable)."""
    from app.serve.render import render_text

    if as_json:
        print(json.dumps(asked.to_dict(), ensure_ascii=False), flush=True)
    if asked.problem is not None:
        _err(f"kbqa: {asked.problem.error}")
        return 2 if asked.problem.status == 400 else 1
    if not as_json:
        labels = asker.engine.labels(asked.answer.language)
        text = render_text(asked.answer, labels, color=_color(sys.stdout))
        print(text + ("\n" if gap else ""), flush=True)
    return 0


def _color(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def cmd_eval(args: argparse.Namespace) -> int:
    from app.maintain import calibrate as calibration
    from app.maintain import evaluate
    from app.maintain.evalset import load_sets

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
            engine.paths.index_dir, results, engine.load().index.manifest, engine.main_language
        )
        # The engine notices the new calibration file and reloads, keeping the loaded model.
        print(f"wrote {path}\n")
    by_set = {path.stem: evaluate.run(engine, items) for path, items in sets.items()}
    columns = evaluate.columns(by_set)
    print(evaluate.report({name: evaluate.metrics(rows) for name, rows in columns.items()}))
    # Per kind, the pooled splits when there are any (the per-set blocks would be too wide).
    pooled = {name: rows for name, rows in columns.items() if name not in by_set} or by_set
    print("\n" + evaluate.kind_report({n: evaluate.by_kind(rows) for n, rows in pooled.items()}))
    every = [o for rows in by_set.values() for o in rows]
    index = engine.load().index
    if args.failures:
        where = evaluate.locations(index.passages, engine.paths.corpus_dir)
        groups = evaluate.failures(every, where)
        misses = sum(1 for o in every if not o.ok)
        if groups:
            print(
                f"\n{misses} question(s) answered wrong, by passage "
                "(yes↔no opposites first, !!):\n\n" + "\n\n".join(groups)
            )
    _store_and_compare(args, by_set, index, engine.paths.index_dir)
    return 0


def _store_and_compare(args: argparse.Namespace, by_set: dict, index, index_dir: Path) -> None:
    """Store this run beside the index (``app.maintain.evalstore``), after printing, with --compare,
    what changed since the stored one. Failing to store never fails the evaluation."""
    from app.maintain import evalstore

    store = evalstore.store_path(index_dir)
    try:
        stored, unreadable = evalstore.read_runs(store), None
    except KbqaError as err:
        stored, unreadable = {}, err
    current = evalstore.snapshot(
        by_set, index=index.version, corpus_hash=index.manifest["corpus"]["hash"]
    )
    if args.compare and unreadable:
        print(f"\n{unreadable}: nothing to compare with; this run replaces it")
    elif args.compare:
        questions = {o.item.id: o.item.q for rows in by_set.values() for o in rows}
        print("\n" + evalstore.render(evalstore.compare(stored, current), questions))
    try:
        evalstore.save_runs(store, {**stored, **current})
    except OSError as err:
        _err(f"kbqa: could not store this run in {store} for --compare: {err}")


def cmd_serve(args: argparse.Namespace) -> int:
    # Gradio must not phone home: this machine has no internet, and buyers' questions stay here.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from app.serve.feedback import FeedbackLog
    from app.serve.querylog import QuestionLog, enabled
    from app.serve.server import serve

    paths = Paths.resolve(args.corpus_dir, args.index_dir, args.feedback_dir)
    port = _port(args.port or os.environ.get(ENV_PORT) or DEFAULT_PORT)
    host = args.host or os.environ.get(ENV_HOST) or DEFAULT_HOST
    _check_free(host, port)  # before the slow model load, not after it
    if args.workers > 1 and args.share:
        raise InputError("--share serves the page, which runs in one process: drop --workers")
    engine = _engine(args, build_missing=True)
    if args.workers > 1:
        from app.serve.server import serve_workers

        # The API alone, in N processes: each loads the (read-only) index folder itself.
        serve_workers(
            paths, host=host, port=port, workers=args.workers, log_questions=enabled(args.no_log)
        )
        return 0
    _err(f"kbqa: loading the model and the index in {paths.index_dir} …")
    questions = QuestionLog(paths.feedback_dir) if enabled(args.no_log) else None
    feedback = FeedbackLog(paths.feedback_dir)
    serve(engine, host=host, port=port, share=args.share, feedback=feedback, questions=questions)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from app.answer.engine import load_settings
    from app.corpus.files import content_hash
    from app.index.store import load_index
    from app.maintain.review import render_table, review, to_json, write_eval
    from app.serve.feedback import FEEDBACK_FILE, read_feedback
    from app.serve.querylog import QUESTIONS_FILE, read_log

    paths = Paths.resolve(args.corpus_dir, args.index_dir, args.feedback_dir)
    folder = paths.feedback_dir
    logged = folder.is_dir() and any(folder.glob(QUESTIONS_FILE + "*"))
    voted = (folder / FEEDBACK_FILE).is_file()
    if not logged and not voted:
        _err(
            f"kbqa: no question log yet: looked for {folder / QUESTIONS_FILE}; `kbqa serve` "
            f"writes it as buyers ask (set the folder with --feedback-dir or {ENV_FEEDBACK_DIR})"
        )
        return 1
    if not logged:
        _err(f"kbqa: no question log in {folder}; reviewing the votes in {FEEDBACK_FILE} only")
    index = load_index(paths.index_dir)
    if (
        paths.corpus_dir.is_dir()
        and content_hash(paths.corpus_dir) != index.manifest["corpus"]["hash"]
    ):
        _err("kbqa: the corpus changed since the index was built: line numbers may be off")
    log_lines, votes = read_log(folder), read_feedback(folder)
    main = index.language.code if index.language else ""
    languages = {main} | {r.get("language") or main for r in log_lines + votes}
    thresholds = {
        code: load_settings(paths.index_dir, index.manifest, code).threshold
        for code in sorted(c for c in languages if isinstance(c, str))
    }
    try:
        label = str(paths.corpus_dir.relative_to(Path.cwd()))
    except ValueError:
        label = str(paths.corpus_dir)
    groups = review(log_lines, votes, index, threshold=thresholds, corpus_label=label)
    if args.limit is not None:
        groups = groups[: args.limit]
    if args.to_eval:
        written = write_eval(groups, Path(args.to_eval))
        _err(f"kbqa: wrote {written} evaluation item(s) to {args.to_eval}: confirm each verdict")
    if args.json:
        print(json.dumps(to_json(groups), ensure_ascii=False, indent=2))
    else:
        print(render_table(groups))
    return 0


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


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
    ev.set_defaults(func=cmd_eval)

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
    srv.set_defaults(func=cmd_serve)

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
    rev.set_defaults(func=cmd_review)
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
