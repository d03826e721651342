"""``kbqa eval``: measure answers on question sets, calibrate, compare with the last run."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import DEFAULT_EVAL, engine_for, say
from app.errors import KbqaError
from app.maintain import calibrate as calibration
from app.maintain import eval_report, evalstore, evaluate
from app.maintain.evalset import load_sets


def run(args: argparse.Namespace) -> int:

    paths = [Path(p) for p in args.set] if args.set else evaluate.default_sets(DEFAULT_EVAL)
    sets = load_sets(paths)  # every set validated before the model loads
    engine = engine_for(args)
    if args.calibrate:
        tuning = [p for p in sets if p.stem.startswith("tune")]
        if not tuning:
            say("kbqa: --calibrate needs a tuning set (a file named tune*.yaml)")
            return 2
        by_language: dict[str, list[Path]] = {}
        for path in tuning:
            language = calibration.set_language(engine, sets[path])
            by_language.setdefault(language, []).append(path)
        results = {}
        for language, paths_of in by_language.items():
            items = [item for path in paths_of for item in sets[path]]
            names = ", ".join(p.name for p in paths_of)
            say(f"kbqa: calibrating {language} on {names} ({len(items)} questions)")
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
    print(eval_report.report({name: evaluate.metrics(rows) for name, rows in columns.items()}))
    # Per kind, the pooled splits when there are any (the per-set blocks would be too wide).
    pooled = {name: rows for name, rows in columns.items() if name not in by_set} or by_set
    print("\n" + eval_report.kind_report({n: evaluate.by_kind(rows) for n, rows in pooled.items()}))
    every = [o for rows in by_set.values() for o in rows]
    index = engine.load().index
    if args.failures:
        where = eval_report.locations(index.passages, engine.paths.corpus_dir)
        groups = eval_report.failures(every, where)
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
        say(f"kbqa: could not store this run in {store} for --compare: {err}")
