"""The ``kbqa`` command: a thin shell over the library.

Each subcommand parses its flags, calls plain functions, and turns ``KbqaError`` into a
message on stderr and an exit code (1 for a failure, 2 for refused input). No traceback
reaches the user for an expected failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app import __version__
from app.config import ENV_CORPUS_DIR, ENV_INDEX_DIR, Paths
from app.errors import CorpusError, KbqaError


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KbqaError as err:
        _err(f"kbqa: {err}")
        return err.exit_code
    except KeyboardInterrupt:
        _err("kbqa: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
