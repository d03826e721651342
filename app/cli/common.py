"""What every ``kbqa`` command shares: where it reads and writes, how it says a message, the
engine it answers with."""

from __future__ import annotations

import argparse
import sys

from app.answer.engine import Engine
from app.config import PROJECT_ROOT, Paths

# The question sets beside the checkout's corpus: the build's report and `kbqa eval` use them.
DEFAULT_EVAL = PROJECT_ROOT / "tests" / "eval"


def say(message: str) -> None:
    """A line for the person at the terminal (stderr: stdout is for answers and reports)."""
    print(message, file=sys.stderr, flush=True)


def engine_for(args: argparse.Namespace, *, build_missing: bool = False) -> Engine:
    """The engine for these paths; with build_missing, a missing index is built first."""
    engine = Engine(Paths.resolve(args.corpus_dir, args.index_dir))
    if build_missing:
        engine.build_if_missing(lambda message: say(f"kbqa: {message}"))
    return engine
