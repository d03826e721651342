"""``kbqa ask``: one question, or one per line of stdin; the terminal's view or JSON (Lines)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from app.cli.common import engine_for, say
from app.config import Paths
from app.errors import InputError
from app.index.onnx_encoder import preload
from app.reading.input import question_text
from app.serve.ask import Asked, Asker, Problem
from app.serve.render import render_text


def run(args: argparse.Namespace) -> int:

    # Opening the model overlaps with importing and loading the rest (cold ask).
    preload(Paths.resolve(args.corpus_dir, args.index_dir).index_dir)

    if args.question:
        question = " ".join(args.question)
        try:
            question_text(question)  # refuse what kbqa will not read before loading anything
        except InputError as err:
            refused = Asked(question, problem=Problem(error=str(err), status=err.status))
            return _print_asked(refused, args.json, None)
        asker = Asker(engine_for(args, build_missing=True))
        return _print_asked(asker.ask(question), args.json, asker)
    if sys.stdin.isatty():
        say('kbqa: give a question (kbqa ask "…") or pipe questions, one per line, into stdin')
        return 2
    asker = Asker(engine_for(args, build_missing=True))
    for line in sys.stdin:
        # One answer per line, in order: a question kbqa will not read gets its error (as
        # {question, error, status} in JSON Lines) and the others still get theirs.
        _print_asked(asker.ask(line.rstrip("\n")), args.json, asker, gap=True)
    return 0


def _print_asked(asked, as_json: bool, asker, gap: bool = False) -> int:
    """Print what one question got; the exit status it means (2: refused, 1: unavailable)."""

    if as_json:
        print(json.dumps(asked.to_dict(), ensure_ascii=False), flush=True)
    if asked.problem is not None:
        say(f"kbqa: {asked.problem.error}")
        return 2 if asked.problem.status == 400 else 1
    if not as_json:
        labels = asker.engine.labels(asked.answer.language)
        text = render_text(asked.answer, labels, color=_color(sys.stdout))
        print(text + ("\n" if gap else ""), flush=True)
    return 0


def _color(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")
