"""The words the speller corrects towards, counted once at build and stored with the index.

Counting them means reading every passage: seconds at a large corpus, at every start, so
``kbqa build`` writes them to ``speller.json`` (``ru-speller.json`` for a second language),
word -> count, and the retriever builds its ``Speller`` from that.

The main language (the guide's text is written in it): the words of the passages' texts,
rules and annotated questions and of the glossary terms. A second language (its passages
hold the guide's text, its own rules and questions): the words of its annotations and word
lists, since its stemmer stands in for the general word list it lacks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from app.corpus.records import GlossaryEntry, Passage
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions
from app.reading.language import Language

ANY_WORD = r"[^\W\d_]+"


def speller_words(
    passages: Sequence[Passage],
    glossary: Sequence[GlossaryEntry],
    conditions: Conditions,
    lexicon: Lexicon,
    language: Language,
    main: bool,
) -> Counter[str]:
    """Word -> how often the index's texts use it, for ``language`` (``main``: the
    language the guide's text is in)."""
    vocabulary: Counter[str] = Counter()
    if main:
        word = speller_word(language)
        for passage in passages:
            for text in (passage.text, passage.rule, *(q.text for q in passage.questions)):
                vocabulary.update(w.lower() for w in re.findall(word, text))
        for entry in glossary:
            vocabulary.update(w.lower() for w in re.findall(word, entry.term))
        return vocabulary
    texts = [t for p in passages for t in (p.rule, *(q.text for q in p.questions))]
    texts += [g.term for g in glossary] + [g.meaning for g in glossary]
    for variable in conditions.variables:
        texts += [*variable.cues, *(p for v in variable.values for p in v.phrases)]
    vocabulary_rows = conditions.vocabulary.__dict__.values()
    texts += [str(row[0]) for rows in vocabulary_rows for row in rows]
    for action in lexicon.actions:
        texts += [*action.does, *action.undoes, *action.safe]
    texts += [*lexicon.bad, *language.grammar.vocabulary]
    for text in texts:
        vocabulary.update(re.findall(ANY_WORD, language.fold(text.lower())))
    return vocabulary


def speller_word(language: Language) -> str:
    """What the speller reads as a word: the language's own letters when it leaves alone
    the question encoder's vocabulary, any letters when it guards by stems."""
    if language.speller == "vocabulary":
        return f"[{re.escape(language.letters + language.letters.upper())}]+"
    return ANY_WORD
