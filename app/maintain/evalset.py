"""Question sets for ``kbqa eval``, validated before a single question is asked.

A set is a YAML list of ``{id, q, verdict, passages, kind, fact}``. A typo in a set does
not crash anything; it silently measures the wrong thing (an unquoted ``yes`` is YAML's
``true``, a misspelt ``pasages`` leaves a question with no right answer), so every item is
checked against a strict schema and the first problem is reported as one line that names the
file, the line, the item and the field. Ids must be unique across everything one run
measures, because failures and per-kind tables are read by id.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.answer.records import Verdict
from app.errors import KbqaError


class Item(BaseModel):
    """One buyer's question and what a right answer looks like.

    ``passages`` lists every passage that answers it (any of them quoted first is a hit;
    empty when the guide does not cover it); ``fact`` is the number the headline must name
    ("15 days"); ``kind`` says how the question was written, for the per-kind table.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    q: str = Field(min_length=1)
    verdict: Verdict
    passages: tuple[str, ...]
    kind: str = ""
    fact: str | None = None

    @property
    def answerable(self) -> bool:
        return self.verdict != "not_covered"


FIELDS = tuple(Item.model_fields)


def load_items(path: Path) -> list[Item]:
    """The items of one set; ``KbqaError`` naming file, line, item and field when invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        records = yaml.safe_load(text)
        lines = _item_lines(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise KbqaError(f"cannot read question set {path}: {_one_line(err)}") from None
    if not isinstance(records, list) or not records:
        raise KbqaError(f"{path}: expected a list of questions ({', '.join(FIELDS)})")
    items, problems = [], []
    for n, record in enumerate(records, 1):
        where = f"{path}:{lines[n - 1]}" if n <= len(lines) else str(path)
        if not isinstance(record, dict):
            problems.append(f"{where}: item #{n}: expected a mapping of {', '.join(FIELDS)}")
            continue
        try:
            items.append(Item.model_validate(record))
        except ValidationError as err:
            label = _label(record, n)
            # An unknown field first: a misspelt one also makes the real one "missing".
            errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
            problems += [f"{where}: item {label}: {_problem(e)}" for e in errors]
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise KbqaError(problems[0] + more)
    return items


def load_sets(paths: Iterable[Path]) -> dict[Path, list[Item]]:
    """Every set one run measures, validated, with ids unique across all of them."""
    sets: dict[Path, list[Item]] = {}
    seen: dict[str, Path] = {}
    for path in paths:
        if Path(path) in sets:
            raise KbqaError(f"{path}: question set given twice")
        items = load_items(path)
        for item in items:
            if item.id in seen:
                first = seen[item.id]
                also = "again" if first == Path(path) else f"also in {first}"
                raise KbqaError(f"{path}: item {item.id}: field id: duplicate id ({also})")
            seen[item.id] = Path(path)
        sets[Path(path)] = items
    return sets


def _item_lines(text: str) -> list[int]:
    """The 1-based line each top-level item starts on (for ``path:line`` messages)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [child.start_mark.line + 1 for child in node.value]


def _label(record: dict[str, Any], n: int) -> str:
    ident = record.get("id")
    return f"{ident} (#{n})" if isinstance(ident, str) and ident else f"#{n}"


def _problem(error: Any) -> str:
    """One pydantic error as "field X: what is wrong (got ...)"."""
    loc = error["loc"]
    field = ".".join(str(part) for part in loc) if loc else "(item)"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        near = difflib.get_close_matches(field, FIELDS, n=1)
        hint = f"did you mean {near[0]}?" if near else f"known: {', '.join(FIELDS)}"
        return f"field {field}: unknown field ({hint})"
    if kind == "missing":
        return f"field {field}: missing"
    message = f"field {field}: {error['msg']} (got {value!r})"
    if loc and loc[0] == "verdict" and isinstance(value, bool):
        message += "; YAML reads an unquoted yes/no as true/false: write 'yes' or 'no'"
    return message


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())
