"""The buyer actions a guide rules on, and the words for them, as data from ``actions.md``.

The guide's safety rule is about actions that end a buyer's protection (closing the dispute,
confirming receipt, accepting an offer, paying outside the site). Which words do or undo
each action is the guide's knowledge, so it lives in the corpus; this module holds the
records and compiles their word lists into the patterns ``app.reading.question`` reads with.

Word lists follow ``app.reading.wordlist``: ``*`` is any ending ("cancel*"), ``…`` up to four words.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from app.reading.wordlist import alternatives


@dataclass(frozen=True)
class Action:
    kind: str  # "close"
    risky: bool  # doing it ends the buyer's protection
    does: tuple[str, ...] = ()
    undoes: tuple[str, ...] = ()
    safe: tuple[str, ...] = ()  # phrases that start with a "does" word yet are harmless


@dataclass(frozen=True)
class Lexicon:
    actions: tuple[Action, ...] = ()
    bad: tuple[str, ...] = ()  # judgement words: "scam", "too late"

    @property
    def risky_kinds(self) -> tuple[str, ...]:
        return tuple(a.kind for a in self.actions if a.risky)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Lexicon:
        actions = tuple(
            Action(a["kind"], a["risky"], tuple(a["does"]), tuple(a["undoes"]), tuple(a["safe"]))
            for a in record["actions"]
        )
        return cls(actions, tuple(record["bad"]))


@dataclass(frozen=True)
class Patterns:
    """A lexicon compiled: what ``app.reading.question`` matches with."""

    does: re.Pattern | None  # groups named by kind
    undoes: re.Pattern | None
    safe: re.Pattern | None
    bad: re.Pattern | None
    kinds: dict[str, str | None]  # group name -> action kind (None: not a risky action)


def _grouped(entries: list[tuple[str, tuple[str, ...]]]) -> re.Pattern | None:
    groups = [f"(?P<{name}>{alternatives(words)})" for name, words in entries if words]
    return re.compile(rf"\b(?:{'|'.join(groups)})\b") if groups else None


@lru_cache(maxsize=16)
def compiled(lexicon: Lexicon) -> Patterns:
    does = [(f"do_{n}", a.does) for n, a in enumerate(lexicon.actions) if a.risky]
    undoes = [(f"undo_{n}", a.undoes) for n, a in enumerate(lexicon.actions)]
    kinds: dict[str, str | None] = {f"do_{n}": a.kind for n, a in enumerate(lexicon.actions)}
    kinds |= {f"undo_{n}": (a.kind if a.risky else None) for n, a in enumerate(lexicon.actions)}
    safe = tuple(w for a in lexicon.actions for w in a.safe)
    return Patterns(
        does=_grouped(does),
        undoes=_grouped(undoes),
        safe=re.compile(rf"^(?:{alternatives(safe)})\b") if safe else None,
        bad=re.compile(rf"\b(?:{alternatives(lexicon.bad)})\b") if lexicon.bad else None,
        kinds=kinds,
    )
