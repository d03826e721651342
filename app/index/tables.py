"""Everything an index holds that no model makes: what a corpus turns into before embedding.

The passages and glossary as records, which vector row embeds what (``vectors.npz``) and a
hash of each embedded text (``texts.json``), each language's words (``language.json``), its
BM25 postings, the readings of its annotated questions and its speller's words. They are a
function of the corpus and of kbqa's declared ``PIPELINE_VERSION`` alone, which is how
``tests/test_pipeline.py`` holds the version to its promise: it writes them afresh, with no
model, and compares them with the committed index and with a golden copy of the fixture's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.corpus.records import Corpus, GlossaryEntry, Passage, Topic
from app.corpus.translation import in_language
from app.index import readings as analyses
from app.index.layout import (
    ACTIONS,
    ANALYSES,
    CONDITIONS,
    GLOSSARY,
    LANGUAGE,
    LEXICAL,
    LEXICAL_TERMS,
    LOCALE,
    OUT_OF_SCOPE,
    PASSAGES,
    SCOPE,
    SPELLER,
    TEXTS,
    VECTORS,
    local_topics,
    out_of_scope_texts,
    text_hashes,
    vector_texts,
)
from app.index.lexical import Lexical, lexical_tokens, passage_words
from app.index.vectors import VectorRef, VectorRefs
from app.index.vocabulary import speller_words
from app.reading.actions import Lexicon
from app.reading.conditions import Conditions
from app.reading.language import Language
from app.reading.text import compile_replacements
from app.records import to_json


@dataclass(frozen=True)
class View:
    """One language's view of the corpus: what is embedded for it and read in it."""

    prefix: str  # "" for the main language, "ru-" for Russian
    language: Language
    passages: tuple[Passage, ...]  # with this language's annotations
    glossary: tuple[GlossaryEntry, ...]
    topics: tuple[Topic, ...]  # out of scope
    conditions: Conditions
    lexicon: Lexicon
    refs: tuple[VectorRef, ...]  # one per embedded text, in row order
    texts: tuple[str, ...]  # what each dense row embeds
    out_of_scope: tuple[str, ...]  # what each out-of-scope row embeds

    @property
    def main(self) -> bool:
        return self.prefix == ""


def views(corpus: Corpus) -> list[View]:
    """The main language's view, then each second language's."""
    assert corpus.language is not None  # load_corpus refuses a corpus without one
    main = (corpus.glossary, corpus.out_of_scope, corpus.conditions, corpus.lexicon)
    out = [_view("", corpus.language, corpus.passages, *main)]
    for locale in corpus.locales:
        passages = tuple(in_language(p, locale.code) for p in corpus.passages)
        topics = local_topics(locale.out_of_scope, corpus.out_of_scope)
        words = (locale.glossary, topics, locale.conditions, locale.lexicon)
        out.append(_view(f"{locale.code}-", locale.language, passages, *words))
    return out


def _view(
    prefix: str,
    language: Language,
    passages: tuple[Passage, ...],
    glossary: tuple[GlossaryEntry, ...],
    topics: tuple[Topic, ...],
    conditions: Conditions,
    lexicon: Lexicon,
) -> View:
    refs, texts = vector_texts(passages, glossary)
    oos = out_of_scope_texts(topics, glossary)
    return View(
        prefix,
        language,
        passages,
        glossary,
        topics,
        conditions,
        lexicon,
        tuple(refs),
        tuple(texts),
        tuple(oos),
    )


def write_tables(folder: Path, corpus: Corpus) -> tuple[str, ...]:
    """Write every model-free file of the corpus's index into ``folder``; their names."""
    _write_json(folder / PASSAGES, [p.to_dict() for p in corpus.passages])
    _write_json(folder / GLOSSARY, [g.to_dict() for g in corpus.glossary])
    _write_json(folder / SCOPE, corpus.scope.to_dict())
    _write_json(folder / OUT_OF_SCOPE, [t.to_dict() for t in corpus.out_of_scope])
    _write_json(folder / CONDITIONS, corpus.conditions.to_dict())
    _write_json(folder / ACTIONS, corpus.lexicon.to_dict())
    names = [PASSAGES, GLOSSARY, SCOPE, OUT_OF_SCOPE, CONDITIONS, ACTIONS]
    for view in views(corpus):
        names += _write_view(folder, view)
    for locale in corpus.locales:
        topics = local_topics(locale.out_of_scope, corpus.out_of_scope)
        _write_json(
            folder / f"{locale.code}-{LOCALE}",
            {
                "glossary": [g.to_dict() for g in locale.glossary],
                "scope": locale.scope.to_dict(),
                "out_of_scope": [t.to_dict() for t in topics],
                "conditions": locale.conditions.to_dict(),
                "actions": locale.lexicon.to_dict(),
            },
        )
        names.append(f"{locale.code}-{LOCALE}")
    return tuple(names)


def _write_view(folder: Path, view: View) -> list[str]:
    """One language's tables: its vector rows, text hashes, language, BM25 postings,
    readings and speller words."""
    prefix = view.prefix
    VectorRefs.of(list(view.refs)).save(folder / f"{prefix}{VECTORS}")
    hashes = {"dense": text_hashes(list(view.texts))}
    hashes["out-of-scope"] = text_hashes(list(view.out_of_scope))
    _write_json(folder / f"{prefix}{TEXTS}", hashes)
    _write_json(folder / f"{prefix}{LANGUAGE}", to_json(view.language))
    replacements = compile_replacements((g.term, g.meaning) for g in view.glossary)
    documents = [
        lexical_tokens(passage_words(p), replacements, view.language) for p in view.passages
    ]
    lexical = Lexical.build(documents)
    lexical.save(folder / f"{prefix}{LEXICAL}", folder / f"{prefix}{LEXICAL_TERMS}")
    readings = analyses.annotated(view.passages, view.language, view.conditions, view.lexicon)
    _write_json(folder / f"{prefix}{ANALYSES}", analyses.to_json(readings))
    words = speller_words(
        view.passages, view.glossary, view.conditions, view.lexicon, view.language, view.main
    )
    _write_json(folder / f"{prefix}{SPELLER}", dict(words))
    names = (VECTORS, TEXTS, LANGUAGE, LEXICAL, LEXICAL_TERMS, ANALYSES, SPELLER)
    return [f"{prefix}{name}" for name in names]


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
