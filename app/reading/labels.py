"""The words of an answer and of the page, by key: every language's ``language.md`` has
them all (``| key | text |``), so nothing a buyer reads is written in code.

A key's text may hold ``{n}``, ``{text}`` or ``{limit}`` where the key says so.
"""

from __future__ import annotations

LABELS = (
    # the verdict badges (the terminal shows them in capitals)
    "yes",
    "no",
    "depends",
    "info",
    "not_covered",
    # a yes or no's headline: its claim, then why ({claim}, {reason}); the first words of
    # the other verdicts' ("It depends.") and of a refusal ("The guide doesn't…")
    "headline-claim",
    "headline-depends",
    "headline-not-covered",
    # an answer's parts
    "refusal",
    "confidence",
    "high",
    "medium",
    "low",
    "none",
    "notes",
    "note",
    "why",
    "related",
    "passage-1",
    "passage-2",
    "passage-3",
    "passage-n",  # {n}
    "why-question",  # {text}
    "why-rule",  # {text}
    "why-sentence",  # {text}
    "why-text",
    # how the terminal says why a passage was quoted
    "matched-question",
    "matched-rule",
    "matched-sentence",
    "matched-text",
    # the page
    "question",
    "ask",
    "examples",
    "unavailable",
    "too-long",  # {length}, {limit}
    "vote-first",
    # votes
    "comment",
    "helpful",
    "unhelpful",
    "thanks",
    "thanks-unsaved",
)
