"""The question log: each question ``kbqa serve`` answered, one JSON object per line.

The log lives beside the feedback (``folder/questions.jsonl``) so a maintainer can see what
buyers ask and how the guide answered: the verdict, the confidence, the quoted passages with
their scores, the runner-up passage with its own verdict, and the corpus the index was built
from. Each line has an id the page keeps with the answer shown, so a vote points back to it.

The log rotates by size: when ``questions.jsonl`` would pass ``max_bytes`` it becomes
``questions.jsonl.1`` (older ones shift to ``.2``, ``.3``; ``keep`` of them are kept).
Logging must never get in the way of answering: a write that fails is logged once and
dropped, and every later attempt is tried again quietly. When logging is off, callers hold
``None`` instead of a ``QuestionLog``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.answer.ranking import Hit
from app.answer.records import Answer

QUESTIONS_FILE = "questions.jsonl"
MAX_BYTES = 10_000_000
KEEP = 3
ENV_LOG = "KBQA_LOG"  # "0" (or "false", "no", "off") turns the log off
OFF = ("0", "false", "no", "off")

log = logging.getLogger("kbqa.querylog")


def enabled(no_log: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``kbqa serve`` logs questions: not with ``--no-log`` nor ``KBQA_LOG=0``."""
    value = (os.environ if environ is None else environ).get(ENV_LOG, "")
    return not no_log and value.strip().lower() not in OFF


def new_id() -> str:
    """A log id: "q-" and 12 hex characters of a uuid4."""
    return "q-" + uuid.uuid4().hex[:12]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry(answer: Answer, ranking: Sequence[Hit], corpus_hash: str, log_id: str) -> dict:
    """The log line of one answer (see the module's docstring and the README)."""
    first = answer.quotes[0].id if answer.quotes else None
    runner_up = next((hit for hit in ranking if hit.passage.id != first), None)
    return {
        "id": log_id,
        "time": now(),
        "question": answer.question,
        "language": answer.language,
        "verdict": answer.verdict,
        "band": answer.confidence.band,
        "score": round(float(answer.confidence.score), 4),
        "quotes": [{"id": q.id, "score": round(float(q.score), 4)} for q in answer.quotes],
        "runner_up": None
        if runner_up is None
        else {
            "id": runner_up.passage.id,
            "verdict": runner_up.passage.verdict,
            "score": round(float(runner_up.score), 4),
        },
        "clarify": answer.clarify is not None,
        "corpus_hash": corpus_hash,
    }


class QuestionLog:
    """Appends one JSON object per answered question to ``folder/questions.jsonl``."""

    def __init__(self, folder: Path, max_bytes: int = MAX_BYTES, keep: int = KEEP):
        self.folder = Path(folder)
        self.path = self.folder / QUESTIONS_FILE
        self.max_bytes = max_bytes
        self.keep = max(0, keep)
        self._lock = threading.Lock()
        self._warned = False

    def record(self, answer: Answer, ranking: Sequence[Hit], corpus_hash: str) -> str | None:
        """Log one answer; its log id, or None when it could not be written."""
        log_id = new_id()
        try:
            line = json.dumps(entry(answer, ranking, corpus_hash, log_id), ensure_ascii=False)
            data = (line + "\n").encode("utf-8")
            with self._lock:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._rotate_for(len(data))
                with self.path.open("ab") as handle:
                    handle.write(data)
            return log_id
        except Exception as err:  # noqa: BLE001 - logging never stops an answer
            if not self._warned:
                self._warned = True
                log.warning("question not logged to %s: %s (answering goes on)", self.path, err)
            return None

    def _rotate_for(self, size: int) -> None:
        """Shift the files along when appending ``size`` bytes would pass ``max_bytes``."""
        try:
            current = self.path.stat().st_size
        except FileNotFoundError:
            return
        if current == 0 or current + size <= self.max_bytes:
            return
        if self.keep == 0:
            self.path.unlink()
            return
        oldest = rotated(self.path, self.keep)
        oldest.unlink(missing_ok=True)
        for n in range(self.keep - 1, 0, -1):
            older = rotated(self.path, n)
            if older.exists():
                older.replace(rotated(self.path, n + 1))
        self.path.replace(rotated(self.path, 1))


def rotated(path: Path, n: int) -> Path:
    return path.with_name(f"{path.name}.{n}")


def read_jsonl(path: Path) -> list[dict]:
    """The objects of one JSON Lines file; a malformed line (cut by a crash) is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return []
    records = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def read_log(folder: Path) -> list[dict]:
    """Every logged question, oldest first: ``questions.jsonl.N`` … ``.1``, then the current."""
    path = Path(folder) / QUESTIONS_FILE
    pattern = re.compile(re.escape(QUESTIONS_FILE) + r"\.(\d+)")
    try:
        numbers = sorted(
            (int(m.group(1)) for p in Path(folder).iterdir() if (m := pattern.fullmatch(p.name))),
            reverse=True,
        )
    except (FileNotFoundError, NotADirectoryError):
        return []
    records: list[dict] = []
    for n in numbers:
        records += read_jsonl(rotated(path, n))
    return records + read_jsonl(path)
