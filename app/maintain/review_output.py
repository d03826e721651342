"""What ``kbqa review`` prints and writes: the groups as a table, as JSON, as evaluation items.

The grouping itself (which logged answers need a maintainer, by passage) is
``app.maintain.review``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from app.errors import KbqaError
from app.maintain.evalset import load_items
from app.maintain.review import EVAL_HEADER, NOT_COVERED, REASONS, Group
from app.reading.text import normalize_ws


def to_json(groups: Iterable[Group]) -> list[dict[str, Any]]:
    return [group.to_dict() for group in groups]


def render_table(groups: list[Group]) -> str:
    """The plain listing: a header per passage, then one line per question and its line."""
    if not groups:
        return "nothing to review: no unhelpful, low-confidence, tied or nearly refused answers"
    blocks = []
    for group in groups:
        counts = ", ".join(f"{count} {REASONS[reason]}" for reason, count in group.counts)
        if group.passage is None:
            head = f"(no passage)  refused with nothing near  ({group.total} asked: {counts})"
        else:
            where = group.where or "not in this index"
            head = f"{group.passage}  {where}  [{group.verdict or '?'}]"
            head += f"  ({group.total} asked: {counts})"
        lines = [head]
        for item in group.items:
            reasons = ", ".join(REASONS[r] for r in item.reasons)
            score = "-" if item.score is None else f"{item.score:.2f}"
            lines.append(
                f"  {reasons:<30} {item.count:>3}×  {_short(item.time)}  "
                f"{item.verdict}/{item.band or '-'}/{score}  {item.question}"
            )
            if item.line is not None:
                lines.append(f"      {item.field:<14}{item.line}")
            runner = item.runner_up
            if "tie" in item.reasons and runner is not None:
                score = "-" if runner.score is None else f"{runner.score:.2f}"
                lines.append(f"      tied with {runner.id} [{runner.verdict}] {score}")
            lines += [f"      comment: {_clip(c)}" for c in item.comments]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _short(time: str) -> str:
    return time[:16].replace("T", " ") if time else "-" * 16


def _clip(text: str, width: int = 100) -> str:
    text = normalize_ws(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def eval_items(groups: Iterable[Group]) -> list[dict[str, Any]]:
    """The items as evaluation items (``tests/eval/*.yaml``): the verdicts still to confirm."""
    items: list[dict[str, Any]] = []
    for group in groups:
        for item in group.items:
            items.append(
                {
                    "id": f"review-{len(items) + 1:03d}",
                    "q": item.question,
                    "verdict": item.confirm if group.passage else NOT_COVERED,
                    "passages": [group.passage] if group.passage else [],
                    "kind": "review",
                    "fact": None,
                }
            )
    return items


def write_eval(groups: list[Group], path: Path) -> int:
    """Write the items as an evaluation set and check it loads; how many were written."""
    path = Path(path)
    items = eval_items(groups)
    if not items:
        raise KbqaError(f"nothing to review, so {path} was not written")
    if path.exists():
        raise KbqaError(f"{path} exists; choose another file (its verdicts may be confirmed)")
    body = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EVAL_HEADER + body, encoding="utf-8")
    try:
        load_items(path)
    except KbqaError:
        path.unlink(missing_ok=True)
        raise
    return len(items)
