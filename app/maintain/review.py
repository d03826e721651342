"""What in buyers' real questions needs a maintainer: ``kbqa review``'s logic, no model.

The question log (``app.serve.querylog``) and the votes (``app.serve.feedback``) are read into plain
dicts; ``review`` picks the answers worth a look and groups them by the passage each most
likely belongs to, so a maintainer fixes one passage at a time:

- ``not_helpful``: a buyer voted "not helpful" (joined to its log line by ``log_id``, else
  by the question's text);
- ``low``: the answer's confidence band was low;
- ``tie``: the first quote answered yes (or no) and a passage with the opposite verdict
  scored within ``tie`` of it;
- ``near_refusal``: the question was refused, but the top passage scored within ``near``
  of the refusal threshold of the question's language.

Each item carries a ready-to-paste annotated question line for its passage: untagged when
the verdict to confirm is the passage's own, tagged (``- `yes` question``) otherwise, under
``questions:`` or, for a question in another language, ``ru-questions:``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.index.calibration import Settings
from app.index.store import Index
from app.reading.text import normalize_ws

# Reason keys in the order they are listed, with the words the table prints.
REASONS = {
    "not_helpful": "not helpful",
    "low": "low confidence",
    "tie": "yes/no near-tie",
    "near_refusal": "close refusal",
}
OPPOSITE = {"yes": "no", "no": "yes"}
NOT_COVERED = "not_covered"
EVAL_HEADER = (
    "# kbqa review: every verdict below must be confirmed by a person before this set is used.\n"
    "# Questions from the question log, each under the passage it most likely belongs\n"
    "# to: fix verdict and passages by hand, then run `kbqa eval`.\n"
)


@dataclass(frozen=True)
class RunnerUp:
    id: str
    verdict: str
    score: float | None


@dataclass(frozen=True)
class Item:
    """One question (merged with its identical repeats) that needs a maintainer."""

    question: str
    language: str
    count: int  # how many times it was asked (identical questions merged)
    reasons: tuple[str, ...]  # keys of REASONS, in that order
    time: str  # the newest occurrence's ISO time
    verdict: str  # what kbqa answered (newest occurrence)
    band: str
    score: float | None
    runner_up: RunnerUp | None
    confirm: str  # the verdict the maintainer should confirm for this passage
    line: str | None  # the annotated question line to paste (None without a passage)
    field: str  # "questions:" or "ru-questions:"
    log_ids: tuple[str, ...] = ()
    comments: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "count": self.count,
            "reasons": list(self.reasons),
            "time": self.time,
            "verdict": self.verdict,
            "band": self.band,
            "score": self.score,
            "runner_up": None
            if self.runner_up is None
            else {
                "id": self.runner_up.id,
                "verdict": self.runner_up.verdict,
                "score": self.runner_up.score,
            },
            "confirm": self.confirm,
            "line": self.line,
            "field": self.field,
            "log_ids": list(self.log_ids),
            "comments": list(self.comments),
        }


@dataclass(frozen=True)
class Group:
    """The items that most likely belong to one passage (``passage`` None: to none)."""

    passage: str | None
    where: str  # "corpus/a.md:14"; "" when the passage is not in this index (or None)
    verdict: str | None  # the passage's own verdict
    items: tuple[Item, ...]
    counts: tuple[tuple[str, int], ...]  # (reason, questions asked with it), REASONS order

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)

    @property
    def newest(self) -> str:
        return max((item.time for item in self.items), key=_when)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage": self.passage,
            "where": self.where,
            "verdict": self.verdict,
            "total": self.total,
            "newest": self.newest,
            "counts": dict(self.counts),
            "items": [item.to_dict() for item in self.items],
        }


def review(
    log: list[dict],
    feedback: list[dict],
    index: Index,
    *,
    low_band: str = "low",
    tie: float = 0.03,
    near: float = 0.10,
    threshold: float | Mapping[str, float],
    corpus_label: str = "corpus",
) -> list[Group]:
    """The answers that need a maintainer, grouped by passage, most frequent then newest.

    ``threshold`` is the calibrated refusal threshold, one for every language or by
    language code (``{"en": 0.45, "ru": 0.5}``; a missing code takes the main language's).
    ``corpus_label`` is the folder shown before each passage's ``file.md:LINE``.
    """
    main = index.language.code if index.language else ""
    records = [r for r in log if _usable(r)]
    by_id = {r["id"]: r for r in records if isinstance(r.get("id"), str)}
    # One occurrence per log line (keyed by its position), plus one per vote that matches none.
    found: dict[int, tuple[dict, set[str], list[str]]] = {}
    for n, record in enumerate(records):
        reasons = _reasons(record, low_band, tie, near, _threshold(threshold, record, main))
        found[n] = (record, reasons, [])
    position = {id(r): n for n, r in enumerate(records)}
    by_text: dict[str, list[dict]] = {}
    for record in records:
        by_text.setdefault(_key(record["question"]), []).append(record)

    extra = len(records)
    for vote in feedback:
        if not isinstance(vote, dict) or vote.get("helpful") is not False:
            continue
        logged = by_id.get(vote.get("log_id")) if vote.get("log_id") else None
        if logged is None and isinstance(vote.get("question"), str):
            logged = _nearest(by_text.get(_key(vote["question"]), []), vote.get("time"))
        if logged is not None:
            _, reasons, comments = found[position[id(logged)]]
        elif _usable({**vote, "id": ""}):
            reasons, comments = set(), []
            found[extra] = (_from_vote(vote), reasons, comments)
            extra += 1
        else:
            continue
        reasons.add("not_helpful")
        comment = vote.get("comment")
        if isinstance(comment, str) and comment.strip() and comment.strip() not in comments:
            comments.append(comment.strip())

    passages = {p.id: p for p in index.passages}
    grouped: dict[str | None, list[tuple[dict, set[str], list[str]]]] = {}
    for record, reasons, comments in found.values():
        if reasons:
            grouped.setdefault(_home(record), []).append((record, reasons, comments))

    groups = []
    for passage_id, occurrences in grouped.items():
        passage = passages.get(passage_id) if passage_id else None
        counts = {reason: 0 for reason in REASONS}
        for _, reasons, _ in occurrences:
            for reason in reasons:
                counts[reason] += 1
        items = _merge(occurrences, passage_id, passage.verdict if passage else None, main)
        groups.append(
            Group(
                passage=passage_id,
                where=f"{corpus_label}/{passage.source}" if passage and passage.source else "",
                verdict=passage.verdict if passage else None,
                items=tuple(sorted(items, key=lambda i: _when(i.time), reverse=True)),
                counts=tuple((r, c) for r, c in counts.items() if c),
            )
        )
    groups.sort(key=lambda g: (-g.total, -_when(g.newest).timestamp(), g.passage or "~"))
    return groups


def _usable(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("question"), str)
        and bool(record["question"].strip())
        and isinstance(record.get("verdict"), str)
    )


def _reasons(record: dict, low_band: str, tie: float, near: float, threshold: float) -> set[str]:
    reasons = set()
    verdict, runner = record["verdict"], _runner_up(record)
    if record.get("band") == low_band:
        reasons.add("low")
    first = _quotes(record)
    if (
        first
        and runner is not None
        and verdict in OPPOSITE
        and runner.verdict == OPPOSITE[verdict]
        and first[0][1] is not None
        and runner.score is not None
        and abs(first[0][1] - runner.score) <= tie + 1e-9
    ):
        reasons.add("tie")
    if (
        verdict == NOT_COVERED
        and runner is not None
        and runner.score is not None
        and runner.score >= threshold - near - 1e-9
    ):
        reasons.add("near_refusal")
    return reasons


def _threshold(threshold: float | Mapping[str, float], record: dict, main: str) -> float:
    if not isinstance(threshold, Mapping):
        return float(threshold)
    language = _language(record, main)
    return float(threshold.get(language, threshold.get(main, Settings().threshold)))


def _quotes(record: dict) -> list[tuple[str, float | None]]:
    """The quoted passages as (id, score); a vote's quotes are bare ids."""
    quotes: list[tuple[str, float | None]] = []
    for quote in record.get("quotes") or []:
        if isinstance(quote, str):
            quotes.append((quote, None))
        elif isinstance(quote, dict) and isinstance(quote.get("id"), str):
            quotes.append((quote["id"], _number(quote.get("score"))))
    return quotes


def _runner_up(record: dict) -> RunnerUp | None:
    runner = record.get("runner_up")
    if not isinstance(runner, dict) or not isinstance(runner.get("id"), str):
        return None
    return RunnerUp(runner["id"], str(runner.get("verdict") or ""), _number(runner.get("score")))


def _home(record: dict) -> str | None:
    """The passage a question most likely belongs to: its first quote, else the runner-up."""
    quotes = _quotes(record)
    if quotes:
        return quotes[0][0]
    runner = _runner_up(record)
    return runner.id if runner else None


def _confirm(record: dict) -> str:
    """The verdict to confirm: what kbqa answered, or for a refusal the runner-up's."""
    if record["verdict"] != NOT_COVERED:
        return record["verdict"]
    runner = _runner_up(record)
    return runner.verdict if runner and runner.verdict else NOT_COVERED


def suggested_line(question: str, confirm: str, passage_verdict: str | None) -> str:
    """The annotated question line: untagged when it agrees with the passage's verdict."""
    text = normalize_ws(question)
    if confirm == passage_verdict:
        return f"  - {text}"
    return f"  - `{confirm}` {text}"


def field_for(language: str, main: str) -> str:
    """The annotation a question in ``language`` goes under: the main language's
    ``questions:``, another's ``ru-questions:``."""
    return "questions:" if language == main else f"{language}-questions:"


def _merge(
    occurrences, passage_id: str | None, passage_verdict: str | None, main: str
) -> list[Item]:
    """Identical questions (case and spacing aside) as one item; the newest speaks for all."""
    merged: dict[tuple[str, str], list[tuple[dict, set[str], list[str]]]] = {}
    for occurrence in occurrences:
        record = occurrence[0]
        merged.setdefault((_language(record, main), _key(record["question"])), []).append(
            occurrence
        )
    items = []
    for (language, _), same in merged.items():
        same.sort(key=lambda o: _when(o[0].get("time")), reverse=True)
        newest = same[0][0]
        reasons = set().union(*(o[1] for o in same))
        confirm = _confirm(newest)
        items.append(
            Item(
                question=normalize_ws(newest["question"]),
                language=language,
                count=len(same),
                reasons=tuple(r for r in REASONS if r in reasons),
                time=str(newest.get("time") or ""),
                verdict=newest["verdict"],
                band=str(newest.get("band") or ""),
                score=_number(newest.get("score")),
                runner_up=_runner_up(newest),
                confirm=confirm,
                line=suggested_line(newest["question"], confirm, passage_verdict)
                if passage_id
                else None,
                field=field_for(language, main),
                log_ids=tuple(o[0]["id"] for o in same if o[0].get("id")),
                comments=tuple(dict.fromkeys(c for o in same for c in o[2])),
            )
        )
    return items


def _from_vote(vote: dict) -> dict:
    """A vote with no log line stands for its own answer (no scores per quote, no runner-up)."""
    return {
        "id": "",
        "time": vote.get("time"),
        "question": vote["question"],
        "language": vote.get("language"),
        "verdict": vote["verdict"],
        "band": vote.get("band"),
        "score": vote.get("score"),
        "quotes": [q for q in vote.get("quotes") or [] if isinstance(q, str)],
        "runner_up": None,
    }


def _nearest(records: list[dict], time: Any) -> dict | None:
    """The log line a vote without an id was most likely about: the newest asked before it."""
    if not records:
        return None
    ordered = sorted(records, key=lambda r: _when(r.get("time")), reverse=True)
    when = _when(time)
    return next((r for r in ordered if _when(r.get("time")) <= when), ordered[0])


def _language(record: dict, main: str) -> str:
    language = record.get("language")
    return language if isinstance(language, str) and language else main


def _key(question: str) -> str:
    return normalize_ws(question).casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _when(time: Any) -> datetime:
    """An ISO time as an aware datetime; anything unreadable sorts as the oldest."""
    if not isinstance(time, str):
        return _EPOCH
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---- output ----------------------------------------------------------------------------
