"""Buyers' feedback on answers, appended to a JSON Lines file.

Feedback must never get in the way of answering: a write that fails (read-only folder,
full disk) is logged once and dropped, and every later attempt is tried again quietly.
Each vote carries what a maintainer needs to act on it: the answer's question-log id
(``app.serve.querylog``), its verdict, quotes and confidence, and the corpus hash of the index
that answered.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.answer.records import Answer
from app.serve.querylog import read_jsonl

FEEDBACK_FILE = "feedback.jsonl"
MAX_COMMENT_CHARS = 2000

log = logging.getLogger("kbqa.feedback")


class FeedbackLog:
    """Appends one JSON object per line to ``folder/feedback.jsonl``."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FEEDBACK_FILE
        self._lock = threading.Lock()
        self._warned = False

    def record(
        self,
        answer: Answer | dict[str, Any] | None,
        helpful: bool,
        comment: str = "",
        *,
        log_id: str | None = None,
        corpus_hash: str = "",
    ) -> bool:
        """Store one vote on an answer (its JSON contract or the Answer itself); True when it
        was written. ``log_id`` is the question-log id of that answer (None when the log is
        off), ``corpus_hash`` the corpus of the index that answered."""
        if isinstance(answer, Answer):
            answer = answer.to_dict()
        answer = answer or {}
        confidence = answer.get("confidence") or {}
        entry = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "log_id": log_id,
            "question": answer.get("question", ""),
            "language": answer.get("language", ""),
            "verdict": answer.get("verdict", ""),
            "quotes": [q.get("id", "") for q in answer.get("quotes", [])],
            "band": confidence.get("band", ""),
            "score": confidence.get("score"),
            "corpus_hash": corpus_hash or "",
            "helpful": bool(helpful),
            "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(line)
                return True
            except OSError as err:
                if not self._warned:
                    self._warned = True
                    log.warning("feedback not saved to %s: %s (answering goes on)", self.path, err)
                return False


def read_feedback(folder: Path) -> list[dict[str, Any]]:
    """Every vote in ``folder/feedback.jsonl``, oldest first; malformed lines are skipped."""
    return read_jsonl(Path(folder) / FEEDBACK_FILE)
