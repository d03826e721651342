"""A language kbqa reads questions in: what it is written in, and its words, as data.

Every language of a corpus, the main one included, is declared by a ``language.md``
(``corpus/language.md`` for the main language, ``corpus/ru/language.md`` for Russian):
the letters a question in it is written in, its stemmer, how its text is folded, its
question words and the words of an answer. ``app.corpus.language_file`` reads the file into
the records below; ``app.reading.question`` reads a question with them. Nothing here knows
any one language: adding one is adding a folder.

Detection is deterministic: a question belongs to the language whose letters make up most
of its letters; a question with none of them is in the main language. Brand names in Latin
letters inside a Russian question ("вернуть деньги через PayPal?") leave it Russian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from app.reading.wordlist import Classes, alternatives

_CLASS_NAME = re.compile(r"^\{[\w-]+\}\*?$")

# Where a form's words count, in the sentence that asks (see ``app.reading.question``).
WHERE = (
    "anywhere",
    "clause start",  # a clause's first word ("should I…", "what…"), or within reach of it
    "sentence start",  # the sentence's first word, or within reach of it
    "sentence end",  # the sentence's last words ("…, is that ok?", "…чо делать")
    "before",  # right before an action, or with up to reach words between
)
# The forms a language may declare, and where each may count.
FORMS: dict[str, tuple[str, ...]] = {
    "open": ("clause start", "sentence start", "sentence end"),
    "yesno": ("clause start", "anywhere", "sentence start", "sentence end"),
    "not-open": ("anywhere",),
    "skip": ("anywhere",),
    "clause-break": ("anywhere",),
    "asks": ("anywhere",),
    "act": ("anywhere",),
    "not-act": ("anywhere",),
    "permission": ("clause start", "anywhere"),
    "amount": ("anywhere",),
    "choice": ("anywhere",),
    "own-verb": ("anywhere",),
    "refusal": ("anywhere",),
    "passed": ("anywhere",),
    "turn": ("anywhere", "clause start"),
    "condition": ("anywhere",),
    "negation": ("before",),
    "others": ("before",),
    "asked-of-me": ("before",),
    "context": ("before",),
    "stopwords": ("anywhere",),
    "known": ("anywhere",),
}
# What a question that ends in "?" without any question word asks.
BARE = ("yesno", "short")
# How freely a language orders a question's words (see ``app.reading.question``): "fixed"
# (English: a question asks from its question word's clause on, "…, should I close it?"),
# or "free" (Russian: the question word may stand anywhere, "закрыть спор можно?").
WORD_ORDERS = ("fixed", "free")


@dataclass(frozen=True)
class Rule:
    """One row of a language's question words: a form, where its words count, the words
    (word-list entries: ``*`` any ending, ``…`` up to four words, ``{class}`` any word of a
    class), and its reach: how many words may stand between a ``before`` word and the
    action, or before a ``clause start`` or ``sentence start`` word in its clause or
    sentence."""

    form: str
    where: str
    words: tuple[str, ...]
    reach: int = 0
    unit: str = "words"  # what reach counts: "words", or for ``before`` rows "characters"


@dataclass(frozen=True)
class Grammar:
    """How a question asks, in one language: its rules and the classes they name."""

    rules: tuple[Rule, ...] = ()
    classes: Classes = ()
    bare: str = "short"  # see BARE
    word_order: str = "fixed"  # see WORD_ORDERS
    # A clause with more words than this besides its question words asks about something of
    # its own, not an action named before it (0: no such rule; see ``own-verb`` too).
    own_words: int = 0

    def words(self, form: str, where: str | None = None) -> tuple[str, ...]:
        """Every entry of ``form`` (at ``where``), in order, as written."""
        return tuple(
            w
            for r in self.rules
            if r.form == form and (where is None or r.where == where)
            for w in r.words
        )

    def reach(self, form: str, where: str | None = None) -> int:
        return max(
            (r.reach for r in self.rules if r.form == form and where in (None, r.where)),
            default=0,
        )

    def pattern(self, form: str, where: str | None = None) -> re.Pattern | None:
        """The compiled entries of ``form`` at ``where``, whole words; None when none."""
        return self._patterns.get((form, where))

    @cached_property
    def _patterns(self) -> dict[tuple[str, str | None], re.Pattern]:
        """Every (form, where) and every form's entries, compiled once per grammar."""
        compiled = {}
        keys = {(r.form, r.where) for r in self.rules} | {(r.form, None) for r in self.rules}
        for form, where in keys:
            entries = self.words(form, where)
            if entries:
                body = alternatives(entries, self.classes)
                compiled[(form, where)] = re.compile(rf"(?<!\w)(?:{body})(?!\w)")
        return compiled

    @cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """Every entry its rules and classes write, ``{class}`` names left out: the words a
        second language's speller corrects towards."""
        entries = [w for r in self.rules for w in r.words]
        entries += [w for _, words in self.classes for w in words]
        plain = (" ".join(t for t in e.split() if not _CLASS_NAME.match(t)) for e in entries)
        return tuple(e for e in plain if e)


@dataclass(frozen=True)
class Language:
    """One language kbqa reads questions in."""

    code: str  # "en", "ru": the main language's is declared, a folder's is its name
    name: str  # "English", "Русский"
    letters: str  # the letters that mark a question as this language
    stemmer: str  # "light" (kbqa's English suffix stripper) or a Snowball algorithm name
    grammar: Grammar = field(default_factory=Grammar)
    labels: tuple[tuple[str, str], ...] = ()  # the words of an answer and the page, by key
    folds: tuple[tuple[str, str], ...] = ()  # letters read as others: ("ё", "е"), ("’", "'")
    # Spellings read as others before anything else: ("can't", "can n't"), ("*n't", "* n't").
    contractions: tuple[tuple[str, str], ...] = ()
    # How the speller tells a word it must leave alone: "vocabulary" (any whole word of the
    # question encoder's vocabulary) or "stems" (a word whose stem the corpus has).
    speller: str = "vocabulary"

    @cached_property
    def stopwords(self) -> frozenset[str]:
        """The words lexical matching ignores."""
        return frozenset(self.grammar.words("stopwords"))

    def label(self, key: str) -> str:
        """The wording of ``key``; the language file must have it (``KeyError``)."""
        return dict(self.labels)[key]

    def headline(self, verdict: str) -> str:
        """The headline's first words for a verdict ("It depends."); none for the others: a
        yes or a no leads with its claim (``claimed``)."""
        return self.label("headline-depends") if verdict == "depends" else ""

    def claimed(self, claim: str, reason: str) -> str:
        """A yes or no's headline: its claim as it holds, then why ("You can still appeal.
        You said 1 day; …")."""
        return self.label("headline-claim").format(claim=claim, reason=reason).strip()

    def fold(self, text: str) -> str:
        """``text`` with this language's folded letters replaced (no other change)."""
        for letter, plain in self.folds:
            text = text.replace(letter, plain)
        return text


def detect(text: str, languages: tuple[Language, ...], main: str) -> str:
    """The code of the language ``text`` is written in: of ``languages`` (the second ones),
    the one whose letters are the majority of its letters, else ``main``."""
    letters = [c for c in text.lower() if c.isalpha()]
    best, most = main, 0
    for language in languages:
        count = sum(c in language.letters for c in letters)
        if count * 2 > len(letters) and count > most:
            best, most = language.code, count
    return best
