"""Evaluation on buyers' question sets: metrics, the baseline and the failure list.

Question sets (``tune*.yaml`` tune, ``heldout*.yaml`` are only ever measured) are read and
validated by ``app.maintain.evalset``. Every composed verdict is measured beside a baseline that
composes nothing: the verdict of the nearest annotated question taken as is. Composition
(polarity, conditions, caution on risky actions) earns its complexity only where it beats
that baseline, so both are always printed side by side, per set and per kind of question.
Calibration, which fits settings on the tuning sets, is ``app.maintain.calibrate``.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.answer.engine import Engine
from app.answer.records import Answer
from app.answer.retrieve import Hit, Query
from app.index.calibration import Settings
from app.index.store import Index
from app.maintain.evalset import Item, load_items, load_sets
from app.reading.text import mentions_amount

__all__ = ["Item", "Outcome", "load_items", "load_sets", "metrics", "run"]

PERCENT, COUNT, RATIO = "percent", "count", "ratio"
METRICS = (
    ("hit@1", "right passage quoted first (answerable)", PERCENT),
    ("hit@3", "right passage in the top 3 (answerable)", PERCENT),
    ("mrr", "mean reciprocal rank (answerable)", RATIO),
    ("verdict", "verdict right (composed)", PERCENT),
    ("baseline", "verdict right (baseline: nearest annotated question)", PERCENT),
    ("verdict_yn", "verdict right, yes/no expected (composed)", PERCENT),
    ("baseline_yn", "verdict right, yes/no expected (baseline)", PERCENT),
    ("claimed", "yes/no expected: the claim stated instead", PERCENT),
    ("cond_verdict", "conditional verdict right", PERCENT),
    ("clarify", "condition missing: depends with a clarifying question", PERCENT),
    ("refused_oos", "out-of-scope refused", PERCENT),
    ("refused_answerable", "answerable refused", PERCENT),
    ("fact", "headline names the fact asked for", PERCENT),
    ("dangerous", "yes↔no opposites (harmful)", COUNT),
    ("risky", "... of which endorse a risky action", COUNT),
    ("baseline_dangerous", "yes↔no opposites (baseline)", COUNT),
    ("baseline_risky", "... of which endorse a risky action", COUNT),
)
CONDITIONAL = "cond-"  # kinds starting with this test a verdict that turns on a condition
MISSING = "cond-missing"  # the question leaves the condition out: kbqa should ask it


@dataclass(frozen=True)
class Outcome:
    item: Item
    answer: Answer
    rank: int | None  # 1-based rank of the first expected passage in the ranking
    baseline: str | None = None  # the nearest annotated question's verdict; None: not measured
    polarity: int | None = None  # the question's direction as the engine read it (+1: do it)
    main: bool = True  # answered in the corpus's main language (the facts' language)

    @property
    def hit1(self) -> bool:
        return bool(self.answer.quotes) and self.answer.quotes[0].id in self.item.passages

    @property
    def verdict_ok(self) -> bool:
        return self.answer.verdict == self.item.verdict

    @property
    def baseline_ok(self) -> bool:
        return self.baseline == self.item.verdict

    @property
    def dangerous(self) -> bool:
        """Yes where the guide says no, or no where it says yes: always harmful."""
        return _opposite(self.answer.verdict, self.item.verdict)

    @property
    def risky(self) -> bool:
        """A dangerous answer that tells the buyer to close, cancel, confirm or accept."""
        return self.dangerous and _tells_to_act(self.polarity, self.answer.verdict)

    @property
    def baseline_dangerous(self) -> bool:
        return self.baseline is not None and _opposite(self.baseline, self.item.verdict)

    @property
    def baseline_risky(self) -> bool:
        return self.baseline_dangerous and _tells_to_act(self.polarity, str(self.baseline))

    @property
    def clarified(self) -> bool:
        """It depends, and kbqa asks the buyer the condition the verdict turns on."""
        return self.answer.verdict == "depends" and self.answer.clarify is not None

    @property
    def fact_ok(self) -> bool:
        return self.item.fact is None or _mentions(self.answer.headline, self.item.fact, self.main)

    @property
    def ok(self) -> bool:
        """Nothing to list among the failures."""
        return (
            self.hit1 == self.item.answerable
            and self.verdict_ok
            and self.fact_ok
            and (self.item.kind != MISSING or self.clarified)
        )


def _opposite(verdict: str, expected: str) -> bool:
    return {verdict, expected} == {"yes", "no"}


def _tells_to_act(polarity: int | None, verdict: str) -> bool:
    return polarity is not None and (verdict == "yes") == (polarity > 0)


class NearestQuestion:
    """The baseline: the verdict of the annotated question nearest a query, taken as is.

    Every passage's annotated questions compete; the winner's verdict is its own tag when
    it has one, else its passage's. No polarity, no conditions, no caution: what a plain
    nearest-neighbour FAQ lookup would say.
    """

    def __init__(self, index: Index):
        rows = [(row, ref) for row, ref in enumerate(index.vectors) if ref.kind == "question"]
        self.verdicts = tuple(
            index.passages[ref.passage].questions[ref.ordinal].verdict
            or index.passages[ref.passage].verdict
            for _, ref in rows
        )
        self.matrix = (
            np.vstack([index.dense.reconstruct(row) for row, _ in rows])
            if rows
            else np.zeros((0, index.dense.d), dtype=np.float32)
        )

    def verdict(self, query: Query) -> str | None:
        if not self.verdicts:
            return None
        return self.verdicts[int(np.argmax(self.matrix @ query.vector))]


def run(
    engine: Engine,
    items: list[Item],
    settings: Settings | None = None,
    cache: dict[str, Query] | None = None,
) -> list[Outcome]:
    """Ask every item, and the baseline beside it; ``cache`` maps question -> prepared query.

    Where the composed answer refuses, so does the baseline: the comparison is of verdict
    composition, not of the refusal rule, which both would share.
    """
    nearest: dict[str, NearestQuestion] = {}  # by language: each has its own vectors
    outcomes = []
    for item in items:
        query = (cache or {}).get(item.q) or engine.prepare(item.q)
        answer, ranking = engine.ask_with_hits(item.q, settings=settings, query=query)
        if answer.language not in nearest:
            nearest[answer.language] = NearestQuestion(engine.retriever_for(answer.language).index)
        baseline = (
            "not_covered"
            if answer.verdict == "not_covered"
            else nearest[answer.language].verdict(query)
        )
        rank = rank_of(ranking, item.passages)
        main = answer.language == engine.main_language
        outcomes.append(Outcome(item, answer, rank, baseline, query.analysis.polarity, main))
    return outcomes


def rank_of(ranking: Sequence[Hit], expected: tuple[str, ...]) -> int | None:
    for n, hit in enumerate(ranking, 1):
        if hit.passage.id in expected:
            return n
    return None


def _share(rows: list[Outcome], test: Callable[[Outcome], bool]) -> float:
    return sum(1 for o in rows if test(o)) / len(rows) if rows else math.nan


def core_metrics(outcomes: list[Outcome]) -> dict[str, float]:
    """What calibration sweeps over: retrieval, verdict, refusals, facts, opposites."""
    answerable = [o for o in outcomes if o.item.answerable]
    oos = [o for o in outcomes if not o.item.answerable]
    with_fact = [o for o in answerable if o.item.fact]
    return {
        "n": len(outcomes),
        "answerable": len(answerable),
        "oos": len(oos),
        "hit@1": _share(answerable, lambda o: o.hit1),
        "hit@3": _share(answerable, lambda o: o.rank is not None and o.rank <= 3),
        "mrr": statistics.fmean(1 / o.rank if o.rank else 0.0 for o in answerable)
        if answerable
        else math.nan,
        "verdict": _share(outcomes, lambda o: o.verdict_ok),
        "refused_oos": _share(oos, lambda o: o.answer.verdict == "not_covered"),
        "refused_answerable": _share(answerable, lambda o: o.answer.verdict == "not_covered"),
        "fact": _share(with_fact, lambda o: o.fact_ok),
        "dangerous": sum(1 for o in outcomes if o.dangerous),
        "risky": sum(1 for o in outcomes if o.risky),
    }


def metrics(outcomes: list[Outcome]) -> dict[str, float]:
    """``core_metrics`` plus the baseline beside them and the conditional questions.

    A share over no questions (no cond-missing items in a set) is NaN, printed "n/a"; so are
    the baseline's numbers when it was not measured.
    """
    measured = [o for o in outcomes if o.baseline is not None]
    yes_no = [o for o in outcomes if o.item.verdict in ("yes", "no")]
    yes_no_measured = [o for o in yes_no if o.baseline is not None]
    baseline_counted = bool(outcomes) and len(measured) == len(outcomes)
    return {
        **core_metrics(outcomes),
        "baseline": _share(measured, lambda o: o.baseline_ok),
        "verdict_yn": _share(yes_no, lambda o: o.verdict_ok),
        "baseline_yn": _share(yes_no_measured, lambda o: o.baseline_ok),
        "claimed": _share(
            yes_no, lambda o: o.answer.verdict == "info" and o.answer.claim is not None
        ),
        "cond_verdict": _share(
            [o for o in outcomes if o.item.kind.startswith(CONDITIONAL)], lambda o: o.verdict_ok
        ),
        "clarify": _share([o for o in outcomes if o.item.kind == MISSING], lambda o: o.clarified),
        "baseline_dangerous": sum(1 for o in measured if o.baseline_dangerous)
        if baseline_counted
        else math.nan,
        "baseline_risky": sum(1 for o in measured if o.baseline_risky)
        if baseline_counted
        else math.nan,
    }


def by_kind(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Per kind of question: how many, verdict right composed and baseline, hit@1."""
    kinds: dict[str, list[Outcome]] = {}
    for o in outcomes:
        kinds.setdefault(o.item.kind, []).append(o)
    return {
        kind: {
            "n": len(rows),
            "verdict": _share(rows, lambda o: o.verdict_ok),
            "baseline": _share(
                [o for o in rows if o.baseline is not None], lambda o: o.baseline_ok
            ),
            "hit@1": _share([o for o in rows if o.item.answerable], lambda o: o.hit1),
        }
        for kind, rows in sorted(kinds.items())
    }


def _mentions(headline: str, fact: str, main: bool = True) -> bool:
    """Whether the headline names the fact ("15 days"); in another language than the main
    one (the facts'), its number."""
    match = re.match(r"(\d+(?:\.\d+)?)\s*(%|\w+)", fact.strip())
    if not match:
        return fact.lower() in headline.lower()
    if not main:
        return bool(re.search(rf"(?<![\d.,]){re.escape(match[1])}(?![\d]|[.,]\d)", headline))
    return mentions_amount(headline, *match.groups())


def columns(by_set: dict[str, list[Outcome]]) -> dict[str, list[Outcome]]:
    """Each set, then tuning and held-out pooled where a split has several sets.

    Tuning and held-out are never pooled together: one number mixing questions that shaped
    kbqa with questions that never did would say nothing about either.
    """
    splits: dict[str, list[Outcome]] = {}
    for name, outcomes in by_set.items():
        split = "held-out" if name.startswith("heldout") else "tuning"
        # Nor are languages: a set's language is the one most of its questions are in.
        language = Counter((o.answer.language, o.main) for o in outcomes).most_common(1)
        if language and not language[0][0][1]:
            split = f"{split} {language[0][0][0]}"
        splits.setdefault(split, []).extend(outcomes)
    pooled = {f"{split} (all)": rows for split, rows in splits.items()}
    return {**by_set, **pooled} if len(by_set) > len(splits) > 0 else dict(by_set)


def default_sets(folder: Path) -> list[Path]:
    """Every question set in folder: tuning sets first, held-out sets last."""
    return sorted(Path(folder).glob("*.yaml"), key=lambda p: (p.stem.startswith("heldout"), p.stem))
