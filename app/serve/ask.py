"""One path from a question to a logged answer, for every shell.

``kbqa ask`` (one question or JSON Lines), the page, Gradio's ``/ask`` and the REST API
all call ``Asker.ask``: it reads the question by the one rule (``app.reading.input``),
answers it, logs the answer when there is a question log, and turns every failure into a
``Problem``, ``{error, status}``: 400 for a question kbqa will not read, 503 when it cannot
answer now (the index or a model will not load), 500 for a bug (logged here with its
traceback, never shown). The shells only print: JSON, a terminal, HTML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.answer.engine import Engine
from app.answer.records import Answer, Record
from app.errors import KbqaError
from app.serve.querylog import QuestionLog

UNAVAILABLE = "kbqa cannot answer right now: its index is unavailable; try again in a moment"
INTERNAL = "kbqa failed on this question; the server logged why"

log = logging.getLogger("kbqa.ask")


class Problem(Record):
    """An error: what went wrong, in words, and its HTTP status."""

    error: str
    status: int


@dataclass(frozen=True)
class Asked:
    """What one question got: an answer (with its log line's id), or a problem."""

    question: object  # as it came in
    answer: Answer | None = None
    problem: Problem | None = None
    log_id: str | None = None  # None: not logged
    corpus_hash: str = ""  # the corpus of the index that answered

    def to_dict(self) -> dict:
        """The JSON a shell prints: the answer's contract, or ``{question, error, status}``
        (the question as sent, or null when it was not text)."""
        if self.answer is not None:
            return self.answer.to_dict()
        assert self.problem is not None
        question = self.question if isinstance(self.question, str) else None
        return {"question": question, **self.problem.model_dump()}


class Asker:
    """The engine, and the question log its answers go to (None: not logged)."""

    def __init__(self, engine: Engine, questions: QuestionLog | None = None):
        self.engine = engine
        self.questions = questions

    def ask(self, question: object) -> Asked:
        try:
            answer, ranking = self.engine.ask_with_hits(question)
        except KbqaError as err:
            if err.status >= 500:
                log.error("could not answer: %s", err)
                return Asked(question, problem=Problem(error=UNAVAILABLE, status=err.status))
            return Asked(question, problem=Problem(error=str(err), status=err.status))
        except Exception:  # a bug: the traceback for the log, a plain 500 for the caller
            log.exception("answering failed")
            return Asked(question, problem=Problem(error=INTERNAL, status=500))
        corpus_hash = self.corpus_hash()
        log_id = None
        if self.questions is not None:
            log_id = self.questions.record(answer, ranking, corpus_hash)
        return Asked(question, answer=answer, log_id=log_id, corpus_hash=corpus_hash)

    def corpus_hash(self) -> str:
        """The corpus hash of the index the engine answers from ("" when it cannot tell)."""
        try:
            return str(self.engine.load().index.manifest["corpus"]["hash"])
        except (KbqaError, KeyError, TypeError):
            return ""
