"""Reading the corpus's markdown files: parsing, walking token blocks, and naming places.

Every corpus file (passages, glossary, scope, conditions) is CommonMark read with
markdown-it-py; these helpers find its blocks and say where they are as ``path:line``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import CorpusError, CorpusIssue

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Imported on the first parse: answering a question reads an index, never markdown.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def parse(text: str) -> list[Token]:
    return _markdown().parse(text)


def read(path: Path) -> str:
    """A corpus file's text; ``CorpusError`` (never a traceback) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError([CorpusIssue(shown(path), 0, f"not UTF-8 text ({err.reason})")]) from None
    except OSError as err:
        raise CorpusError([CorpusIssue(shown(path), 0, f"cannot read: {err.strerror}")]) from None


def close(tokens: list[Token], i: int) -> int:
    """Index of the token closing the block opened at i (i itself for a lone token)."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def children(
    tokens: list[Token], open_type: str, offset: int = 0, nested: bool = False
) -> list[tuple[int, int]]:
    """(start, end) of the blocks of open_type at the shallowest level (any level if nested)."""
    found, i = [], offset
    level = None
    while i < len(tokens):
        token = tokens[i]
        if token.type == open_type and (nested or level is None or token.level == level):
            level = token.level
            end = close(tokens, i)
            found.append((i, end))
            i = end + 1
        else:
            i += 1
    return found


def line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 0


def shown(path: Path) -> str:
    """A path as the user typed it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# A lower-case slug: passage, topic, variable and action ids.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FIELD = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z_ -]*?)\s*:\s*(?P<value>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Field:
    """One item of an annotation list: ``- key: value``, with its nested items."""

    line: int
    key: str | None  # lower-cased; None when the item does not read "key: value"
    value: str
    head: str  # the item's text as written, for messages
    nested: tuple[tuple[int, str], ...]  # (line, text) of each nested item


def fields(tokens: list[Token]) -> list[Field]:
    """The items of the top-level bullet list in ``tokens``, read as ``key: value``."""
    out = []
    for start, end in children(tokens, "list_item_open"):
        item = tokens[start : end + 1]
        head = next((t.content for t in item if t.type == "inline"), "")
        nested = tuple(
            (line(item[s]), next(t.content for t in item[s:e] if t.type == "inline"))
            for s, e in children(item, "list_item_open", offset=1)
        )
        match = _FIELD.match(head)
        key = match["key"].strip().lower() if match else None
        value = match["value"].strip() if match else ""
        out.append(Field(line(item[0]), key, value, head, nested))
    return out


def table_rows(table: list[Token]) -> list[tuple[int, list[str]]]:
    """The rows of one table block (header first), each as (line, stripped cell texts)."""
    return [
        (line(table[s]), [t.content.strip() for t in table[s:e] if t.type == "inline"])
        for s, e in children(table, "tr_open", nested=True)
    ]


def word_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of words or phrases, each lower-cased, spaces collapsed."""
    return tuple(" ".join(w.split()).lower() for w in text.split(",") if w.strip())
