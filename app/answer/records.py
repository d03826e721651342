"""The answer kbqa gives, as typed records: the JSON contract of every shell.

``Answer.to_dict`` is what ``kbqa ask --json``, the web page's ``/ask`` API and the
feedback log serialise: a verdict, a headline, verbatim quotes with their highlight and
notes, a confidence band, related questions and, when the guide's verdict turns on
something the question did not say, a clarifying question whose options each carry a
whole answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

VERDICTS = ("yes", "no", "depends", "info", "not_covered")
PREFIX = {"yes": "Yes.", "no": "No.", "depends": "It depends."}
NOT_COVERED = "The guide doesn't cover this."


@dataclass(frozen=True)
class Why:
    """Why a passage was quoted: its best-matching vector and its two ranks."""

    matched: str  # "question", "rule", "sentence" or "text"
    matched_text: str
    dense: float
    lexical: float
    dense_rank: int
    lexical_rank: int


@dataclass(frozen=True)
class Note:
    term: str
    means: str


@dataclass(frozen=True)
class Quote:
    id: str
    section: str
    text: str
    highlight: str
    score: float
    why: Why
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Confidence:
    band: str  # "high", "medium", "low" or "none"
    score: float


@dataclass(frozen=True)
class Option:
    """One answer to a clarifying question: what kbqa says if the buyer picks it."""

    label: str  # "15 days or fewer", "Yes, it has arrived"
    verdict: str
    headline: str
    quotes: tuple[str, ...]  # ids of the passages that support this side, first one first


@dataclass(frozen=True)
class Clarify:
    """The guide's verdict turns on something the question did not say: ask it."""

    question: str  # "How many days ago did the dispute close?"
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Answer:
    question: str
    verdict: str
    headline: str
    quotes: tuple[Quote, ...]
    confidence: Confidence
    related: tuple[str, ...]
    clarify: Clarify | None = None
    language: str = "en"  # the question's language, which the headline is worded in

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: records become objects, tuples become lists."""
        return _plain(asdict(self))

    def choose(self, option: int) -> Answer:
        """The answer once the buyer picks ``clarify.options[option]``: that side's verdict
        and headline, its passages quoted first. No second retrieval: every side's passage
        is already among the quotes of a clarifying answer."""
        if self.clarify is None or not 0 <= option < len(self.clarify.options):
            raise IndexError(f"no clarifying option {option}")
        chosen = self.clarify.options[option]
        order = {quote_id: n for n, quote_id in enumerate(chosen.quotes)}
        quotes = sorted(self.quotes, key=lambda q: order.get(q.id, len(order)))
        return replace(
            self,
            verdict=chosen.verdict,
            headline=chosen.headline,
            quotes=tuple(quotes),
            clarify=None,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
