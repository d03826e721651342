"""The last ``kbqa eval`` run of each question set, kept for ``kbqa eval --compare``.

Every run stores, per set, each question's outcome (verdict got, first passage quoted, rank
of the right passage, whether it was right) and the set's metrics, in
``<index parent>/.kbqa-eval/<index folder name>.json``: beside the index folder, never in
it, because a rebuild swaps that folder whole. The file is replaced atomically, and a run
of some sets keeps the stored runs of the others, so ``kbqa eval --set one.yaml`` after a
full run still compares the rest with their last run.

``--compare`` then lists what changed since: questions fixed, questions broken, questions
whose verdict or first passage changed while staying right (or wrong), and each metric's
change per set.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from app.errors import KbqaError
from app.maintain.evaluate import COUNT, METRICS, PERCENT, Outcome, metrics

FOLDER = ".kbqa-eval"
FORMAT: Final = 1


class Row(BaseModel):
    """One question's outcome in a stored run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    expected: str
    verdict: str  # the verdict got
    quote: str | None  # the passage quoted first; None: none (a refusal)
    rank: int | None  # of the first expected passage in the ranking
    ok: bool  # nothing to list among the failures
    opposite: bool = False  # a yes↔no opposite


class SetRun(BaseModel):
    """One question set's run: when, on which index, its metrics and its questions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: str
    index: str  # the index version (its manifest's hash)
    corpus_hash: str | None = None
    metrics: dict[str, float | None]  # None: not applicable (NaN)
    outcomes: tuple[Row, ...]


class Stored(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1]
    sets: dict[str, SetRun]


def store_path(index_dir: Path) -> Path:
    """Where the runs measured on the index in ``index_dir`` are kept."""
    index_dir = Path(index_dir)
    return index_dir.parent / FOLDER / f"{index_dir.name}.json"


def snapshot(
    by_set: dict[str, list[Outcome]],
    *,
    index: str,
    corpus_hash: str | None = None,
    at: str | None = None,
) -> dict[str, SetRun]:
    """This run, set by set, as it is stored."""
    at = at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        name: SetRun(
            at=at,
            index=index,
            corpus_hash=corpus_hash,
            metrics={k: None if _nan(v) else float(v) for k, v in metrics(rows).items()},
            outcomes=tuple(_row(o) for o in rows),
        )
        for name, rows in by_set.items()
    }


def _row(o: Outcome) -> Row:
    return Row(
        id=o.item.id,
        expected=o.item.verdict,
        verdict=o.answer.verdict,
        quote=o.answer.quotes[0].id if o.answer.quotes else None,
        rank=o.rank,
        ok=o.ok,
        opposite=o.dangerous,
    )


def _nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def read_runs(path: Path) -> dict[str, SetRun]:
    """The stored runs by set; empty when there are none, ``KbqaError`` when unreadable."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        return Stored.model_validate(json.loads(path.read_text(encoding="utf-8"))).sets
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValidationError) as err:
        reason = " ".join(str(err).split())[:200]
        raise KbqaError(f"the stored run {path} is unreadable ({reason})") from None


def save_runs(path: Path, runs: dict[str, SetRun]) -> Path:
    """Write ``runs`` to ``path`` atomically: a reader sees the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = Stored(format=FORMAT, sets=dict(sorted(runs.items())))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(record.model_dump_json(indent=1) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make it unreadable to the team
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class Change:
    set: str
    before: Row
    after: Row


@dataclass
class Changes:
    """What changed between a stored run and this one, on the questions both asked."""

    fixed: list[Change] = field(default_factory=list)
    broken: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)  # verdict or first passage; ok same
    new: int = 0  # questions this run asked that the stored one did not
    gone: int = 0  # ... and the other way round
    unstored: list[str] = field(default_factory=list)  # sets with no stored run
    since: dict[str, SetRun] = field(default_factory=dict)  # set -> its stored run
    # set -> metric -> (before, after)
    metrics: dict[str, dict[str, tuple[float | None, float | None]]] = field(default_factory=dict)


def compare(before: dict[str, SetRun], after: dict[str, SetRun]) -> Changes:
    """This run (``after``) against the stored runs of the same sets (``before``)."""
    changes = Changes()
    for name, now in after.items():
        then = before.get(name)
        if then is None:
            changes.unstored.append(name)
            continue
        changes.since[name] = then
        old = {row.id: row for row in then.outcomes}
        new_ids = {row.id for row in now.outcomes}
        changes.gone += sum(1 for ident in old if ident not in new_ids)
        for row in now.outcomes:
            was = old.get(row.id)
            if was is None:
                changes.new += 1
            elif not was.ok and row.ok:
                changes.fixed.append(Change(name, was, row))
            elif was.ok and not row.ok:
                changes.broken.append(Change(name, was, row))
            elif (was.verdict, was.quote) != (row.verdict, row.quote):
                changes.changed.append(Change(name, was, row))
        changes.metrics[name] = {
            key: (then.metrics.get(key), now.metrics.get(key)) for key, _, _ in METRICS
        }
    changes.broken.sort(key=lambda c: not c.after.opposite)  # yes↔no opposites first
    return changes


def render(changes: Changes, questions: dict[str, str] | None = None) -> str:
    """The changes as text; ``questions`` (id -> question) adds each question's words."""
    if not changes.since:
        return "no stored run to compare with: this run is stored for the next --compare"
    stamps = sorted({(run.at, run.index[:12]) for run in changes.since.values()})
    lines = [
        "since the stored run of "
        + ", ".join(f"{at} (index {index})" for at, index in stamps)
        + f": {len(changes.fixed)} fixed, {len(changes.broken)} broken, "
        f"{len(changes.changed)} changed"
    ]
    if changes.unstored:
        lines.append(f"no stored run of {', '.join(changes.unstored)}: not compared")
    if changes.new or changes.gone:
        lines.append(f"{changes.new} question(s) new since, {changes.gone} no longer asked")
    for title, rows in (
        ("fixed", changes.fixed),
        ("broken", changes.broken),
        ("changed, still right or still wrong", changes.changed),
    ):
        if rows:
            lines.append(f"\n{title} ({len(rows)}):")
            lines += [_line(c, (questions or {}).get(c.after.id)) for c in rows]
    table = _deltas(changes.metrics)
    lines.append("\n" + (table or "metrics: no change"))
    return "\n".join(lines)


def _line(change: Change, question: str | None) -> str:
    was, now = change.before, change.after
    mark = "!!" if now.opposite and not now.ok else "  "
    words = f" {question!r}" if question else ""
    return (
        f"{mark} {now.id} [{change.set}]{words}\n"
        f"     expected {now.expected} | {_got(was)} -> {_got(now)}"
    )


def _got(row: Row) -> str:
    return f"{row.verdict} {row.quote or '-'} (rank {row.rank})"


def _deltas(by_set: dict[str, dict[str, tuple[float | None, float | None]]]) -> str:
    """Metrics that moved in any set: one row each, a column per set (after - before)."""
    moved = [
        (key, label, style)
        for key, label, style in METRICS
        if any(_delta(*pair.get(key, (None, None)), style) for pair in by_set.values())
    ]
    if not moved:
        return ""
    names = list(by_set)
    width = max(len(label) for _, label, _ in moved) + 2
    col = max(10, *(len(n) for n in names)) + 2
    lines = [f"{'metrics (now - stored)':{width}}" + "".join(f"{n:>{col}}" for n in names)]
    for key, label, style in moved:
        cells = (_delta(*by_set[n].get(key, (None, None)), style) or "=" for n in names)
        lines.append(f"{label:{width}}" + "".join(f"{c:>{col}}" for c in cells))
    return "\n".join(lines)


def _delta(before: float | None, after: float | None, style: str) -> str:
    """The change as shown ("+1.2 pt", "-1", "+0.012"); "" when none shows."""
    if before is None and after is None:
        return ""
    if before is None or after is None:
        return "n/a"
    change = after - before
    if style == PERCENT:
        text = f"{change * 100:+.1f} pt"
        return "" if text in ("+0.0 pt", "-0.0 pt") else text
    if style == COUNT:
        return f"{round(change):+d}" if round(change) else ""
    text = f"{change:+.3f}"
    return "" if text in ("+0.000", "-0.000") else text
