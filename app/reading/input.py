"""A question as kbqa will read it, or why it will not: one rule for every shell.

The CLI, the page, Gradio's ``/ask`` and the REST API all take questions through
``question_text``, so a question is refused (or read) the same way wherever it comes from:

- it must be text;
- past ``MAX_RAW_CHARS`` it is refused unread: cleaning is linear but not free, and a
  question kbqa reads whole never comes wrapped in twenty times as much markup;
- it is cleaned (``app.reading.sanitize``: markup, escape sequences, invisible characters);
- nothing readable left is refused, and so is a question longer than ``MAX_QUESTION_CHARS``
  once cleaned. It is refused rather than cut: a buyer's question comes last ("…, should I
  close it?"), and answering its first thousand characters answers another question.

Each refusal is an ``InputError`` with a message a person can act on (the shells add the
HTTP status 400, exit status 2, or a friendly line on the page).
"""

from __future__ import annotations

from app.errors import InputError
from app.reading.sanitize import readable

MAX_QUESTION_CHARS = 1000
MAX_RAW_CHARS = 20 * MAX_QUESTION_CHARS


def question_text(question: object) -> str:
    """The question cleaned; ``InputError`` when kbqa will not read it. Reading a question
    it returned gives it back unchanged."""
    if not isinstance(question, str):
        raise InputError(f"a question must be text, not {_kind(question)}")
    if len(question) > MAX_RAW_CHARS:
        raise InputError(too_long(len(question)))
    text = readable(question)
    if not text:
        raise InputError("the question is empty: type a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(too_long(len(text)))
    return text


def _kind(value: object) -> str:
    """What a non-text question is, in the words of JSON (what REST callers send)."""
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    names |= {dict: "an object", type(None): "null", bytes: "bytes", tuple: "a list"}
    return names.get(type(value), type(value).__name__)


def too_long(length: int) -> str:
    return (
        f"the question is {length:,} characters long; the limit is {MAX_QUESTION_CHARS:,}: "
        "shorten it, keeping what you ask"
    )
