"""What a question in a second language asks, read with that language's words.

``app.reading.question`` reads English with English grammar; a language added as data
(``corpus/ru/language.md``) is read here, with the same ``Analysis`` as the result and the
same lexicon code for actions and judgements (``app.reading.actions``):

- the question is its last sentence with a question mark (or the last sentence), and the
  clause that asks is its last clause naming an action (clauses split at commas);
- ``form``: ``open`` when a question word of the ``open`` row stands in it, ``yesno`` when
  a ``yesno`` word does or it ends with "?", else ``short``;
- an action right after a ``negation`` word ("не закрывать") is asked the other way round;
  a judgement word ("развод", "поздно") turns the polarity as in English.

Everything fails towards caution: a question whose action no list knows has no polarity,
and the composer's guards then treat it as unread (see ``app.answer.compose``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.reading.actions import Lexicon, compiled
from app.reading.language import Grammar
from app.reading.question import Analysis
from app.reading.wordlist import alternatives

_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
_CLAUSES = re.compile(r"[,;:()]|\s[-–—]\s")


def plain(text: str) -> str:
    """Lower case, ё as е, curly quotes straight, whitespace collapsed."""
    text = text.lower().replace("ё", "е").replace("’", "'")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=16)
def _pattern(entries: tuple[str, ...]) -> re.Pattern | None:
    return re.compile(rf"(?<!\w)(?:{alternatives(entries)})(?!\w)") if entries else None


def _has(entries: tuple[str, ...], text: str) -> bool:
    pattern = _pattern(entries)
    return bool(pattern and pattern.search(text))


def analyze_in(question: str, lexicon: Lexicon, grammar: Grammar) -> Analysis:
    """How ``question`` asks, with ``grammar``'s words and ``lexicon``'s actions."""
    text = plain(question)
    sentences = [s.strip() for s in _SENTENCES.findall(text) if s.strip()]
    asking = [s for s in sentences if "?" in s]
    last = (asking or sentences or [""])[-1]
    context = text[: text.rfind(last)] if last else ""

    form = _form(last, grammar)

    patterns = compiled(lexicon)
    found = _asked_action(last, context, patterns, grammar)
    action, kind, negated = (found[0], found[1], found[2]) if found else (None, None, False)
    judged_bad = bool(patterns.bad and patterns.bad.search(last))
    polarity = None
    if action is not None:
        polarity = action * (-1 if negated else 1) * (-1 if judged_bad else 1)
    elif judged_bad:
        polarity = -1  # "апелляцию подавать уже поздно?": asked the other way round
    choice = bool(
        _has(grammar.choice, last)
        and patterns.does
        and patterns.does.search(last)
        and patterns.undoes
        and patterns.undoes.search(last)
    )
    return Analysis(
        form=form,
        action=action,
        polarity=polarity,
        asks_amount=_has(grammar.amount, text),
        choice=choice,
        kind=kind,
        asks_to_act=_has(grammar.act, last),
        permission=_has(grammar.permission, last),
    )


def _form(sentence: str, grammar: Grammar) -> str:
    """``open``, ``yesno`` or ``short``: whichever marker comes first decides. An open word
    counts only near the start of a clause ("спор закрыли, как подать апелляцию?") or as
    the sentence's last words ("…не пришла чо делать"); elsewhere it is a relative word
    ("можно игнорировать сообщения, где он просит…?")."""
    not_open = _pattern(grammar.not_open)
    if not_open:  # "как только я подтвержу": no question word, keep the offsets
        sentence = not_open.sub(lambda m: "_" * len(m.group(0)), sentence)
    yesno = _pattern(grammar.yesno)
    first_yesno = yesno.search(sentence).start() if yesno and yesno.search(sentence) else None
    start = _pattern(grammar.open_start)
    opening = " ".join(sentence.split()[:2])
    begins = start.search(opening) if start else None
    if begins and (first_yesno is None or begins.start() < first_yesno):
        return "open"
    first_open = None
    pattern = _pattern(grammar.open)
    if pattern:
        offset = 0
        for clause in _CLAUSES.split(sentence):
            head = " ".join(clause.split()[:3])
            found = pattern.search(head)
            if found:
                first_open = sentence.find(head, offset) + found.start()
                break
            offset += len(clause)
    if first_open is not None and (first_yesno is None or first_open < first_yesno):
        return "open"
    # "…а посылка еще не пришла чо делать": an open question tacked on at the very end.
    tail = " ".join(sentence.rstrip("?!. ").split()[-2:])
    if first_yesno is None and pattern and pattern.search(tail):
        return "open"
    if first_yesno is not None or sentence.endswith("?"):
        return "yesno"
    return "short"


Found = tuple[int, str | None, bool]  # an action's sign, kind, and whether it is negated


def _asked_action(sentence: str, context: str, patterns, grammar: Grammar) -> Found | None:
    """The action the question asks about.

    After the first question marker ("можно игнорировать…, где он просит отменить спор?":
    ignoring, not cancelling), else before it in its clause ("закрыть спор можно?"). A
    marker clause with words of its own but no action asks about something else ("спор
    закрыли, можно подать апелляцию?": not about closing). Without a marker, the last
    clause naming an action. Failing those, an action asked of the buyer before ("продавец
    просит закрыть спор. Закрывать?").
    """
    markers = _pattern(grammar.yesno + grammar.act + grammar.open)
    marker = markers.search(sentence) if markers else None
    if marker:
        bounds = [0, *(m.end() for m in _CLAUSES.finditer(sentence)), len(sentence) + 1]
        start = max(b for b in bounds if b <= marker.start())
        end = min(b for b in bounds if b > marker.start())
        found = _first_action(sentence, patterns, grammar, marker.start()) or _first_action(
            sentence, patterns, grammar, start, marker.start()
        )
        if found:
            return found
        own = [w for w in sentence[start:end].split() if not markers.fullmatch(w.strip("?!."))]
        if len(own) > 1:
            return None
        return _requested(context + " " + sentence[:start], patterns, grammar)
    for clause in reversed(_CLAUSES.split(sentence)):
        found = _first_action(clause, patterns, grammar)
        if found:
            return found
    return _requested(context, patterns, grammar)


def _requested(text: str, patterns, grammar: Grammar) -> Found | None:
    """The last action right after a ``request`` word ("просит закрыть")."""
    pattern = _pattern(grammar.request)
    for match in reversed(list(pattern.finditer(text)) if pattern else []):
        found = _first_action(text, patterns, grammar, match.end(), match.end() + 40)
        if found:
            return found
    return None


def _first_action(
    text: str, patterns, grammar: Grammar, start: int = 0, end: int | None = None
) -> Found | None:
    """(sign, kind, negated) of the first action named in ``text[start:end]``; negated
    when a ``negation`` word stands in the two words before it."""
    end = len(text) if end is None else end
    found = []
    for pattern, sign in ((patterns.does, +1), (patterns.undoes, -1)):
        for m in pattern.finditer(text, start, end) if pattern else ():
            if sign > 0 and patterns.safe and patterns.safe.match(text[m.start() :]):
                continue
            found.append((m.start(), sign, patterns.kinds[m.lastgroup or ""]))
    if not found:
        return None
    at, sign, kind = min(found)
    before = " ".join(text[:at].split()[-2:])
    return sign, kind, _has(grammar.negation, before)
