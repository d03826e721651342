"""``kbqa review``: the logged answers that need a maintainer, by passage."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.answer.engine import load_settings
from app.cli.common import say
from app.config import ENV_FEEDBACK_DIR, Paths
from app.corpus.files import content_hash
from app.index.store import load_index
from app.maintain.review import review
from app.maintain.review_output import render_table, to_json, write_eval
from app.serve.feedback import FEEDBACK_FILE, read_feedback
from app.serve.querylog import QUESTIONS_FILE, read_log


def run(args: argparse.Namespace) -> int:

    paths = Paths.resolve(args.corpus_dir, args.index_dir, args.feedback_dir)
    folder = paths.feedback_dir
    logged = folder.is_dir() and any(folder.glob(QUESTIONS_FILE + "*"))
    voted = (folder / FEEDBACK_FILE).is_file()
    if not logged and not voted:
        say(
            f"kbqa: no question log yet: looked for {folder / QUESTIONS_FILE}; `kbqa serve` "
            f"writes it as questions come (set the folder with --feedback-dir or "
            f"{ENV_FEEDBACK_DIR})"
        )
        return 1
    if not logged:
        say(f"kbqa: no question log in {folder}; reviewing the votes in {FEEDBACK_FILE} only")
    index = load_index(paths.index_dir)
    if (
        paths.corpus_dir.is_dir()
        and content_hash(paths.corpus_dir) != index.manifest["corpus"]["hash"]
    ):
        say("kbqa: the corpus changed since the index was built: line numbers may be off")
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
        say(f"kbqa: wrote {written} evaluation item(s) to {args.to_eval}: confirm each verdict")
    if args.json:
        print(json.dumps(to_json(groups), ensure_ascii=False, indent=2))
    else:
        print(render_table(groups))
    return 0
