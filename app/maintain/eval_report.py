"""What ``kbqa eval`` prints: the metrics table per set, the per-kind table, and the misses
grouped by passage with their ``file:line``. The measuring itself is ``app.maintain.evaluate``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from pathlib import Path

from app.corpus.records import Passage
from app.maintain.evaluate import COUNT, METRICS, PERCENT, RATIO, Outcome


def _cell(value: float, style: str, col: int) -> str:
    if isinstance(value, float) and math.isnan(value):
        return f"{'n/a':>{col}}"
    if style == COUNT:
        return f"{int(value):>{col}d}"
    if style == RATIO:
        return f"{value:>{col}.3f}"
    return f"{value:>{col}.1%}"


def report(results: dict[str, dict[str, float]]) -> str:
    """A plain-text table: one row per metric, one column per question set."""
    if not results:
        return "no question sets"
    names = list(results)
    width = max(len(label) for _, label, _ in METRICS) + 2
    col = max(10, *(len(n) for n in names)) + 2
    lines = [
        f"{'':{width}}" + "".join(f"{n:>{col}}" for n in names),
        f"{'questions (answerable / out of scope)':{width}}"
        + "".join(f"{str(r['answerable']) + '/' + str(r['oos']):>{col}}" for r in results.values()),
    ]
    for key, label, style in METRICS:
        lines.append(
            f"{label:{width}}" + "".join(_cell(r[key], style, col) for r in results.values())
        )
    return "\n".join(lines)


KIND_COLUMNS = (  # (key, heading, style, width)
    ("n", "n", COUNT, 4),
    ("verdict", "composed", PERCENT, 10),
    ("baseline", "baseline", PERCENT, 10),
    ("hit@1", "hit@1", PERCENT, 8),
)


GAP = "   "


def kind_report(groups: dict[str, dict[str, dict[str, float]]]) -> str:
    """Per kind (rows) and group of sets (column blocks): n, composed, baseline, hit@1."""
    kinds = sorted({kind for table in groups.values() for kind in table})
    if not kinds:
        return "no question sets"
    width = max(14, *(len(k or "(no kind)") for k in kinds)) + 2
    block = sum(w for *_, w in KIND_COLUMNS)
    heads = "".join(f"{head:>{w}}" for _, head, _, w in KIND_COLUMNS)
    lines = [
        f"{'by kind':{width}}" + GAP.join(f"{name:>{block}}" for name in groups),
        f"{'':{width}}" + GAP.join(heads for _ in groups),
    ]
    for kind in kinds:
        cells = [
            "".join(_cell(row[key], style, w) for key, _, style, w in KIND_COLUMNS)
            if (row := table.get(kind))
            else f"{'-':>{block}}"
            for table in groups.values()
        ]
        lines.append(f"{kind or '(no kind)':{width}}" + GAP.join(cells))
    return "\n".join(lines)


def home(outcome: Outcome) -> str:
    """The passage a miss belongs to: the first expected one; for an out-of-scope question
    answered anyway, the passage that answered it ("-" when it quoted none)."""
    if outcome.item.passages:
        return outcome.item.passages[0]
    return outcome.answer.quotes[0].id if outcome.answer.quotes else "-"


def failure_groups(outcomes: list[Outcome]) -> list[tuple[str, list[Outcome]]]:
    """The misses by the passage they belong to (``home``): groups holding a yes↔no
    opposite first, then the most misses first (then by id); opposites first within each."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if not o.ok:
            groups.setdefault(home(o), []).append(o)
    ordered = sorted(
        groups.items(),
        key=lambda group: (not any(o.dangerous for o in group[1]), -len(group[1]), group[0]),
    )
    return [(passage, sorted(rows, key=lambda o: not o.dangerous)) for passage, rows in ordered]


def failures(outcomes: list[Outcome], where: dict[str, str] | None = None) -> list[str]:
    """Every question answered wrong, grouped by passage: one block per passage, headed by
    its id and ``file:line`` (``where``: passage id -> location), then one line per miss.
    Groups and misses with a yes↔no opposite come first, marked ``!!``."""
    blocks = []
    for passage, rows in failure_groups(outcomes):
        opposites = sum(1 for o in rows if o.dangerous)
        counts = f"{len(rows)} miss{'es' if len(rows) > 1 else ''}"
        if opposites:
            counts += f", {opposites} yes↔no opposite{'s' if opposites > 1 else ''}"
        location = (where or {}).get(passage)
        head = passage if passage != "-" else "(no passage quoted)"
        lines = [
            f"{'!!' if opposites else '  '} {head}"
            + (f"  {location}" if location else "")
            + f"  ({counts})"
        ]
        lines += [_miss(o) for o in rows]
        blocks.append("\n".join(lines))
    return blocks


def _miss(o: Outcome) -> str:
    got = o.answer.quotes[0].id if o.answer.quotes else "-"
    asks = f" asking {o.answer.clarify.question!r}" if o.answer.clarify else ""
    return (
        f"   {'!!' if o.dangerous else '  '} {o.item.id} [{o.item.kind or '-'}]: {o.item.q!r}\n"
        f"        expected {o.item.verdict} {list(o.item.passages)}"
        f" | got {o.answer.verdict}{asks} {got} (rank {o.rank}, score "
        f"{o.answer.confidence.score:.3f}) | baseline {o.baseline or 'n/a'}"
    )


def locations(passages: Iterable[Passage], corpus_dir: Path) -> dict[str, str]:
    """Passage id -> ``corpus/FILE.md:LINE`` (the corpus folder as typed from here)."""
    folder = Path(corpus_dir)
    with contextlib.suppress(ValueError, OSError):
        folder = folder.resolve().relative_to(Path.cwd().resolve())
    return {p.id: f"{folder / p.source}" for p in passages if p.source}
