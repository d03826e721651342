"""What the page shows for a question or a click, as plain records: tested without a server.

``respond`` turns a question into a ``Reply`` through the one path (``app.serve.ask``);
``choose`` turns a click on a clarifying option into the reply for that side, with no
retyping and no second retrieval (``Answer.choose``). Every word comes from the data: the
answer's language's labels and the guide's scope wording; input kbqa will not read gets a
friendly line in the page's language, never an error.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from app.answer.quotes import MAX_RELATED
from app.answer.records import Answer
from app.errors import KbqaError
from app.reading.conditions import MAX_OPTIONS  # buttons for a clarifying question's options
from app.reading.input import MAX_QUESTION_CHARS
from app.serve.ask import UNAVAILABLE, Asker
from app.serve.render import Labels, render_html

# The page's own words that change with the answer's language (a Russian answer brings
# Russian ones), by label key.
PAGE_WORDS = ("related", "comment", "helpful", "unhelpful")


@dataclass(frozen=True)
class Reply:
    """What the page shows for one question."""

    html: str
    notice: str  # a line above the answer, only for what the answer itself can't say
    related: tuple[str, ...]
    answer: dict[str, Any] | None  # the JSON contract, what feedback records
    words: dict[str, str]  # the page's words around this answer (``PAGE_WORDS``)
    options: tuple[str, ...] = ()  # a clarifying question's option labels, one button each
    result: Answer | None = None  # the answer itself, kept so an option can be chosen
    log_id: str | None = None  # the answer's line in the question log (None: not logged)
    corpus_hash: str = ""  # the corpus of the index that answered


@dataclass(frozen=True)
class Shown:
    """What the page keeps of the answer it shows (its ``gr.State``): the Answer, to choose
    an option from, and what a vote on it records. ``voted`` after the one vote it gets."""

    answer: Answer
    log_id: str | None = None
    corpus_hash: str = ""
    voted: bool = False


def respond(asker: Asker, question: Any, language: str | None = None) -> Reply:
    """Answer a question for the page (``language``: the page's, for what is said before
    an answer has one; the main language's by default). Bad input gets a friendly line,
    never an error, said once, in the answer area. With a question log, the answer is
    logged and the reply carries its log id."""
    engine = asker.engine
    try:
        code = language or engine.main_language
        labels, prompt = engine.labels(code), engine.scope(code).word("prompt")
    except KbqaError:  # no index to take the words from: the one line not in the data
        return message(UNAVAILABLE, {})
    if not isinstance(question, str) or not question.strip():
        return message(prompt, labels)
    asked = asker.ask(question)
    if asked.problem is not None:
        if asked.problem.status >= 500:
            return message(labels["unavailable"], labels)
        if len(question) > MAX_QUESTION_CHARS:
            text = labels["too-long"].format(length=f"{len(question):,}", limit=MAX_QUESTION_CHARS)
            return message(text, labels)
        return message(prompt, labels)
    assert asked.answer is not None
    reply = _reply(asked.answer, engine.labels(asked.answer.language))
    return Reply(**{**reply.__dict__, "log_id": asked.log_id, "corpus_hash": asked.corpus_hash})


def choose(answer: Answer, option: int, labels: Labels) -> Reply:
    """The reply once the buyer clicks a clarifying option: the answer for that side."""
    try:
        return _reply(answer.choose(option), labels)
    except IndexError:
        return _reply(answer, labels)  # a stale click after the options went


def message(text: str, labels: Labels) -> Reply:
    """A line in the answer area instead of an answer."""
    body = f'<div class="kbqa-answer kbqa-empty"><p>{html.escape(text)}</p></div>'
    return Reply(body, "", (), None, {key: labels.get(key, "") for key in PAGE_WORDS})


def _reply(answer: Answer, labels: Labels) -> Reply:
    """A refusal's related questions are the scope's examples, already at the top of the
    page: they are not offered again."""
    related = () if answer.verdict == "not_covered" else answer.related[:MAX_RELATED]
    options: tuple[str, ...] = ()
    if answer.clarify is not None:
        options = tuple(o.label for o in answer.clarify.options[:MAX_OPTIONS])
    words = {key: labels[key] for key in PAGE_WORDS}
    html_ = render_html(answer, labels)
    return Reply(html_, "", related, answer.to_dict(), words, options, answer)
