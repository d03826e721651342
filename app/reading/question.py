"""What a buyer's question asks, read deterministically: its form and its polarity.

The corpus's verdicts answer "should I do the risky thing?" (close or cancel the dispute,
confirm receipt, accept an offer). A question can ask the opposite ("should I keep it
open?"), negate it ("should I not close?") or judge it ("is it a scam to…?", "will I lose
my money if I close?"). ``analyze`` reduces that to a sign:

- ``polarity = +1``: the question asks about doing the risky thing (or calls it safe);
- ``polarity = -1``: it asks about the opposite, or calls the risky thing bad;
- ``polarity = None``: it names no action; verdicts are taken as written.

``form`` says how to answer: ``yesno`` questions get yes/no/depends, ``open`` questions
("how", "what", "when"…) get ``info``, and ``short`` keyword queries take the verdict of the
annotated question they match.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import NamedTuple

from app.reading.actions import Lexicon, compiled

_WH = (
    "what",
    "whats",
    "wat",
    "how",
    "hows",
    "when",
    "where",
    "why",
    "which",
    "who",
    "whom",
    "whose",
)
_AUX = (
    "should",
    "shall",
    "can",
    "could",
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "am",
    "will",
    "would",
    "must",
    "may",
    "might",
    "have",
    "has",
    "had",
    "need",
    "ought",
    "shouldnt",
    "cant",
    "dont",
    "doesnt",
    "isnt",
    "arent",
    "wont",
    "wouldnt",
    "couldnt",
)
# "should I …", "is it …", "do I have to …": an auxiliary followed by a subject.
_SUBJECT = ("i", "it", "we", "you", "this", "that", "there", "the", "my", "he", "she", "they")

# Asked about the seller, refusing is the opposite of having to: "can he just refuse?"
_SELLER_REFUSES = re.compile(
    r"\b(?:he|she|they|seller|store|shop)\s+(?:just |simply |really |even )?(?:refuse|reject"
    r"|deny|decline|ignore|say no|keep the money)"
)
# An action done by someone else, or undergone ("the seller rejected it", "it was closed").
_NOT_BUYER = re.compile(
    r"\b(?:seller|sellers|he|she|they|store|shop|vendor|aliexpress|admin|administration|dispute"
    r"|order|parcel|package|case|claim|it|was|is|been|got|gets|be|were|are|being)\s+(?:\w+\s+)?$"
)
_ASKING = re.compile(
    r"\b(?:should|shall|can|could|do|does|is|are|will|would|must|may|am)\s+(?:i|we|it|this|that"
    r"|aliexpress|the seller|seller|he|she|they|you)\b"
    r"|\b(?:what|wat|how|when|where|why|which)\s+(?:should|can|do|does|is|are|will|would|to|long"
    r"|many|much|happens)\b"
)
# Verbs that make a clause a question of its own ("can aliexpress help me prove it?"), so it
# must not borrow an action from the context before it.
_OWN_VERB = re.compile(
    r"\b(?:help|prove|appeal|get|ask|open|report|complain|contact|return|send|pay|track|check"
    r"|file|win|receive|happen|happens|mean|work|find|see|know|reopen|do about|step in"
    r"|decide|get involved|back me up|protect|cover|covered)\b"
)
_NEGATION = re.compile(r"\b(?:not|never|n't|nt)\s+(?:(?:to|just|yet|really|even)\s+)?$")
_AMOUNT = re.compile(
    r"\bhow (?:long|many|much|soon|late)\b|\bdeadlines?\b|\btime ?(?:limit|frame|window)\b"
    r"|\b(?:until|by) when\b|\bwhat percent|\bhow many days\b|\bwindow\b"
)
# "The seller says close it", "he wants me to cancel": an action asked of the buyer.
_REQUESTED = re.compile(
    r"\b(?:says?|said|tells? me(?: to)?|told me(?: to)?|wants? me to|asks? me to|asked me to"
    r"|suggests?|suggested|offers? to let me)\s+$"
)
# A should-I tag after the story: "…, ok?", "… is that fine?", "alright?"
_TAG = re.compile(
    r"(?:^|[,;:.!-]|\s)\s*(?:(?:is|would) (?:that|it|this) (?:be )?)?(?:ok|okay|alright|all right"
    r"|fine|safe|good idea|a good idea|smart|wise)\s*\?+\s*$"
)
# The buyer asks whether to do something: "should I …", "can we …", "is it ok to …".
_ASKS_TO_ACT = re.compile(
    r"\b(?:should|shall|can|could|may|must|do|would) (?:n't )?(?:i|we)\b"
    r"(?! (?:still |also |even |really |ever )?(?:get|receive|have|lose|win))"
    r"|\b(?:ok|okay|alright|all right|fine|safe|wise|smart|better|good idea) (?:to|if (?:i|we))\b"
    r"|\b(?:i|we) (?:want|plan|intend|am going|'m going) to\b"
)
# Asking whether something is possible ("can I still cancel?") rather than advisable ("should
# I cancel?"): a permission the guide grants is not advice to use it.
_PERMISSION = re.compile(
    r"^\W*(?:can|could|may|am|are) (?:n't )?(?:i|we|you)\b|\b(?:allowed|able|possible|permitted"
    r"|still time|too late|a deadline|the deadline|still be able)\b"
)
_CONTEXT_ACTOR = re.compile(
    r"(?:\b(?:to|i|i'll|i'd|me|if i|should i|can i|says?|said|suggests?|suggested)\s+"
    r"|\bclick(?:ing)?\s+(?:on\s+)?(?:the\s+)?['\"]?)$"
)


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

    def to_json(self) -> dict:
        """The record as JSON values (the build stores annotated questions' analyses)."""
        return {**asdict(self), "states": [list(pair) for pair in self.states]}

    @classmethod
    def from_json(cls, record: dict) -> Analysis:
        """The record ``to_json`` wrote; a missing or unknown key is a ``KeyError`` or
        ``TypeError`` (the index reader turns both into "rebuild")."""
        return cls(**{**record, "states": tuple(tuple(pair) for pair in record["states"])})


def _clean(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(
        r"\b(ca|wo|sha)n't\b",
        lambda m: {"ca": "can", "wo": "will", "sha": "shall"}[m.group(1)] + " n't",
        text,
    )
    text = re.sub(r"\b(\w+)n't\b", r"\1 n't", text)  # "don't" -> "do n't": keeps the negation
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.replace("n't", "nt"))


def _question_clause(text: str) -> tuple[str, str, str]:
    """(context, clause, form): the clause that asks, and what came before it."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]
    asking = [s for s in sentences if "?" in s]
    last = (asking or sentences or [""])[-1]
    before = text[: text.rfind(last)] if last else ""
    # A clause starts at the sentence start or after a comma, dash, semicolon or "so"/"and".
    starts = [0] + [m.end() for m in re.finditer(r"[,;:]\s*|\s[-–]\s|\b(?:so|and|but)\s", last)]
    # Buyers skip punctuation: "seller rejected my dispute should i close it".
    starts = sorted({*starts, *(m.start() for m in _ASKING.finditer(last))})
    for start in starts:
        # "shouldn't I" reads as "should I": the negation sits on the auxiliary, not the action.
        words = [w for w in _words(last[start:]) if w not in ("nt", "not")]
        if not words:
            continue
        first = words[0]
        second = words[1] if len(words) > 1 else ""
        if first in _WH or (first == "what's") or first.startswith("how"):
            return before + last[:start], last[start:], "open"
        loose = first in _AUX and first not in ("have", "has", "had", "need")
        if first in _AUX and (second in _SUBJECT or second == "" or loose):
            return before + last[:start], last[start:], "yesno"
        if first in ("any", "anyway") and second in _AUX:
            return before + last[:start], last[start:], "yesno"
    # "…close the dispute and he will send a new one, ok?": the tag asks about the story.
    tag = _TAG.search(last)
    if tag and tag.start() > 0:
        return before + last[: tag.start()], last[tag.start() :], "yesno"
    # "ok to close the dispute?", "safe to confirm receipt?": a yes/no question without its verb.
    ok = (
        r"^\s*(?:ok|okay|alright|all right|safe|fine|better|worth|too late|too early"
        r"|still (?:possible|ok|okay|time|in time)|in time|possible|allowed|able)\b"
    )
    if last.rstrip().endswith("?") and re.match(ok, last):
        return before, last, "yesno"
    return before, last, "short"


class _Action(NamedTuple):
    position: int
    sign: int  # +1 risky, -1 its opposite
    kind: str | None  # the lexicon's action kind ("close", "confirm"…); None when not risky


def _buyer_actions(text: str, lexicon: Lexicon) -> list[_Action]:
    """The actions in text that the buyer would take, in order."""
    patterns = compiled(lexicon)
    found = []
    for pattern, sign in ((patterns.does, +1), (patterns.undoes, -1)):
        for m in pattern.finditer(text) if pattern else ():
            if sign > 0 and patterns.safe and patterns.safe.match(text[m.start() :]):
                continue  # "agree to extend protection" keeps the guarantees
            found.append(_Action(m.start(), sign, patterns.kinds[m.lastgroup or ""]))
    return sorted(
        a
        for a in found
        if not _NOT_BUYER.search(text[: a.position]) or _REQUESTED.search(text[: a.position])
    )


def _first_action(text: str, lexicon: Lexicon) -> _Action | None:
    """The first buyer action named in text, if it is what the text asks about.

    "Does the seller get paid when I confirm?" asks about getting paid: an action after
    another verb of the clause is only its circumstance.
    """
    found = _buyer_actions(text, lexicon)
    if not found:
        return None
    other = _OWN_VERB.search(text)
    if other and other.start() < found[0].position:
        return None
    return found[0]


def _context_action(context: str, lexicon: Lexicon) -> _Action | None:
    """The last action the buyer is asked or wants to take in the context ("asks me to close")."""
    asked = [
        a for a in _buyer_actions(context, lexicon) if _CONTEXT_ACTOR.search(context[: a.position])
    ]
    return asked[-1] if asked else None


def analyze(question: str, lexicon: Lexicon) -> Analysis:
    """How ``question`` asks, reading actions and judgements with the corpus's ``lexicon``
    (a corpus without one names no actions: every verdict is taken as written)."""
    text = _clean(question)
    context, clause, form = _question_clause(text)
    found = _first_action(clause, lexicon)
    source = clause
    if found is None and not _OWN_VERB.search(clause):
        # "The seller wants me to close the dispute. Should I?": the clause asks about the
        # action named just before it.
        found = _context_action(context, lexicon)
        source = context
    action = found.sign if found else None
    negated = found is not None and bool(_NEGATION.search(source[: found.position]))
    bad = compiled(lexicon).bad
    judged_bad = bool(bad and bad.search(clause)) or (
        action is None and bool(_SELLER_REFUSES.search(clause))
    )
    patterns = compiled(lexicon)
    choice = bool(
        re.search(r"\bor\b", clause)
        and patterns.does
        and patterns.does.search(clause)
        and patterns.undoes
        and patterns.undoes.search(clause)
    )

    polarity = None
    if action is not None:
        polarity = action * (-1 if negated else 1) * (-1 if judged_bad else 1)
    elif judged_bad:
        polarity = -1
    return Analysis(
        form=form,
        action=action,
        polarity=polarity,
        asks_amount=bool(_AMOUNT.search(text)),
        choice=choice,
        kind=found.kind if found else None,
        asks_to_act=bool(_ASKS_TO_ACT.search(clause)),
        permission=bool(_PERMISSION.search(clause)),
    )
