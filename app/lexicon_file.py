"""Parsing ``actions.md``: the actions a guide rules on and the words for them.

``## kind`` opens an action with a field list (``risky: yes|no``, ``does:``, ``undoes:``,
``safe:``, each a comma-separated word list); ``# Judgements`` holds ``bad:``, the words
that call an action bad. Problems are reported as ``path:line``.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.errors import CorpusIssue
from app.lexicon import Action, Lexicon
from app.mdfile import children, close, line, parse, read, shown

_FIELD = re.compile(r"^(?P<key>[A-Za-z_ ]+?)\s*:\s*(?P<value>.*)$", re.DOTALL)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEYS = ("risky", "does", "undoes", "safe", "bad")


def _words(text: str) -> tuple[str, ...]:
    return tuple(" ".join(w.split()).lower() for w in text.split(",") if w.strip())


def parse_actions(path: Path) -> tuple[Lexicon, list[CorpusIssue]]:
    """Read ``actions.md``; a corpus without one knows no actions (nothing is risky)."""
    if not path.exists():
        return Lexicon(), []
    where = shown(path)
    tokens = parse(read(path))
    issues: list[CorpusIssue] = []
    actions: list[Action] = []
    bad: list[str] = []
    current: tuple[str, int] | None = None
    i = 0
    while i < len(tokens):
        token, end = tokens[i], close(tokens, i)
        if token.type == "heading_open" and token.tag == "h1":
            current = None
        elif token.type == "heading_open" and token.tag == "h2":
            current = (tokens[i + 1].content.strip(), line(token))
        elif token.type == "bullet_list_open":
            fields: dict[str, tuple[int, str]] = {}
            for start, stop in children(tokens[i : end + 1], "list_item_open"):
                item = tokens[i + start : i + stop + 1]
                head = next((t.content for t in item if t.type == "inline"), "")
                match = _FIELD.match(head)
                key = match["key"].strip().lower() if match else ""
                if key not in _KEYS:
                    issues.append(
                        CorpusIssue(
                            where,
                            line(item[0]),
                            f"expected one of {', '.join(_KEYS)} as 'field: words', got {head!r}",
                        )
                    )
                    continue
                fields[key] = (line(item[0]), match["value"])
            if current is None:
                bad += _words(fields.get("bad", (0, ""))[1])
            else:
                action, action_issues = _action(current, fields, where)
                issues += action_issues
                if action is not None:
                    actions.append(action)
        i = end + 1
    kinds = [a.kind for a in actions]
    for kind in sorted({k for k in kinds if kinds.count(k) > 1}):
        issues.append(CorpusIssue(where, 0, f"action '{kind}' declared twice"))
    return Lexicon(tuple(actions), tuple(bad)), issues


def _action(current, fields, where) -> tuple[Action | None, list[CorpusIssue]]:
    kind, at = current
    issues = []
    if not _ID.match(kind):
        issues.append(CorpusIssue(where, at, f"action {kind!r} must be a lower-case slug"))
    risky_line, risky = fields.get("risky", (at, ""))
    if risky.strip().lower() not in ("yes", "no"):
        issues.append(CorpusIssue(where, risky_line, f"action '{kind}': risky must be yes or no"))
        return None, issues
    does = _words(fields.get("does", (0, ""))[1])
    undoes = _words(fields.get("undoes", (0, ""))[1])
    if risky.strip().lower() == "yes" and not does:
        issues.append(CorpusIssue(where, at, f"action '{kind}': a risky action needs 'does'"))
    action = Action(
        kind, risky.strip().lower() == "yes", does, undoes, _words(fields.get("safe", (0, ""))[1])
    )
    return action, issues
