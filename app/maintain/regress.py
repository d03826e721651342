"""The build's regression report: what a corpus edit changed in kbqa's answers.

Adding an annotated question can fix one buyer's question and silently turn another into a
wrong answer. So every build re-asks every annotated question (in every language) and,
when present, every evaluation question against the new index, compares each answer (the
first passage quoted and the verdict) with the one the previous index gave, and lists:

- every answer that changed, before and after, with the ``file:line`` it comes from;
- every annotated question no longer answered by its own passage with its own verdict
  (``kbqa build --strict`` refuses such an index; the old one stays in place).

The answers are stored in the index folder (``answers.json``), so the next build compares
with this one (a ``--no-report`` build carries them over). Questions are encoded in one
batch per language: seconds, not minutes.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from app.answer.engine import Engine
from app.config import Paths
from app.errors import KbqaError
from app.index.embed import Embedder
from app.index.store import Index
from app.maintain.evalset import Item, load_sets
from app.maintain.evaluate import default_sets
from app.reading.input import question_text

log = logging.getLogger("kbqa.regress")

SNAPSHOT = "answers.json"


@dataclass(frozen=True)
class Probe:
    """One question the build re-asks."""

    key: str  # "ru:appeal-within-15-days:3" (annotated) or "eval:tune-001"
    question: str
    where: str  # "corpus/09-appeal.md:5" or "tests/eval/tune.yaml: tune-001"
    passages: tuple[str, ...]  # a right first quote (an annotated question: its passage)
    verdict: str | None  # the verdict it should get
    annotated: bool
    point: str | None = None  # an annotated question's passage point: any side of it is right
    held_out: bool = False  # from a held-out set: counted, never shown (not for tuning)


@dataclass(frozen=True)
class Got:
    passage: str | None
    verdict: str


@dataclass(frozen=True)
class Change:
    probe: Probe
    before: Got
    after: Got


@dataclass(frozen=True)
class Report:
    changes: tuple[Change, ...]
    failing: tuple[tuple[Probe, Got], ...]  # annotated questions off their passage or verdict
    asked: int
    compared: bool  # whether a previous index's answers were there to compare with
    seconds: float = 0.0


def regression_report(
    paths: Paths,
    folder: Path,
    embedder: Embedder | None,
    multilingual: Embedder | None = None,
    sets_dir: Path | None = None,
) -> Report:
    """Re-ask every annotated question, and every question of the sets in ``sets_dir``,
    against the index being built in ``folder``; compare with the answers of the index in
    ``paths.index_dir``; store the new answers in ``folder``. ``embedder`` encodes the
    questions; None: the new index's own query encoder, as when it serves."""
    started = time.perf_counter()
    engine = Engine(
        Paths(paths.corpus_dir, folder, paths.feedback_dir),
        embedder=embedder,
        multilingual=multilingual,
    )
    index = engine.load().index
    sets: dict[Path, list[Item]] = {}
    if sets_dir is not None and Path(sets_dir).is_dir():
        try:
            sets = load_sets(default_sets(Path(sets_dir)))
        except KbqaError as err:
            log.warning("the regression report leaves out the question sets: %s", err)
    asked = probes(index, sets)
    after = answer_all(engine, asked)
    report = compare(asked, after, read_snapshot(paths.index_dir), index)
    write_snapshot(folder, after)
    return replace(report, seconds=time.perf_counter() - started)


def probes(index: Index, eval_sets: dict[Path, list[Item]] | None = None) -> list[Probe]:
    """Every annotated question of every language, then every evaluation question."""
    out = []
    for view in (index, *index.locales):
        code = view.language.code if view.language else "en"
        for passage in view.passages:
            where = f"corpus/{passage.source}"
            for n, question in enumerate(passage.questions):
                out.append(
                    Probe(
                        f"{code}:{passage.id}:{n}",
                        question.text,
                        where,
                        (passage.id,),
                        question.verdict or passage.verdict,
                        annotated=True,
                        point=passage.point,
                    )
                )
    for path, items in (eval_sets or {}).items():
        for item in items:
            where = f"{path.parent.name}/{path.name}: {item.id}"
            held_out = path.stem.startswith("heldout")
            probe = Probe(f"eval:{item.id}", item.q, where, item.passages, item.verdict, False)
            out.append(replace(probe, held_out=held_out))
    return out


def answer_all(engine: Engine, asked: list[Probe]) -> dict[str, Got]:
    """Each probe's answer: its first quote and verdict. An annotated question's vector is
    already in the index: only the evaluation questions are encoded."""
    queries = engine.prepare_many([p.question for p in asked], _stored_vectors(engine))
    out = {}
    for probe in asked:
        query = queries[_clean(probe.question)]
        answer, _ = engine.ask_with_hits(probe.question, query=query)
        first = answer.quotes[0].id if answer.quotes else None
        out[probe.key] = Got(first, answer.verdict)
    return out


def _stored_vectors(engine: Engine) -> dict:
    """(language, question) -> its vector in the index, for every annotated question."""
    index = engine.load().index
    out = {}
    for view in (index, *index.locales):
        code = view.language.code if view.language else "en"
        for row, ref in enumerate(view.vectors):
            if ref.kind == "question":
                text = _clean(view.passages[ref.passage].questions[ref.ordinal].text)
                out[(code, text)] = view.dense.reconstruct(row)
    return out


def _clean(question: str) -> str:
    return question_text(question)


def compare(
    asked: list[Probe], after: dict[str, Got], before: dict[str, Got] | None, index: Index
) -> Report:
    """What changed since ``before`` (None: no previous answers), and what is off."""
    changes = tuple(
        Change(p, before[p.key], after[p.key])
        for p in asked
        if before is not None and p.key in before and before[p.key] != after[p.key]
    )
    points = {p.id: p.point for view in (index, *index.locales) for p in view.passages}
    failing = tuple(
        (p, after[p.key]) for p in asked if p.annotated and not _own(p, after[p.key], points)
    )
    return Report(changes, failing, len(asked), before is not None)


def _own(probe: Probe, got: Got, points: dict[str, str | None]) -> bool:
    """Answered by its own passage with its own verdict. A question on a conditional point
    is also right answered by another side of the point, or asked back ("depends")."""
    same_point = probe.point is not None and points.get(got.passage or "") == probe.point
    if got.passage not in probe.passages and not same_point:
        return False
    return got.verdict == probe.verdict or (probe.point is not None and got.verdict == "depends")


def read_snapshot(index_dir: Path) -> dict[str, Got] | None:
    """The answers the index in ``index_dir`` gave when it was built, if stored."""
    try:
        record = json.loads((Path(index_dir) / SNAPSHOT).read_text(encoding="utf-8"))
        return {k: Got(v["passage"], v["verdict"]) for k, v in record["answers"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def carry_snapshot(index_dir: Path, folder: Path) -> None:
    """A build without the report keeps the last answers that were stored, so the next
    report compares with them instead of with nothing."""
    source = Path(index_dir) / SNAPSHOT
    if source.is_file():
        shutil.copy2(source, Path(folder) / SNAPSHOT)


def write_snapshot(folder: Path, answers: dict[str, Got]) -> None:
    record = {
        "note": "answers of this index to every annotated and evaluation question "
        "(kbqa build compares the next index with these)",
        "answers": {k: {"passage": g.passage, "verdict": g.verdict} for k, g in answers.items()},
    }
    path = Path(folder) / SNAPSHOT
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def render(report: Report, limit: int = 40) -> str:
    """The report for a terminal: changes first (before → after), then what is off."""
    lines = []
    if not report.compared:
        lines.append(
            f"re-asked {report.asked} questions in {report.seconds:.1f} s; no previous answers "
            "to compare with (the next build will)"
        )
    else:
        lines.append(
            f"re-asked {report.asked} questions in {report.seconds:.1f} s: "
            f"{len(report.changes)} answer(s) changed since the previous index"
        )
    hidden = [c for c in report.changes if c.probe.held_out]
    shown = [c for c in report.changes if not c.probe.held_out]
    if hidden:
        fixed = sum(_right(c.after, c.probe) and not _right(c.before, c.probe) for c in hidden)
        broken = sum(_right(c.before, c.probe) and not _right(c.after, c.probe) for c in hidden)
        lines.append(
            f"  {len(hidden)} of them on held-out questions ({fixed} now right, {broken} now "
            "wrong): not listed, held-out questions are not for tuning"
        )
    for change in shown[:limit]:
        lines.append(
            f"  changed  {change.probe.where}: {change.probe.question!r}\n"
            f"           {_got(change.before)} -> {_got(change.after)}"
            f"  (expected {change.probe.verdict} {', '.join(change.probe.passages) or '-'})"
        )
    lines += _more(shown, limit)
    if report.failing:
        lines.append(
            f"{len(report.failing)} annotated question(s) not answered by their own passage "
            "with their own verdict (kbqa build --strict refuses these):"
        )
        for probe, got in report.failing[:limit]:
            lines.append(
                f"  off      {probe.where}: {probe.question!r}\n"
                f"           wants {probe.verdict} {probe.passages[0]}, gets {_got(got)}"
            )
        lines += _more(report.failing, limit)
    return "\n".join(lines)


def _right(got: Got, probe: Probe) -> bool:
    right_passage = got.passage in probe.passages or (not probe.passages and got.passage is None)
    return right_passage and got.verdict == probe.verdict


def _got(got: Got) -> str:
    return f"{got.verdict} {got.passage or '-'}"


def _more(rows: Iterable, limit: int) -> list[str]:
    extra = len(list(rows)) - limit
    return [f"  … and {extra} more"] if extra > 0 else []
