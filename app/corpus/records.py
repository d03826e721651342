"""The annotated corpus as records: passages, glossary, scope, out-of-scope topics.

What the index stores and the engine answers from. The folder's files and how they are
read and validated are ``app.corpus.load``'s; answering never parses markdown.

A corpus folder holds ``source/*.txt`` (the guide as received), ``*.md`` passage files,
the side files named below and ``README.md`` (documentation, never parsed); a second
language's annotations live in a folder of their own (``app.corpus.locales``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from app.corpus.claims import Claims
from app.corpus.translation import Translation
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions, Side
from app.reading.language import Language

VERDICTS = ("yes", "no", "depends", "info")
# The guide's words on the page (``title``, ``heading``, the ``prompt`` of an empty
# question box and its ``placeholder``) and, for the main language, the API's description.
SCOPE_WORDS = ("title", "heading", "prompt", "placeholder")
MAIN_SCOPE_WORDS = (*SCOPE_WORDS, "api")
ASKS = ("any", "action", "fact")


@dataclass(frozen=True)
class Fact:
    """A deadline or amount stated by a passage, e.g. ``15 days``: time to appeal."""

    amount: str
    what: str


@dataclass(frozen=True)
class Question:
    """A way a buyer asks for a passage; ``verdict`` is set when it differs from the passage's."""

    text: str
    verdict: str | None = None


@dataclass(frozen=True)
class Passage:
    id: str
    section: str
    text: str
    verdict: str
    rule: str
    questions: tuple[Question, ...]
    facts: tuple[Fact, ...] = ()
    source: str = ""
    # Conditional passages: the point they answer and their sides of it (app.reading.conditions).
    point: str | None = None
    sides: tuple[Side, ...] = ()
    # Which questions the sides answer: "action" ("can I cancel?"), "fact" ("do I win
    # automatically?") or "any": a passage answering both kinds says which its sides are for.
    asks: str = "any"
    # The risky actions (kinds in actions.md) this passage rules on, beyond those its
    # annotated questions name: the safety guard holds for them whatever the buyer's words.
    risk: tuple[str, ...] = ()
    # The sentence of the quote that answers the passage's point, when the one nearest a
    # question may be a lead-in ("There are cases when dispute You can cancel.").
    highlight: str | None = None
    # What it holds, in plain words, for the headline to lead with (app.corpus.claims).
    claims: Claims = field(default_factory=Claims)
    # Its annotations in the corpus's other languages (``ru-rule``…): see app.corpus.translation.
    translations: tuple[Translation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["translations"] = [t.to_dict() for t in self.translations]
        record["questions"] = [asdict(q) for q in self.questions]
        record["facts"] = [asdict(f) for f in self.facts]
        record["sides"] = [s.to_dict() for s in self.sides]
        record["risk"] = list(self.risk)
        record["claims"] = self.claims.to_dict()
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Passage:
        return cls(
            id=record["id"],
            section=record["section"],
            text=record["text"],
            verdict=record["verdict"],
            rule=record["rule"],
            questions=tuple(Question(**q) for q in record["questions"]),
            facts=tuple(Fact(**f) for f in record["facts"]),
            source=record.get("source", ""),
            point=record.get("point"),
            sides=tuple(Side.from_dict(s) for s in record.get("sides", ())),
            asks=record.get("asks", "any"),
            risk=tuple(record.get("risk", ())),
            highlight=record.get("highlight"),
            claims=Claims.from_dict(record.get("claims")),
            translations=tuple(
                Translation(
                    t["language"],
                    t["rule"],
                    tuple(Question(**q) for q in t["questions"]),
                    tuple(Side.from_dict(s) for s in t["sides"]),
                    Claims.from_dict(t.get("claims")),
                )
                for t in record.get("translations", ())
            ),
        )


@dataclass(frozen=True)
class GlossaryEntry:
    """``term`` as written in the guide (or by buyers) and its plain meaning.

    ``note`` entries explain the guide's garble and are shown beside quotes; the others
    only help matching.
    """

    term: str
    meaning: str
    note: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Scope:
    """What the guide covers, in a sentence, example questions to offer a buyer, and the
    guide's own words on the page and in the API (``title``, ``prompt``…: ``SCOPE_WORDS``)."""

    text: str
    examples: tuple[str, ...]
    wording: tuple[tuple[str, str], ...] = ()

    def word(self, key: str) -> str:
        """The wording of ``key``; the scope file must have it (``KeyError``)."""
        return dict(self.wording)[key]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "examples": list(self.examples),
            "wording": [list(pair) for pair in self.wording],
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Scope:
        wording = tuple((str(k), str(v)) for k, v in record["wording"])
        return cls(record["text"], tuple(record["examples"]), wording)


@dataclass(frozen=True)
class Topic:
    """A subject the guide does not cover, with questions buyers ask about it."""

    id: str
    questions: tuple[str, ...]
    names: tuple[str, ...] = ()  # words that put any question naming them out of scope

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "questions": list(self.questions), "names": list(self.names)}


@dataclass(frozen=True)
class Locale:
    """A second language of the corpus (its folder, ``ru/``): its words, the same conditions
    and actions worded in it, and its side files."""

    language: Language
    glossary: tuple[GlossaryEntry, ...]
    scope: Scope
    out_of_scope: tuple[Topic, ...]
    conditions: Conditions
    lexicon: Lexicon

    @property
    def code(self) -> str:
        return self.language.code


@dataclass(frozen=True)
class Corpus:
    passages: tuple[Passage, ...]
    glossary: tuple[GlossaryEntry, ...]
    sections: tuple[str, ...]
    source: str  # all source guides, normalised, one after another
    source_lines: tuple[str, ...]  # normalised non-blank, non-page-number lines
    content_hash: str
    files: tuple[str, ...] = field(default=())
    scope: Scope = field(default_factory=lambda: Scope("", ()))
    out_of_scope: tuple[Topic, ...] = ()
    conditions: Conditions = field(default_factory=Conditions)
    lexicon: Lexicon = field(default_factory=Lexicon)
    locales: tuple[Locale, ...] = ()  # the other languages, by folder
    # The main language (``language.md`` at the corpus root): how its questions are read.
    language: Language | None = None


@dataclass(frozen=True)
class Coverage:
    """How the passages tile the source's sentences (headings excluded)."""

    sentences: int
    covered: int
    uncovered: tuple[str, ...]
    overlapping: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.covered / self.sentences if self.sentences else 1.0
