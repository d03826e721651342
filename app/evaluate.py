"""Evaluation on buyers' questions, and calibration of the refusal threshold.

A question set is YAML: a list of ``{id, q, verdict, passages, kind, fact}``, where
``passages`` lists the ids that answer it (empty when the guide does not) and ``fact`` the
number the question asks for ("15 days"). Sets named ``tune*.yaml`` tune; sets named
``heldout*.yaml`` are only ever measured.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from app.compose import Answer
from app.engine import Engine
from app.errors import KbqaError
from app.index import CALIBRATION
from app.question import analyze
from app.retrieve import Hit, Settings
from app.text import mentions_amount

METRICS = (
    ("hit@1", "right passage quoted first (answerable)"),
    ("hit@3", "right passage in the top 3 (answerable)"),
    ("mrr", "mean reciprocal rank (answerable)"),
    ("verdict", "verdict right (all)"),
    ("refused_oos", "out-of-scope refused"),
    ("refused_answerable", "answerable refused"),
    ("fact", "headline names the fact asked for"),
    ("dangerous", "yes where no, or no where yes (count)"),
    ("risky", "... of which tell the buyer to close/confirm (count)"),
)


@dataclass(frozen=True)
class Item:
    id: str
    q: str
    verdict: str
    passages: tuple[str, ...]
    kind: str = ""
    fact: str | None = None

    @property
    def answerable(self) -> bool:
        return self.verdict != "not_covered"


@dataclass(frozen=True)
class Outcome:
    item: Item
    answer: Answer
    rank: int | None  # 1-based rank of the first expected passage in the ranking

    @property
    def hit1(self) -> bool:
        return bool(self.answer.quotes) and self.answer.quotes[0].id in self.item.passages

    @property
    def verdict_ok(self) -> bool:
        return self.answer.verdict == self.item.verdict

    @property
    def dangerous(self) -> bool:
        return {self.answer.verdict, self.item.verdict} == {"yes", "no"}

    @property
    def risky(self) -> bool:
        """A dangerous answer that tells the buyer to close, cancel, confirm or accept."""
        if not self.dangerous:
            return False
        reading = analyze(self.item.q)
        return reading.polarity is not None and (self.answer.verdict == "yes") == (
            reading.polarity > 0
        )

    @property
    def fact_ok(self) -> bool:
        return self.item.fact is None or _mentions(self.answer.headline, self.item.fact)


def load_items(path: Path) -> list[Item]:
    try:
        records = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise KbqaError(f"cannot read question set {path}: {err}") from None
    items = []
    for n, r in enumerate(records or [], 1):
        try:
            items.append(
                Item(
                    id=str(r.get("id", f"{Path(path).stem}-{n}")),
                    q=str(r["q"]),
                    verdict=str(r["verdict"]),
                    passages=tuple(r.get("passages") or ()),
                    kind=str(r.get("kind", "")),
                    fact=None if r.get("fact") is None else str(r["fact"]),
                )
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise KbqaError(f"{path}: entry {n} lacks a field ({err})") from None
    return items


def run(engine: Engine, items: list[Item], settings: Settings | None = None, cache=None):
    """Ask every item; ``cache`` maps question -> prepared query to skip re-encoding."""
    outcomes = []
    for item in items:
        query = cache.get(item.q) if cache is not None else None
        answer, ranking = engine.ask_with_hits(item.q, settings=settings, query=query)
        outcomes.append(Outcome(item, answer, _rank(ranking, item.passages)))
    return outcomes


def _rank(ranking: list[Hit], expected: tuple[str, ...]) -> int | None:
    for n, hit in enumerate(ranking, 1):
        if hit.passage.id in expected:
            return n
    return None


def metrics(outcomes: list[Outcome]) -> dict[str, float]:
    answerable = [o for o in outcomes if o.item.answerable]
    oos = [o for o in outcomes if not o.item.answerable]
    with_fact = [o for o in answerable if o.item.fact]

    def share(rows, test) -> float:
        return sum(1 for o in rows if test(o)) / len(rows) if rows else float("nan")

    return {
        "n": len(outcomes),
        "answerable": len(answerable),
        "oos": len(oos),
        "hit@1": share(answerable, lambda o: o.hit1),
        "hit@3": share(answerable, lambda o: o.rank is not None and o.rank <= 3),
        "mrr": statistics.fmean(1 / o.rank if o.rank else 0.0 for o in answerable)
        if answerable
        else float("nan"),
        "verdict": share(outcomes, lambda o: o.verdict_ok),
        "refused_oos": share(oos, lambda o: o.answer.verdict == "not_covered"),
        "refused_answerable": share(answerable, lambda o: o.answer.verdict == "not_covered"),
        "fact": share(with_fact, lambda o: o.fact_ok),
        "dangerous": sum(1 for o in outcomes if o.dangerous),
        "risky": sum(1 for o in outcomes if o.risky),
    }


def _mentions(headline: str, fact: str) -> bool:
    match = re.match(r"(\d+(?:\.\d+)?)\s*(%|\w+)", fact.strip())
    if not match:
        return fact.lower() in headline.lower()
    return mentions_amount(headline, *match.groups())


def report(results: dict[str, dict[str, float]]) -> str:
    """A plain-text table: one row per metric, one column per question set."""
    if not results:
        return "no question sets"
    names = list(results)
    width = max(len(label) for _, label in METRICS) + 2
    col = max(10, *(len(n) for n in names)) + 2
    lines = [
        f"{'':{width}}" + "".join(f"{n:>{col}}" for n in names),
        f"{'questions (answerable / out of scope)':{width}}"
        + "".join(f"{str(r['answerable']) + '/' + str(r['oos']):>{col}}" for r in results.values()),
    ]
    for key, label in METRICS:
        cells = []
        for r in results.values():
            value = r[key]
            if key in ("dangerous", "risky"):
                cells.append(f"{int(value):>{col}d}")
            elif key == "mrr":
                cells.append(f"{value:>{col}.3f}")
            else:
                cells.append(f"{value:>{col}.1%}")
        lines.append(f"{label:{width}}" + "".join(cells))
    return "\n".join(lines)


def failures(outcomes: list[Outcome]) -> list[str]:
    rows = []
    for o in outcomes:
        if o.hit1 == o.item.answerable and o.verdict_ok and o.fact_ok:
            continue
        got = o.answer.quotes[0].id if o.answer.quotes else "-"
        rows.append(
            f"{o.item.id}: {o.item.q!r}\n    expected {o.item.verdict} {list(o.item.passages)}"
            f" | got {o.answer.verdict} {got} (rank {o.rank}, score "
            f"{o.answer.confidence.score:.3f})"
        )
    return rows


ALPHAS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)
THRESHOLDS = tuple(step / 100 for step in range(20, 71))
OUT_OF_SCOPE_MARGINS = (-0.05, 0.0, 0.05, 0.1, 1.0)  # 1.0: out-of-scope questions ignored
MAX_FALSE_REFUSALS = 0.03
MIN_OOS_REFUSALS = 0.95


def calibrate(engine: Engine, items: list[Item]) -> tuple[Settings, list[dict[str, Any]]]:
    """Sweep fusion weight, refusal threshold and out-of-scope margin on ``items``.

    For each weight every question is answered once as if nothing were refused; each
    threshold and margin then decides which of those answers become refusals. The winner
    meets both refusal targets (95% of out-of-scope refused, at most 3% of answerable
    refused) while refusing the fewest answerable questions; failing that, it refuses the
    most out-of-scope questions within the 3%. Confidence bands are
    then cut where answers at or above the cut are right 95% (high) and 80% (medium) of the
    time.
    """
    base = engine.load().settings
    cache = {item.q: engine.prepare(item.q) for item in items}
    # The nearest out-of-scope question does not depend on the fusion weight: find it once.
    nearest = {q: engine.load().nearest_out_of_scope(query)[0] for q, query in cache.items()}
    sweep = []
    for alpha in ALPHAS:
        open_settings = replace(base, alpha=alpha, threshold=-1.0, out_of_scope_margin=9.0)
        rows = []
        for item in items:
            answer, ranking = engine.ask_with_hits(
                item.q, settings=open_settings, query=cache[item.q]
            )
            outcome = Outcome(item, answer, _rank(ranking, item.passages))
            rows.append((outcome, ranking[0], nearest[item.q]))
        for margin in OUT_OF_SCOPE_MARGINS:
            for threshold in THRESHOLDS:
                outcomes = [
                    _refused(o) if top.score < threshold or oos - top.dense > margin else o
                    for o, top, oos in rows
                ]
                sweep.append(
                    {
                        "alpha": alpha,
                        "threshold": threshold,
                        "out_of_scope_margin": margin,
                        **metrics(outcomes),
                    }
                )
    best = max(sweep, key=_preference)
    chosen = replace(
        base,
        alpha=best["alpha"],
        threshold=best["threshold"],
        out_of_scope_margin=best["out_of_scope_margin"],
    )
    outcomes = run(engine, items, chosen, cache)
    high, medium = _bands(outcomes, chosen)
    return replace(chosen, high=high, medium=max(min(medium, high), chosen.threshold)), sweep


def _preference(row: dict[str, Any]) -> tuple:
    """Meet both refusal targets if possible, refusing as few answerable questions as possible;
    then answer best; among equals, the lower threshold (the out-of-scope questions are
    caught by the margin rather than by the threshold)."""
    meets = (
        row["refused_oos"] >= MIN_OOS_REFUSALS and row["refused_answerable"] <= MAX_FALSE_REFUSALS
    )
    if meets:
        return (
            2,
            -row["refused_answerable"],
            row["verdict"],
            row["hit@1"],
            row["refused_oos"],
            -row["threshold"],
            row["out_of_scope_margin"],
            row["alpha"],
        )
    return (
        int(row["refused_answerable"] <= MAX_FALSE_REFUSALS),
        row["refused_oos"],
        row["verdict"],
        row["hit@1"],
        0.0,
        -row["threshold"],
        -row["out_of_scope_margin"],
        row["alpha"],
    )


def _refused(outcome: Outcome) -> Outcome:
    answer = replace(outcome.answer, verdict="not_covered", quotes=())
    return replace(outcome, answer=answer)


def _bands(outcomes: list[Outcome], settings: Settings) -> tuple[float, float]:
    """Lowest scores above which answers are right 95% / 80% of the time (10 answers at least)."""
    scored = sorted(
        (
            (o.answer.confidence.score, o.hit1 and o.verdict_ok)
            for o in outcomes
            if o.item.answerable and o.answer.verdict != "not_covered"
        ),
        reverse=True,
    )
    cuts = {0.95: settings.high, 0.8: settings.medium}
    for target in cuts:
        right = 0
        for n, (score, ok) in enumerate(scored, 1):
            right += ok
            if n >= 10 and right / n >= target:
                cuts[target] = score
    return round(cuts[0.95], 4), round(cuts[0.8], 4)


def default_sets(folder: Path) -> list[Path]:
    """Every question set in folder: tuning sets first, held-out sets last."""
    return sorted(Path(folder).glob("*.yaml"), key=lambda p: (p.stem.startswith("heldout"), p.stem))


def write_calibration(
    index_dir: Path,
    settings: Settings,
    sweep: list[dict[str, Any]],
    manifest: dict[str, Any],
    question_sets: list[Path],
) -> Path:
    path = Path(index_dir) / CALIBRATION
    record = {
        "settings": asdict(settings),
        "calibrated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "corpus_hash": manifest["corpus"]["hash"],
        "question_sets": [p.name for p in question_sets],
        "sweep": [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
            for row in sweep
        ],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
