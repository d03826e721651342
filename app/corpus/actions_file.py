"""Parsing ``actions.md``: the actions a guide rules on and the words for them.

``## kind`` opens an action with a field list (``risky: yes|no``, ``does:``, ``undoes:``,
``safe:``, each a comma-separated word list); ``# Judgements`` holds ``bad:``, the words
that call an action bad. Problems are reported as ``path:line``.
"""

from __future__ import annotations

from pathlib import Path

from app.corpus.markdown import SLUG, close, fields, line, parse, read, shown, word_list
from app.errors import CorpusIssue
from app.reading.actions import Action, Lexicon

_KEYS = ("risky", "does", "undoes", "safe", "bad")


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
    headings: list[tuple[str, int]] = []
    i = 0
    while i < len(tokens):
        token, end = tokens[i], close(tokens, i)
        if token.type == "heading_open" and token.tag == "h1":
            current = None
        elif token.type == "heading_open" and token.tag == "h2":
            current = (tokens[i + 1].content.strip(), line(token))
            headings.append(current)
        elif token.type == "bullet_list_open":
            found: dict[str, tuple[int, str]] = {}
            for item in fields(tokens[i : end + 1]):
                if item.key not in _KEYS:
                    expected = f"expected one of {', '.join(_KEYS)} as 'field: words'"
                    issues.append(CorpusIssue(where, item.line, f"{expected}, got {item.head!r}"))
                    continue
                found[item.key] = (item.line, item.value)
            if current is None:
                bad += word_list(found.get("bad", (0, ""))[1])
            else:
                action, action_issues = _action(current, found, where)
                issues += action_issues
                if action is not None:
                    actions.append(action)
        i = end + 1
    first: dict[str, int] = {}
    for kind, at in headings:
        if kind in first:
            also = f"also at {where}:{first[kind]}"
            issues.append(CorpusIssue(where, at, f"action '{kind}' declared twice ({also})"))
        first.setdefault(kind, at)
    return Lexicon(tuple(actions), tuple(bad)), issues


def _action(current, found, where) -> tuple[Action | None, list[CorpusIssue]]:
    kind, at = current
    issues = []
    if not SLUG.match(kind):
        issues.append(CorpusIssue(where, at, f"action {kind!r} must be a lower-case slug"))
    risky_line, risky = found.get("risky", (at, ""))
    if risky.strip().lower() not in ("yes", "no"):
        issues.append(CorpusIssue(where, risky_line, f"action '{kind}': risky must be yes or no"))
        return None, issues
    does = word_list(found.get("does", (0, ""))[1])
    undoes = word_list(found.get("undoes", (0, ""))[1])
    if risky.strip().lower() == "yes" and not does:
        issues.append(CorpusIssue(where, at, f"action '{kind}': a risky action needs 'does'"))
    action = Action(
        kind,
        risky.strip().lower() == "yes",
        does,
        undoes,
        word_list(found.get("safe", (0, ""))[1]),
    )
    return action, issues
