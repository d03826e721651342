"""What an answer asserts, in plain words: a passage's claim.

A bare "Yes." answers whatever the reader thinks was asked; "You can still appeal" cannot be
misread. Every passage that can answer yes or no (its verdict, a tagged question, a side of
a point) carries the claim it holds, and the headline leads with it as it holds for this
buyer (``app.answer.claims``):

- ``claim``: what the passage holds, as the guide states it ("Don't close the dispute");
- ``claim-not``: the same claim as it reads when it fails, for a passage whose sides can
  decide against it ("You can cancel the dispute now" / "Don't cancel the dispute");
- ``when-claim``, ``when-claim-not``: the claim of the passage's sides when they answer
  another question than its verdict (a passage that says "don't close the dispute" and
  whose sides say whether it closes in your favour by itself). A side with verdict ``yes``
  makes it hold.

Without a ``when-claim``, a side makes ``claim`` hold when its verdict is the passage's
(``yes`` for an ``info`` or ``depends`` passage), and ``claim-not`` otherwise. Each
language writes its own (``ru-claim``…).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.reading.conditions import Side
from app.reading.text import normalize_ws

CLAIM_FIELDS = ("claim", "claim-not", "when-claim", "when-claim-not")


@dataclass(frozen=True)
class Claim:
    """A claim as it holds (``text``) and as it fails (``negated``, when it can)."""

    text: str
    negated: str | None = None

    def said(self, holds: bool) -> str:
        """The claim as it reads when it holds, or fails."""
        return self.text if holds or self.negated is None else self.negated

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "negated": self.negated}

    @classmethod
    def from_dict(cls, record: dict[str, Any] | None) -> Claim | None:
        return None if record is None else cls(record["text"], record.get("negated"))


def reference(verdict: str) -> str:
    """The side verdict that makes a passage's own claim hold."""
    return verdict if verdict in ("yes", "no") else "yes"


@dataclass(frozen=True)
class Claims:
    """A passage's claims: its own, and its sides' when they answer another question."""

    claim: Claim | None = None
    when: Claim | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim.to_dict() if self.claim else None,
            "when": self.when.to_dict() if self.when else None,
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any] | None) -> Claims:
        record = record or {}
        return cls(Claim.from_dict(record.get("claim")), Claim.from_dict(record.get("when")))

    def of_side(self, side: Side, verdict: str) -> tuple[Claim | None, bool]:
        """The claim a side of the passage (whose verdict is ``verdict``) speaks to, and
        whether the side makes it hold."""
        if self.when is not None:
            return self.when, side.verdict == "yes"
        return self.claim, side.verdict == reference(verdict)


def read_claims(
    found: dict[str, tuple[int, Any]],
    prefix: str,
    line: int,
    problem: Callable[[int, str], None],
) -> Claims:
    """The claims among a passage's fields (``prefix`` "" or "ru-"), each sentence
    trimmed of a final full stop (the headline adds its own punctuation)."""

    def text(name: str) -> str | None:
        value = found.get(f"{prefix}{name}", (line, None))[1]
        return normalize_ws(value).rstrip(".") if value else None

    claim, negated = text("claim"), text("claim-not")
    when, when_negated = text("when-claim"), text("when-claim-not")
    for orphan, parent in (("claim-not", claim), ("when-claim-not", when)):
        if text(orphan) and not parent:
            at = found[f"{prefix}{orphan}"][0]
            problem(at, f"'{prefix}{orphan}' without '{prefix}{orphan.removesuffix('-not')}'")
    return Claims(
        Claim(claim, negated) if claim else None,
        Claim(when, when_negated) if when else None,
    )


def missing_claims(
    claims: Claims,
    verdict: str | None,
    tags: Sequence[str | None],
    sides: Sequence[Side],
    prefix: str = "",
) -> list[str]:
    """What a passage lacks for every yes or no it can give to be stated as a claim."""
    answers_yes_no = verdict in ("yes", "no") or any(t in ("yes", "no") for t in tags)
    out = []
    if (answers_yes_no or sides) and claims.claim is None:
        out.append(f"'{prefix}claim' (what the passage holds, in plain words)")
    if sides and claims.when is None and claims.claim is not None:
        against = [s for s in sides if s.verdict != reference(verdict or "")]
        if against and claims.claim.negated is None:
            out.append(f"'{prefix}claim-not' (the claim as a side decides against it)")
    when = claims.when
    if when is not None and when.negated is None and any(s.verdict != "yes" for s in sides):
        out.append(f"'{prefix}when-claim-not' (the sides' claim as it fails)")
    return out
