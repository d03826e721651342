"""Where kbqa reads and writes: every path is decided here and nowhere else.

Each folder resolves in the same order: an explicit argument (the CLI's flag), then an
environment variable, then the default beside the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_CORPUS_DIR = "KBQA_CORPUS_DIR"
ENV_INDEX_DIR = "KBQA_INDEX_DIR"
ENV_FEEDBACK_DIR = "KBQA_FEEDBACK_DIR"
# Where ``kbqa serve`` listens (``--host``/``--port``, then these, then the defaults).
ENV_HOST, ENV_PORT = "KBQA_HOST", "KBQA_PORT"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 7860


def _resolve(explicit: str | os.PathLike | None, env_var: str, default: Path) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(env_var, "").strip()
    if from_env:
        return Path(from_env).expanduser().resolve()
    return default


@dataclass(frozen=True)
class Paths:
    corpus_dir: Path
    index_dir: Path
    feedback_dir: Path

    @classmethod
    def resolve(
        cls,
        corpus_dir: str | os.PathLike | None = None,
        index_dir: str | os.PathLike | None = None,
        feedback_dir: str | os.PathLike | None = None,
    ) -> Paths:
        return cls(
            corpus_dir=_resolve(corpus_dir, ENV_CORPUS_DIR, PROJECT_ROOT / "corpus"),
            index_dir=_resolve(index_dir, ENV_INDEX_DIR, PROJECT_ROOT / "index"),
            # Feedback is user data: it lives apart from the index, which rebuilds replace.
            feedback_dir=_resolve(feedback_dir, ENV_FEEDBACK_DIR, PROJECT_ROOT / "feedback"),
        )
