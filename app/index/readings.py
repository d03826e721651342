"""How each annotated question asks, read once at build and stored with the index.

Composing an answer compares the buyer's question with the annotated questions of the
passages it matched: their form, action, polarity and the situations they state. Reading
every annotated question again at each start costs seconds at a large corpus (about 20 s at
100k passages), so ``kbqa build`` reads them and writes ``analyses.json`` (and one per
second language, ``ru-analyses.json``): passage id -> one ``Analysis`` record per question,
in the order of the passage's questions. Code that reads them differently must raise the
index's declared ``PIPELINE_VERSION`` (``app.index.store``): the stored readings are then stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from app.corpus.records import Passage
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions
from app.reading.language import Language
from app.reading.question import Analysis, read
from app.reading.situation import Situation, read_situation


def read_question(
    text: str, language: Language, conditions: Conditions, lexicon: Lexicon
) -> tuple[Analysis, Situation]:
    """How a question asks in ``language``, with the situations it states folded in."""
    situation = read_situation(text, conditions, language.folds)
    return replace(read(text, language, lexicon), states=situation.states), situation


def annotated(
    passages: Iterable[Passage], language: Language, conditions: Conditions, lexicon: Lexicon
) -> dict[str, tuple[Analysis, ...]]:
    """Each passage's annotated questions read, by passage id (a question asked in the same
    words by several passages is read once: a reading depends on the words alone)."""
    readings: dict[str, Analysis] = {}

    def reading(text: str) -> Analysis:
        if text not in readings:
            readings[text] = read_question(text, language, conditions, lexicon)[0]
        return readings[text]

    return {p.id: tuple(reading(q.text) for q in p.questions) for p in passages}


def to_json(analyses: dict[str, tuple[Analysis, ...]]) -> dict[str, Any]:
    """Each distinct reading once (``readings``) and each passage's as indices into them:
    questions read alike far outnumber the ways of reading, and loading stays fast."""
    table: dict[Analysis, int] = {}
    passages = {
        pid: [table.setdefault(a, len(table)) for a in records] for pid, records in analyses.items()
    }
    return {"readings": [a.to_json() for a in table], "passages": passages}


def from_json(data: dict[str, Any]) -> dict[str, tuple[Analysis, ...]]:
    table = [Analysis.from_json(r) for r in data["readings"]]
    return {pid: tuple(table[i] for i in rows) for pid, rows in data["passages"].items()}
