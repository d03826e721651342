"""Frozen records to JSON and back, one way for all of them.

Index files hold records (a language, conditions, an annotated question's reading) as JSON.
Writing and reading each by hand doubles every field list and lets the two drift; pydantic
validates a dataclass (nested records, tuples, literals) from JSON values and dumps it back,
so ``to_json`` and ``from_json`` are the whole of it. A record that does not fit its type is
a ``ValueError`` naming the field (the index reader turns it into "rebuild").
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")


# Classes are hashable, but mypy checks type[X] against Hashable through X's own __hash__
# and rejects it (python/mypy#11470): hence the two ignores where _adapter is called.
@cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def to_json(record: Any) -> Any:
    """A record as JSON values: dataclasses as objects, tuples as lists."""
    return _adapter(type(record)).dump_python(record, mode="json")  # type: ignore[arg-type]


def from_json(kind: type[T], data: Any) -> T:
    """The record of type ``kind`` that ``data`` holds; ``ValueError`` when it does not."""
    try:
        return _adapter(kind).validate_python(data, strict=False)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise ValueError(f"{kind.__name__} at {where}: {first['msg']}") from None
