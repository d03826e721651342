"""`kbqa review`: what in the question log and the votes needs a maintainer, by passage.

The fixture index (tests/fixtures/corpus, fake embedder) has five passages:
dispute-protects (info, a.md:3), keep-open-until-paid (no, a.md:15), late-parcel (info,
a.md:31), broken-parcel (yes, a.md:44) and appeal-window (info, b.md:3). The log below is
written by hand; with no calibration the refusal threshold is the default 0.45, so a
refusal whose runner-up scores 0.35 or more "came close".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.main import main
from app.index.store import load_index
from app.maintain.evalset import load_items
from app.maintain.review import Group, review, suggested_line

T = "2026-11-26T{}:00.000000Z"


def line(n, time, question, verdict, band, score, quotes, runner=None, language="en"):
    return {
        "id": f"q-{n:012d}",
        "time": T.format(time),
        "question": question,
        "language": language,
        "verdict": verdict,
        "band": band,
        "score": score,
        "quotes": [{"id": q, "score": s} for q, s in quotes],
        "runner_up": None
        if runner is None
        else dict(zip(("id", "verdict", "score"), runner, strict=True)),
        "clarify": False,
        "corpus_hash": "h",
    }


KEEP, BROKEN, LATE, APPEAL, PROTECTS = (
    "keep-open-until-paid",
    "broken-parcel",
    "late-parcel",
    "appeal-window",
    "dispute-protects",
)

# fmt: off
LOG = [
    line(8, "09:00", "Why open a dispute?", "info", "high", 0.9, [(PROTECTS, 0.9)]),
    # a yes/no near-tie: "no" from keep-open 0.80, "yes" from broken-parcel 0.78
    line(1, "10:00", "Can I close my claim today?", "no", "high", 0.8, [(KEEP, 0.8)],
         (BROKEN, "yes", 0.78)),
    # low confidence, answered "yes" by a "no" passage: the suggested line is tagged
    line(2, "10:05", "Can I close the dispute now?", "yes", "low", 0.5, [(KEEP, 0.5)],
         (PROTECTS, "info", 0.3)),
    # the first question again, other case and spacing: merged with it
    line(3, "10:10", "can i close my  claim today?", "no", "high", 0.81, [(KEEP, 0.81)],
         (BROKEN, "yes", 0.79)),
    # fine on its own; a "not helpful" vote points at it by log id
    line(4, "11:00", "Do I get money back for a cracked vase?", "yes", "high", 0.7,
         [(BROKEN, 0.7)], (LATE, "info", 0.5)),
    # refused, but late-parcel scored 0.38 >= 0.45 - 0.10
    line(5, "12:00", "What about customs fees?", "not_covered", "none", 0.38, [],
         (LATE, "info", 0.38)),
    # refused and nothing near: not listed
    line(6, "12:30", "What is the weather?", "not_covered", "none", 0.1, [],
         (APPEAL, "info", 0.1)),
    # a Russian question at low confidence: a tagged ru-questions line
    line(7, "13:00", "Можно ли обжаловать через месяц?", "yes", "low", 0.5, [(APPEAL, 0.5)],
         (KEEP, "no", 0.2), language="ru"),
]
# fmt: on

FEEDBACK = [
    # by log id, with a comment
    {
        "time": T.format("11:01"),
        "log_id": "q-000000000004",
        "question": "Do I get money back for a cracked vase?",
        "language": "en",
        "verdict": "yes",
        "quotes": ["broken-parcel"],
        "band": "high",
        "score": 0.7,
        "corpus_hash": "h",
        "helpful": False,
        "comment": "it was a vase, not a parcel",
    },
    # no log id (the log was off): joined by the question's text
    {
        "time": T.format("09:01"),
        "log_id": None,
        "question": "why open a dispute?",
        "verdict": "info",
        "quotes": ["dispute-protects"],
        "helpful": False,
        "comment": "",
    },
    # helpful: nothing to do
    {
        "time": T.format("10:06"),
        "log_id": "q-000000000002",
        "question": "Can I close the dispute now?",
        "verdict": "yes",
        "quotes": ["keep-open-until-paid"],
        "helpful": True,
        "comment": "",
    },
    # matches no log line: the vote stands for its own answer
    {
        "time": T.format("14:00"),
        "log_id": "q-ffffffffffff",
        "question": "How do refunds work for gifts?",
        "language": "en",
        "verdict": "info",
        "quotes": ["broken-parcel"],
        "band": "medium",
        "score": 0.6,
        "helpful": False,
        "comment": "too vague",
    },
]


@pytest.fixture
def groups(index_dir: Path) -> list[Group]:
    return review(LOG, FEEDBACK, load_index(index_dir), threshold=0.45)


def by_passage(groups: list[Group]) -> dict:
    return {g.passage: g for g in groups}


def test_groups_are_ordered_by_frequency_then_newest(groups):
    assert [(g.passage, g.total) for g in groups] == [
        ("keep-open-until-paid", 3),
        ("broken-parcel", 2),
        ("appeal-window", 1),  # 13:00
        ("late-parcel", 1),  # 12:00
        ("dispute-protects", 1),  # 09:00
    ]
    assert by_passage(groups)["keep-open-until-paid"].where == "corpus/a.md:15"
    assert by_passage(groups)["appeal-window"].where == "corpus/b.md:3"


def test_each_reason_is_detected(groups):
    reasons = {(g.passage, i.question): i.reasons for g in groups for i in g.items}
    assert reasons == {
        ("keep-open-until-paid", "can i close my claim today?"): ("tie",),
        ("keep-open-until-paid", "Can I close the dispute now?"): ("low",),
        ("broken-parcel", "How do refunds work for gifts?"): ("not_helpful",),
        ("broken-parcel", "Do I get money back for a cracked vase?"): ("not_helpful",),
        ("appeal-window", "Можно ли обжаловать через месяц?"): ("low",),
        ("late-parcel", "What about customs fees?"): ("near_refusal",),
        ("dispute-protects", "Why open a dispute?"): ("not_helpful",),
    }
    assert dict(by_passage(groups)["keep-open-until-paid"].counts) == {"low": 1, "tie": 2}


def test_items_newest_first_and_repeats_merged(groups):
    keep_open = by_passage(groups)["keep-open-until-paid"].items
    assert [(i.question, i.count, i.time) for i in keep_open] == [
        ("can i close my claim today?", 2, T.format("10:10")),
        ("Can I close the dispute now?", 1, T.format("10:05")),
    ]
    assert keep_open[0].log_ids == ("q-000000000003", "q-000000000001")
    broken = by_passage(groups)["broken-parcel"].items
    assert [i.question for i in broken] == [
        "How do refunds work for gifts?",  # the vote's own time, 14:00
        "Do I get money back for a cracked vase?",
    ]
    assert broken[1].comments == ("it was a vase, not a parcel",)


def test_suggested_lines(groups):
    items = {i.question: i for g in groups for i in g.items}
    # answered "no" by a "no" passage: untagged
    assert items["can i close my claim today?"].line == "  - can i close my claim today?"
    assert items["can i close my claim today?"].field == "questions:"
    # answered "yes" by a "no" passage: tagged with the verdict to confirm
    assert items["Can I close the dispute now?"].line == "  - `yes` Can I close the dispute now?"
    # a refusal belongs to its runner-up, with that passage's verdict: untagged
    assert items["What about customs fees?"].confirm == "info"
    assert items["What about customs fees?"].line == "  - What about customs fees?"
    ru = items["Можно ли обжаловать через месяц?"]
    assert (ru.field, ru.line) == ("ru-questions:", "  - `yes` Можно ли обжаловать через месяц?")
    assert suggested_line("a  b?", "info", "info") == "  - a b?"


def test_thresholds_and_margins(index_dir):
    index = load_index(index_dir)
    refusal = [LOG[5]]
    assert review(refusal, [], index, threshold=0.45)
    assert not review(refusal, [], index, threshold={"en": 0.5})  # 0.38 < 0.40
    assert not review(refusal, [], index, threshold=0.45, near=0.05)
    tie = [LOG[1]]  # 0.80 against 0.78
    assert review(tie, [], index, threshold=0.45)
    assert not review(tie, [], index, threshold=0.45, tie=0.01)
    # a near score from a passage of the same or a non-opposite verdict is no tie
    same = [{**LOG[1], "runner_up": {"id": "late-parcel", "verdict": "info", "score": 0.8}}]
    assert not review(same, [], index, threshold=0.45)


# ---- the command -----------------------------------------------------------------------


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "feedback"
    write_jsonl(folder / "questions.jsonl.1", LOG[:4])  # rotated: read first
    write_jsonl(folder / "questions.jsonl", LOG[4:])
    (folder / "questions.jsonl").open("a").write("{cut by a crash\n")
    write_jsonl(folder / "feedback.jsonl", FEEDBACK)
    return folder


def run(capsys, index_dir: Path, corpus_dir: Path, folder: Path, *extra: str):
    where = ["--index-dir", str(index_dir), "--corpus-dir", str(corpus_dir)]
    code = main(["review", *where, "--feedback-dir", str(folder), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_plain_table(capsys, index_dir, corpus_dir, folder):
    code, out, _ = run(capsys, index_dir, corpus_dir, folder)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("keep-open-until-paid  ")
    assert "a.md:15  [no]  (3 asked: 1 low confidence, 2 yes/no near-tie)" in lines[0]
    assert "can i close my claim today?" in lines[1]
    assert " 2×  2026-11-26 10:10" in lines[1]
    assert "no/high/0.81" in lines[1]
    assert lines[2].split() == ["questions:", "-", "can", "i", "close", "my", "claim", "today?"]
    assert lines[3] == "      tied with broken-parcel [yes] 0.79"
    assert "      ru-questions:   - `yes` Можно ли обжаловать через месяц?" in lines
    assert "      comment: it was a vase, not a parcel" in lines


def test_json(capsys, index_dir, corpus_dir, folder):
    code, out, _ = run(capsys, index_dir, corpus_dir, folder, "--json", "--limit", "2")
    assert code == 0
    data = json.loads(out)
    assert [g["passage"] for g in data] == ["keep-open-until-paid", "broken-parcel"]
    first = data[0]
    assert set(first) == {"passage", "where", "verdict", "total", "newest", "counts", "items"}
    assert first["where"].endswith("corpus/a.md:15")
    assert first["counts"] == {"low": 1, "tie": 2}
    item = first["items"][0]
    assert item["count"] == 2
    assert item["reasons"] == ["tie"]
    assert item["runner_up"] == {"id": "broken-parcel", "verdict": "yes", "score": 0.79}
    assert (item["confirm"], item["field"]) == ("no", "questions:")
    assert item["line"] == "  - can i close my claim today?"


def test_to_eval_writes_items_that_load(capsys, tmp_path, index_dir, corpus_dir, folder):
    target = tmp_path / "review.yaml"
    code, _, err = run(capsys, index_dir, corpus_dir, folder, "--to-eval", str(target))
    assert code == 0
    assert "wrote 7 evaluation item(s)" in err
    text = target.read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "must be confirmed by a person" in text.splitlines()[0]
    items = load_items(target)
    assert [i.id for i in items] == [f"review-{n:03d}" for n in range(1, 8)]
    assert {i.kind for i in items} == {"review"}
    first, second = items[0], items[1]
    assert (first.q, first.verdict, first.passages) == (
        "can i close my claim today?",
        "no",
        ("keep-open-until-paid",),
    )
    assert (second.verdict, second.passages) == ("yes", ("keep-open-until-paid",))
    # a second run does not overwrite what a person may have confirmed
    code, _, err = run(capsys, index_dir, corpus_dir, folder, "--to-eval", str(target))
    assert code == 1
    assert "exists" in err
    assert load_items(target) == items


def test_no_log_says_where_it_looked(capsys, tmp_path, index_dir, corpus_dir):
    empty = tmp_path / "nothing-here"
    code, out, err = run(capsys, index_dir, corpus_dir, empty)
    assert code == 1
    assert out == ""
    assert str(empty / "questions.jsonl") in err
    assert "kbqa serve" in err


def test_nothing_to_review(capsys, index_dir, corpus_dir, tmp_path):
    folder = tmp_path / "quiet"
    write_jsonl(folder / "questions.jsonl", [LOG[0]])
    code, out, _ = run(capsys, index_dir, corpus_dir, folder)
    assert code == 0
    assert out.startswith("nothing to review")
