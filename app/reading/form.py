"""Where a question asks, and how: its form (open, yes/no, keyword query), read with its
language's question words.

The asking sentence's clauses start at punctuation, after a ``clause-break`` word and at an
``asks`` phrase; a form's words count where its rule says (``clause start``, ``sentence
start``, ``sentence end``, ``anywhere``, with the rule's reach). The earliest such word
decides the form and where the question starts asking (``Marker``); ``app.reading.question``
reads the rest of the question from there.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from app.reading.language import Grammar

BREAKS = re.compile(r"[,;:()]\s*|\s[-–—]\s")


WORD = re.compile(r"[^\W_][\w'-]*|'\w+")


class Marker(NamedTuple):
    position: int
    form: str  # "open" or "yesno"
    start: int  # where the question starts asking: the marker's clause start, or the marker


def clause_starts(sentence: str, grammar: Grammar) -> list[int]:
    """Where the sentence's clauses start: its start, after punctuation, after a
    ``clause-break`` word, and at an ``asks`` phrase (buyers skip punctuation: "seller
    rejected my dispute should i close it")."""
    starts = {0, *(m.end() for m in BREAKS.finditer(sentence))}
    breaks = grammar.pattern("clause-break")
    if breaks:
        starts |= {_next_word(sentence, m.end()) for m in breaks.finditer(sentence)}
    asks = grammar.pattern("asks")
    if asks:
        starts |= {m.start() for m in asks.finditer(sentence)}
    return sorted(s for s in starts if s < len(sentence))


def _next_word(sentence: str, at: int) -> int:
    found = WORD.search(sentence, at)
    return found.start() if found else len(sentence)


def masked(sentence: str, grammar: Grammar, form: str) -> str:
    """The sentence with the ``form`` phrases (``not-open``…) blanked, offsets kept."""
    pattern = grammar.pattern(form)
    return pattern.sub(lambda m: "_" * len(m.group()), sentence) if pattern else sentence


def _head(sentence: str, start: int, grammar: Grammar, words: int) -> tuple[str, list[int]]:
    """The first ``words`` words from ``start``, ``skip`` words left out ("shouldn't I"
    reads "should I"), joined by spaces, and where each begins in the sentence."""
    skip = grammar.pattern("skip")
    found: list[tuple[str, int]] = []
    for m in WORD.finditer(sentence, start):
        word = m.group().replace("n't", "nt")
        if (skip and skip.fullmatch(m.group())) or (skip and skip.fullmatch(word)):
            continue
        found.append((m.group(), m.start()))
        if len(found) == words:
            break
    return " ".join(w for w, _ in found), [at for _, at in found]


def find_marker(sentence: str, grammar: Grammar) -> Marker | None:
    """The question word that decides the form: the earliest where its rule counts."""
    view = masked(sentence, grammar, "not-open")
    found: list[Marker] = []
    for start in clause_starts(view, grammar):
        for form in ("open", "yesno"):
            at = at_start(view, start, grammar, form, "clause start")
            if at is not None:
                # An English-like clause start asks from there; a word further in from itself.
                found.append(Marker(at, form, start if at == _next_word(view, start) else at))
    open_start = at_start(view, 0, grammar, "open", "sentence start")
    if open_start is not None:
        found.append(Marker(open_start, "open", open_start))
    anywhere = grammar.pattern("yesno", "anywhere")
    if anywhere and (m := anywhere.search(view)):
        found.append(Marker(m.start(), "yesno", m.start()))
    end = _ending(view, grammar, any(m.form == "yesno" for m in found))
    if end is not None:
        found.append(end)
    if not found and sentence.rstrip().endswith("?"):
        # A yes/no word opening a question with no other question word: "ok to close?"
        at = at_start(view, 0, grammar, "yesno", "sentence start")
        if at is not None:
            found.append(Marker(at, "yesno", 0))
    if not found:
        return None
    # The earliest decides; a yes/no word and an open one at the same place: yes/no.
    return min(found, key=lambda m: (m.position, m.form != "yesno"))


def at_start(sentence: str, start: int, grammar: Grammar, form: str, where: str) -> int | None:
    """Where a ``form`` word stands among the first words from ``start`` (its rule's reach:
    how many words may come before it), ``skip`` words left out; None: none does."""
    pattern = grammar.pattern(form, where)
    if pattern is None:
        return None
    reach = grammar.reach(form, where)
    head, offsets = _head(sentence, start, grammar, reach + 6)
    found = pattern.search(head)
    if found is None:
        return None
    index = head[: found.start()].count(" ")
    return offsets[index] if index <= reach else None


def _ending(sentence: str, grammar: Grammar, marked: bool) -> Marker | None:
    """A question word that ends the sentence: a tag ("…, is that ok?": yes/no about what
    came before) or an open question tacked on at the end ("…не пришла чо делать")."""
    body = sentence.rstrip("?!. ")
    asked = sentence.rstrip().endswith("?")
    tag = grammar.pattern("yesno", "sentence end")
    if tag and asked:
        for m in tag.finditer(body):
            if m.end() == len(body) and m.start() > 0:
                return Marker(m.start(), "yesno", m.start())
    tail = grammar.pattern("open", "sentence end")
    if tail and not marked:
        words = list(WORD.finditer(body))[-2:]
        if words and (found := tail.search(body, words[0].start())):
            return Marker(found.start(), "open", found.start())
    return None
