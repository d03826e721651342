"""Buyers' feedback on answers, appended to a JSON Lines file.

Feedback must never get in the way of answering: a write that fails (read-only folder,
full disk) is logged once and dropped, and every later attempt is tried again quietly.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FEEDBACK_FILE = "feedback.jsonl"
MAX_COMMENT_CHARS = 2000

log = logging.getLogger("kbqa.feedback")


class FeedbackLog:
    """Appends one JSON object per line to ``folder/feedback.jsonl``."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FEEDBACK_FILE
        self._lock = threading.Lock()
        self._warned = False

    def record(self, answer: dict[str, Any] | None, helpful: bool, comment: str = "") -> bool:
        """Store one vote; True when it was written."""
        answer = answer or {}
        entry = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "question": answer.get("question", ""),
            "verdict": answer.get("verdict", ""),
            "quotes": [q.get("id", "") for q in answer.get("quotes", [])],
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
