"""Calibration: the fusion weight and refusal settings fitted on the tuning sets.

``kbqa eval --calibrate`` sweeps the fusion weight, the refusal threshold and the
out-of-scope margin over the tuning questions (``tune*.yaml``, never the held-out ones)
and stores the winner and the confidence bands in the index folder's ``calibration.json``,
tied to the corpus it was made for, and the whole sweep beside it in
``calibration-sweep.json`` (for the reader: answering never parses it).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.answer.engine import Engine
from app.index.calibration import Settings
from app.index.layout import CALIBRATION, CALIBRATION_SWEEP
from app.maintain.evalset import Item
from app.maintain.evaluate import Outcome, core_metrics, rank_of, run

ALPHAS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.0)
THRESHOLDS = tuple(step / 100 for step in range(20, 71))
OUT_OF_SCOPE_MARGINS = (-0.05, 0.0, 0.05, 0.1, 1.0)  # 1.0: out-of-scope questions ignored
MAX_FALSE_REFUSALS = 0.03
MIN_OOS_REFUSALS = 0.95
# Verdicts this close count as tied (about one question of a tuning set of a hundred), and
# a setting's firmness is its verdict averaged over this many thresholds either side.
NEAR = 0.01
PLATEAU = 2


def calibrate(
    engine: Engine, items: list[Item], language: str | None = None
) -> tuple[Settings, list[dict[str, Any]]]:
    """Sweep fusion weight, refusal threshold and out-of-scope margin on ``items``.

    For each weight every question is answered once as if nothing were refused; each
    threshold and margin then decides which of those answers become refusals. The winner
    meets both refusal targets (95% of out-of-scope refused, at most 3% of answerable
    refused) while refusing the fewest answerable questions; failing that, it refuses the
    most out-of-scope questions within the 3%. Confidence bands are
    then cut where answers at or above the cut are right 95% (high) and 80% (medium) of the
    time. A second ``language`` is calibrated apart, on its own questions: its scores come
    from another model and mean other things.
    """
    retriever = engine.retriever_for(language or engine.main_language)
    base = retriever.settings
    cache = {item.q: engine.prepare(item.q) for item in items}
    # The nearest out-of-scope question does not depend on the fusion weight: find it once.
    # (Each question by its own language's retriever: a set may hold a stray question in
    # another language, "Какой самый лучший рецепт борща?" among the English ones.)
    nearest = {
        q: engine.retriever_for(engine.language_of(q)).nearest_out_of_scope(query)[0]
        for q, query in cache.items()
    }
    sweep = []
    for alpha in ALPHAS:
        open_settings = replace(base, alpha=alpha, threshold=-1.0, out_of_scope_margin=9.0)
        rows = []
        for item in items:
            answer, ranking = engine.ask_with_hits(
                item.q, settings=open_settings, query=cache[item.q]
            )
            polarity = cache[item.q].analysis.polarity
            main = answer.language == engine.main_language
            outcome = Outcome(item, answer, rank_of(ranking, item.passages), None, polarity, main)
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
                        **core_metrics(outcomes),
                    }
                )
    best = choose(sweep)
    chosen = replace(
        base,
        alpha=best["alpha"],
        threshold=best["threshold"],
        out_of_scope_margin=best["out_of_scope_margin"],
    )
    outcomes = run(engine, items, chosen, cache)
    high, medium = _bands(outcomes, chosen)
    return replace(chosen, high=high, medium=max(min(medium, high), chosen.threshold)), sweep


def choose(sweep: list[dict[str, Any]]) -> dict[str, Any]:
    """The setting to keep: the best by ``_preference`` unless it only just beats settings
    that stand on firmer ground. Among settings that meet the refusal targets and answer
    within ``NEAR`` of the best verdict (a question or so on a tuning set: noise, not
    knowledge), the one that refuses the fewest answerable questions wins, then the one
    whose neighbouring thresholds answer as well (a plateau, not a peak that a new
    question tips over), then ``_preference``."""
    best = max(sweep, key=_preference)
    if _preference(best)[0] != 2:
        return best
    plateau = _plateau(sweep)
    near = [
        row
        for row in sweep
        if _preference(row)[0] == 2 and row["verdict"] >= best["verdict"] - NEAR
    ]
    return min(
        near,
        key=lambda row: (
            row["refused_answerable"],
            -plateau[_key(row)],
            tuple(-x for x in _preference(row)[1:]),
        ),
    )


def _key(row: dict[str, Any]) -> tuple[float, float, float]:
    return (row["alpha"], row["out_of_scope_margin"], row["threshold"])


def _plateau(sweep: list[dict[str, Any]]) -> dict[tuple[float, float, float], float]:
    """Each setting's verdict averaged with its thresholds' neighbours (same weight and
    margin, ``PLATEAU`` either side)."""
    verdict = {_key(row): row["verdict"] for row in sweep}
    out = {}
    for (alpha, margin, threshold), value in verdict.items():
        around = [
            verdict.get((alpha, margin, round(threshold + step / 100, 2)), value)
            for step in range(-PLATEAU, PLATEAU + 1)
        ]
        out[(alpha, margin, threshold)] = sum(around) / len(around)
    return out


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
    answer = outcome.answer.model_copy(update={"verdict": "not_covered", "quotes": ()})
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


def set_language(engine: Engine, items: list[Item]) -> str:
    """The language most of a question set is written in."""
    counts = Counter(engine.language_of(item.q) for item in items)
    return counts.most_common(1)[0][0] if counts else engine.main_language


Calibrated = tuple[Settings, list[dict[str, Any]], list[Path]]


def write_calibration(
    index_dir: Path, results: dict[str, Calibrated], manifest: dict[str, Any], main: str
) -> Path:
    """Two files. ``calibration.json``: the main language's settings at the top, each other
    language's under ``languages`` (``main`` is the main language's code), each with the
    sets it was fitted on. Beside it,
    ``calibration-sweep.json``: every setting tried and how it scored, by language."""
    path = Path(index_dir) / CALIBRATION
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def entry(settings: Settings, sweep: list[dict[str, Any]], sets: list[Path]) -> dict:
        return {"settings": asdict(settings), "question_sets": [p.name for p in sets]}

    def rows(result: Calibrated) -> list[dict[str, Any]]:
        return [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
            for row in result[1]
        ]

    top = entry(*results[main]) if main in results else entry(Settings(), [], [])
    record = {
        "settings": top["settings"],
        "calibrated_at": stamp,
        "corpus_hash": manifest["corpus"]["hash"],
        "question_sets": top["question_sets"],
        "languages": {code: entry(*r) for code, r in results.items() if code != main},
    }
    sweeps = {"calibrated_at": stamp, "sweeps": {code: rows(r) for code, r in results.items()}}
    # The sweep first: calibration.json, what answering reads, is replaced last.
    for target, content in ((Path(index_dir) / CALIBRATION_SWEEP, sweeps), (path, record)):
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
        tmp.replace(target)
    return path
