"""What a buyer's question asks, read deterministically with its language's words.

The corpus's verdicts answer "should I do the risky thing?" (close or cancel the dispute,
confirm receipt, accept an offer). A question can ask the opposite ("should I keep it
open?"), negate it ("should I not close?") or judge it ("is it a scam to…?", "will I lose
my money if I close?"). ``read`` reduces that to a sign:

- ``polarity = +1``: the question asks about doing the risky thing (or calls it safe);
- ``polarity = -1``: it asks about the opposite, or calls the risky thing bad;
- ``polarity = None``: it names no action; verdicts are taken as written.

``form`` says how to answer: ``yesno`` questions get yes/no/depends, ``open`` questions
("how", "what", "when"…) get ``info``, and ``short`` keyword queries take the verdict of the
annotated question they match.

One procedure reads every language; what differs between languages is data
(``app.reading.language``: the rules of its ``language.md``, and its actions):

1. The question is folded (its ``folds``, its ``contractions``: "can't" reads "can n't"),
   lower-cased, and its asking sentence found: the last with a question mark, else the last.
2. Its **form**: the earliest question word of the sentence where its rule lets it count
   (``open`` or ``yesno``, at a clause start, near one, at the sentence's start or end, or
   anywhere; clauses start at punctuation, after a ``clause-break`` word and at an ``asks``
   phrase). None: a sentence ending in "?" asks what the language's ``bare question`` says,
   anything else is a keyword query.
3. The **action** it asks about: the first action (``does``/``undoes`` of the actions) from
   where it starts asking, else one before that in the same clause, else (when the clause
   asks nothing of its own: no ``own-verb``, few words) the one asked of the buyer earlier
   (after a ``context`` word). An action right after an ``others`` word is someone else's
   ("the seller closed it"), unless ``asked-of-me`` words ask it of the buyer.
4. **Polarity**: the action's sign, turned by a ``negation`` right before it and by a
   judgement word (the actions' ``bad``); a ``refusal`` ("can the seller just refuse?")
   or a limit ``passed`` ("has the delivery time been exceeded?") without an action asks
   the other way round.
5. ``choice`` (a choice word between an action and its opposite), ``asks_amount``,
   ``asks_to_act``, ``permission`` and ``turns`` (the words that may turn it round, read
   or not: ``app.answer.verdict`` fails closed on them) from their rows.

Everything fails towards caution: a question whose action no list knows has no polarity,
and the composer's guards then treat it as unread (see ``app.answer.compose``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass
from typing import NamedTuple

from app.reading.actions import Lexicon, Patterns, compiled
from app.reading.form import BREAKS, WORD, at_start, find_marker, masked
from app.reading.language import Grammar, Language
from app.reading.text import asking_sentence, plain


@dataclass(frozen=True)
class Analysis:
    form: str  # "yesno", "open" or "short"
    action: int | None  # +1 risky, -1 keep, None: no action named
    polarity: int | None  # action x judgement x negation
    asks_amount: bool  # the buyer wants a number: days, percent, amount
    choice: bool  # "close it or keep it open?": asks between opposite actions
    kind: str | None = None  # the action's kind in the lexicon: "close", "confirm"…
    # The situations it states, (variable, value), filled in by the retriever from the
    # corpus's conditions: "before it arrives" and "once it has arrived" read alike to
    # the model, not to us.
    states: tuple[tuple[str, str], ...] = ()
    asks_to_act: bool = False  # "should I…", "is it ok to…": whether the buyer should do a thing
    permission: bool = False  # "can I still…?", "is it too late to…?": whether it is possible
    # The words of its asking clause that may turn it round ("not", "too late", "without"),
    # read or not: two questions with other such words may ask opposite ways.
    turns: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The record as JSON values (the build stores annotated questions' analyses)."""
        return {
            **asdict(self),
            "states": [list(pair) for pair in self.states],
            "turns": list(self.turns),
        }

    @classmethod
    def from_json(cls, record: dict) -> Analysis:
        """The record ``to_json`` wrote; a missing or unknown key is a ``KeyError`` or
        ``TypeError`` (the index reader turns both into "rebuild")."""
        return cls(
            **{
                **record,
                "states": tuple(tuple(pair) for pair in record["states"]),
                "turns": tuple(record["turns"]),
            }
        )


class _Action(NamedTuple):
    position: int
    sign: int  # +1 risky, -1 its opposite
    kind: str | None  # the lexicon's action kind ("close", "confirm"…); None when not risky
    text: str  # where it was found (the sentence or the context)
    end: int = 0  # where its words end


def normalise(question: str, language: Language) -> str:
    """The question as the reader reads it: folded, lower-cased, contractions spelt out."""
    text = language.fold(plain(question))
    for written, reads in language.contractions:
        if written.startswith("*"):
            text = re.sub(rf"\b(\w+){re.escape(written[1:])}\b", rf"\1{reads[1:]}", text)
        else:
            text = re.sub(rf"\b{re.escape(written)}(?!\w)", reads, text)
    return text


def read(question: str, language: Language, lexicon: Lexicon) -> Analysis:
    """How ``question`` asks, read with ``language``'s words and ``lexicon``'s actions (a
    corpus without actions names none: every verdict is taken as written)."""
    grammar = language.grammar
    text = normalise(question, language)
    last, context = asking_sentence(text)
    marker = find_marker(last, grammar)
    form = marker.form if marker else grammar.bare if last.rstrip().endswith("?") else "short"
    free = grammar.word_order == "free"
    # Where the question starts asking: its question word's clause (fixed word order), or
    # the first question word of any kind wherever it stands (free word order).
    start = _first_question_word(last, grammar) if free else (marker.start if marker else 0)
    clause = last[start or 0 :]
    scope = last if free else clause
    patterns = compiled(lexicon)
    if free:
        found = _free_action(last, context, start, patterns, grammar)
    else:
        found = _fixed_action(last, context, start or 0, patterns, grammar)
    action = found.sign if found else None
    negated = found is not None and _before(grammar, "negation", found)
    judged_bad = bool(patterns.bad and patterns.bad.search(scope))
    if action is None and (
        _has(grammar, "refusal", scope) or _has(grammar, "passed", _main(grammar, scope))
    ):
        judged_bad = True
    choice = bool(
        _has(grammar, "choice", scope)
        and patterns.does
        and patterns.does.search(scope)
        and patterns.undoes
        and patterns.undoes.search(scope)
    )
    polarity = None
    if action is not None:
        polarity = action * (-1 if negated else 1) * (-1 if judged_bad else 1)
    elif judged_bad:
        polarity = -1  # "is it too late to appeal?": asked the other way round
    return Analysis(
        form=form,
        action=action,
        polarity=polarity,
        asks_amount=_has(grammar, "amount", text),
        choice=choice,
        kind=found.kind if found else None,
        asks_to_act=_acts(grammar, scope),
        permission=_permission(grammar, scope, clause),
        turns=_turns(grammar, scope, clause),
    )


# --- form ---------------------------------------------------------------------------------


# --- the action asked about -----------------------------------------------------------------


def _buyer_actions(
    text: str, patterns: Patterns, grammar: Grammar, start: int = 0, end: int | None = None
) -> list[_Action]:
    """The actions in ``text[start:end]`` the buyer would take, in order: not those right
    after an ``others`` word ("the seller closed it"), unless asked of the buyer."""
    end = len(text) if end is None else end
    found = []
    for pattern, sign in ((patterns.does, +1), (patterns.undoes, -1)):
        for m in pattern.finditer(text, start, end) if pattern else ():
            if sign > 0 and patterns.safe and patterns.safe.match(text[m.start() :]):
                continue  # "agree to extend protection" keeps the guarantees
            kind = patterns.kinds[m.lastgroup or ""]
            found.append(_Action(m.start(), sign, kind, text, m.end()))
    return sorted(
        a for a in found if not _before(grammar, "others", a) or _before(grammar, "asked-of-me", a)
    )


def _fixed_action(
    sentence: str, context: str, start: int, patterns: Patterns, grammar: Grammar
) -> _Action | None:
    """The action a question in fixed word order asks about: the first from where it
    starts asking; else, when its clause asks nothing of its own (an ``own-verb``), the one
    asked of the buyer before ("The seller wants me to close the dispute. Should I?")."""
    own = grammar.pattern("own-verb")
    actions = _buyer_actions(sentence, patterns, grammar, start)
    verb = own.search(sentence, start) if own else None
    if actions:
        # "Does the seller get paid when I confirm?": an action after another verb of the
        # clause is only its circumstance.
        return None if verb and verb.start() < actions[0].position else actions[0]
    if verb:
        return None  # "can aliexpress help me prove it?": a question of its own
    return _context_action(context + sentence[:start], patterns, grammar)


def _free_action(
    sentence: str, context: str, start: int | None, patterns: Patterns, grammar: Grammar
) -> _Action | None:
    """The action a question in free word order asks about: the first after its first
    question word ("можно игнорировать…, где он просит отменить спор?": ignoring), else
    one before it in its clause ("закрыть спор можно?"); a question word's clause with
    words of its own asks about something else ("спор закрыли, можно подать апелляцию?");
    else the one asked of the buyer before. Without a question word, the last clause
    naming an action."""
    bounds = [0, *(m.end() for m in BREAKS.finditer(sentence)), len(sentence) + 1]
    if start is None:
        for begin, end in reversed(list(itertools.pairwise(bounds))):
            actions = _buyer_actions(sentence, patterns, grammar, begin, end)
            if actions:
                return actions[0]
        return _context_action(context, patterns, grammar)
    clause = max(b for b in bounds if b <= start)
    end = min(b for b in bounds if b > start)
    actions = _buyer_actions(sentence, patterns, grammar, start) or _buyer_actions(
        sentence, patterns, grammar, clause, start
    )
    if actions:
        return actions[0]
    if grammar.own_words and _own_words(sentence[clause:end], grammar) >= grammar.own_words:
        return None
    return _context_action(context + " " + sentence[:clause], patterns, grammar)


def _first_question_word(sentence: str, grammar: Grammar) -> int | None:
    """Where the first word of the ``yesno``, ``act`` or ``open`` rows stands, anywhere;
    words that ask only at the sentence's start ("где", "когда") are relative elsewhere and
    mark nothing."""
    found = [
        m.start()
        for form, where in (("yesno", None), ("act", None), ("open", "clause start"))
        if (pattern := grammar.pattern(form, where)) and (m := pattern.search(sentence))
    ]
    return min(found) if found else None


def _own_words(clause: str, grammar: Grammar) -> int:
    """How many words of a clause are not question words."""
    markers = [grammar.pattern(f) for f in ("yesno", "act", "open")]
    return sum(
        1 for w in clause.split() if not any(p and p.fullmatch(w.strip("?!.")) for p in markers)
    )


def _context_action(context: str, patterns: Patterns, grammar: Grammar) -> _Action | None:
    """The action the buyer is asked or wants to take in the context ("asks me to close",
    "просит закрыть"): the last action right after a ``context`` word (or with up to its
    reach in words between); with a reach in characters, the first action that fits within
    that many characters after the last ``context`` word, across clauses ("просит прислать
    другой товар, если я закрою спор")."""
    rule = next((r for r in grammar.rules if r.form == "context"), None)
    pattern = grammar.pattern("context")
    if rule is None or pattern is None:
        return None
    if rule.unit == "characters":
        for m in reversed(list(pattern.finditer(context))):
            window = context[: m.end() + rule.reach]
            actions = _buyer_actions(window, patterns, grammar, m.end())
            if actions:
                return actions[0]._replace(text=context)
        return None
    asked = [
        a for a in _buyer_actions(context, patterns, grammar) if _before(grammar, "context", a)
    ]
    return asked[-1] if asked else None


def _before(grammar: Grammar, form: str, action: _Action) -> bool:
    """Whether an entry of ``form`` ends right before ``action`` (a quote mark aside), or
    with up to the rule's reach in words between, in the same clause."""
    pattern = grammar.pattern(form)
    if pattern is None:
        return False
    text, end = action.text, action.position
    for _ in range(grammar.reach(form, "before") + 1):
        stretch = text[:end].rstrip().rstrip("'\"“”‘’").rstrip()
        for m in pattern.finditer(stretch, max(0, len(stretch) - 80)):
            if m.end() == len(stretch):
                return True
        # Step back over one more word: a whole word, not one punctuation follows.
        chunk = re.search(r"(\S+)\s*$", text[:end])
        if chunk is None or WORD.fullmatch(chunk[1]) is None:
            return False
        end = chunk.start(1)
    return False


# --- what else it asks ----------------------------------------------------------------------


def _has(grammar: Grammar, form: str, text: str) -> bool:
    pattern = grammar.pattern(form)
    return bool(pattern and pattern.search(text))


def _main(grammar: Grammar, text: str) -> str:
    """``text`` up to its first ``condition`` word: "can I get a refund if delivery is
    overdue?" asks about the refund, and "overdue" only sets the case."""
    pattern = grammar.pattern("condition")
    found = pattern.search(text) if pattern else None
    return text[: found.start()] if found else text


def _turns(grammar: Grammar, scope: str, clause: str) -> tuple[str, ...]:
    """The ``turn`` words of the asking ``scope`` (``anywhere`` rows) and of its clause's
    first words (``clause start`` rows: "is there no way…", not "…without sending it
    back"), each once."""
    found = []
    anywhere = grammar.pattern("turn", "anywhere")
    if anywhere:
        found += [m.group(0) for m in anywhere.finditer(scope)]
    at = at_start(clause, 0, grammar, "turn", "clause start")
    start = grammar.pattern("turn", "clause start")
    if at is not None and start is not None and (m := start.match(clause, at)):
        found.append(m.group(0))
    return tuple(dict.fromkeys(" ".join(word.split()) for word in found))


def _acts(grammar: Grammar, text: str) -> bool:
    """Whether the buyer asks whether to do something ("should I…", "is it ok to…"), not
    whether they get something ("should I get a refund?": ``not-act``)."""
    return _has(grammar, "act", masked(text, grammar, "not-act"))


def _permission(grammar: Grammar, text: str, clause: str) -> bool:
    """Whether it asks whether something is possible ("can I still cancel?") rather than
    advisable: a permission the guide grants is not advice to use it."""
    anywhere = grammar.pattern("permission", "anywhere")
    if anywhere and anywhere.search(text):
        return True
    return at_start(clause, 0, grammar, "permission", "clause start") is not None
