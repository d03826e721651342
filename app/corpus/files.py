"""A corpus folder's files: their names, which of them define the corpus, and its hash.

A corpus folder holds ``source/*.txt`` (the guide as received), ``*.md`` passage files,
the side files named below, ``language.md`` (the main language) and ``README.md``
(documentation, never parsed); each other language's files live in a folder of their own
named by its code (``ru/``), recognised by its ``language.md``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

GLOSSARY_FILE = "glossary.md"
SCOPE_FILE = "scope.md"
OUT_OF_SCOPE_FILE = "out-of-scope.md"
CONDITIONS_FILE = "conditions.md"
ACTIONS_FILE = "actions.md"
LANGUAGE_FILE = "language.md"
SKIPPED_FILES = {
    "README.md",
    GLOSSARY_FILE,
    SCOPE_FILE,
    OUT_OF_SCOPE_FILE,
    CONDITIONS_FILE,
    ACTIONS_FILE,
    LANGUAGE_FILE,
}


def language_folders(corpus_dir: Path) -> list[Path]:
    """The corpus's second languages' folders: every subfolder holding a ``language.md``."""
    return sorted(p.parent for p in Path(corpus_dir).glob(f"*/{LANGUAGE_FILE}"))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file whose bytes define the corpus (and so the index), in a stable order."""
    files = sorted(p for p in corpus_dir.glob("*.md") if p.name != "README.md")
    for folder in language_folders(corpus_dir):
        files += sorted(p for p in folder.glob("*.md") if p.name != "README.md")
    files += sorted((corpus_dir / "source").glob("*.txt"))
    return files


def content_hash(corpus_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
