"""``kbqa build``: parse, validate and index the corpus, and report what the new index
answers differently."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.common import DEFAULT_EVAL, say
from app.config import PROJECT_ROOT, Paths
from app.errors import CorpusError, KbqaError
from app.index.build import build_index
from app.index.embed import EditEmbedder, MiniLMEmbedder, MultilingualEmbedder, get_embedder
from app.index.onnx_encoder import query_encoder
from app.index.store import manifest_path
from app.maintain.regress import carry_snapshot, regression_report, render


def run(args: argparse.Namespace) -> int:

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
            log=lambda message: say(f"kbqa: {message}"),
            # Bars on a terminal only: in a log file or CI they are noise.
            progress=sys.stderr.isatty(),
            multilingual=multilingual,
            check=check,
            tune=not args.no_tune,
            retune=args.retune,
        )
    except CorpusError as err:
        for issue in err.issues:
            say(str(issue))
        say(
            f"kbqa: {len(err.issues)} corpus problem(s); the index in {paths.index_dir} "
            "was not changed"
        )
        return 1
    except _StrictFailure:
        print(render(reported[-1]))
        say(
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
