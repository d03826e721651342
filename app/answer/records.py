"""The answer kbqa gives, as typed records: the one schema of every shell.

A verdict, a headline, verbatim quotes with their highlight and notes, a confidence band,
related questions and, when the guide's verdict turns on something the question did not
say, a clarifying question whose options each carry a whole answer. The records are
frozen pydantic models, so the same classes are what ``compose`` returns, what
``kbqa ask --json``, Gradio's ``/ask``, the REST API and the logs serialise
(``Answer.to_dict``), and what ``/openapi.json`` documents: the contract is written once.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["yes", "no", "depends", "info", "not_covered"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
Band = Literal["high", "medium", "low", "none"]


class Record(BaseModel):
    """A frozen record: its fields are its whole contract, and unknown ones are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Why(Record):
    """Why a passage was quoted: its best-matching vector and its two ranks."""

    matched: str = Field(description='"question", "rule", "sentence" or "text"')
    matched_text: str
    dense: float
    lexical: float
    dense_rank: int
    lexical_rank: int


class Note(Record):
    """A glossary term of the quote and what it means."""

    term: str
    means: str


class Quote(Record):
    """A passage of the guide, verbatim, with the sentence that answers highlighted."""

    id: str
    section: str
    text: str
    highlight: str = Field(description="the sentence of `text` that answers the question")
    score: float
    why: Why
    notes: tuple[Note, ...] = ()


class Confidence(Record):
    band: Band
    score: float


class Claim(Record):
    """What a yes or no asserts, in plain words, and whether it holds for this buyer.

    A bare "yes" answers the question as it was read ("can I still appeal?" and "is it too
    late to appeal?" get opposite ones for the same case); the claim does not depend on
    how the question was asked."""

    text: str = Field(description="the claim, as the corpus words it where it holds")
    holds: bool = Field(description="whether it holds in the case the question states")
    says: str = Field(description="the claim as it reads in this case: `text`, or its negation")


class Option(Record):
    """One answer to a clarifying question: what kbqa says if the buyer picks it."""

    label: str = Field(description='"15 days or fewer", "Yes, it has arrived"')
    verdict: Verdict
    headline: str
    claim: Claim | None = Field(description="what this side asserts, or null")
    quotes: tuple[str, ...] = Field(
        description="ids of the quotes that support this side, first first"
    )


class Clarify(Record):
    """The guide's verdict turns on something the question did not say: ask it."""

    question: str = Field(description="what the verdict turns on, asked")
    options: tuple[Option, ...]


class Answer(Record):
    """kbqa's answer: the JSON contract of `kbqa ask --json`, Gradio's /ask and the API."""

    question: str = Field(description="the question as kbqa read it")
    verdict: Verdict
    headline: str
    claim: Claim | None = Field(
        description="what a yes or no asserts and whether it holds; null for other verdicts"
    )
    quotes: tuple[Quote, ...]
    confidence: Confidence
    related: tuple[str, ...]
    clarify: Clarify | None = Field(
        description="null, or a question whose options each carry a whole answer"
    )
    language: str = Field(description="the question's language, which the headline is worded in")

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: records become objects, tuples become lists."""
        return self.model_dump(mode="json")

    def choose(self, option: int) -> Answer:
        """The answer once the buyer picks ``clarify.options[option]``: that side's verdict
        and headline, its passages quoted first. No second retrieval: every side's passage
        is already among the quotes of a clarifying answer."""
        if self.clarify is None or not 0 <= option < len(self.clarify.options):
            raise IndexError(f"no clarifying option {option}")
        chosen = self.clarify.options[option]
        order = {quote_id: n for n, quote_id in enumerate(chosen.quotes)}
        quotes = sorted(self.quotes, key=lambda q: order.get(q.id, len(order)))
        return self.model_copy(
            update={
                "verdict": chosen.verdict,
                "headline": chosen.headline,
                "claim": chosen.claim,
                "quotes": tuple(quotes),
                "clarify": None,
            }
        )
