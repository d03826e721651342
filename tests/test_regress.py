"""The build's regression report on hand-made answers: what changed, and what is off."""

from __future__ import annotations

from app.maintain.regress import (
    Got,
    Probe,
    Report,
    carry_snapshot,
    compare,
    read_snapshot,
    render,
    write_snapshot,
)


class View:
    """Just what ``compare`` reads of an index: passages with their points."""

    def __init__(self, points: dict[str, str | None]):
        self.passages = [type("P", (), {"id": k, "point": v})() for k, v in points.items()]
        self.locales = ()


INDEX = View({"keep-open": None, "appeal-in": "appeal", "appeal-late": "appeal", "other": None})
PROBES = [
    Probe("en:keep-open:0", "Should I close it?", "corpus/a.md:14", ("keep-open",), "no", True),
    Probe(
        "en:appeal-in:0",
        "Can I still appeal?",
        "corpus/b.md:3",
        ("appeal-in",),
        "yes",
        True,
        point="appeal",
    ),
    Probe("eval:t-1", "close it?", "eval/tune.yaml: t-1", ("keep-open",), "no", False),
]


def test_changes_are_listed_before_and_after_and_unchanged_answers_are_not():
    before = {
        "en:keep-open:0": Got("keep-open", "no"),
        "en:appeal-in:0": Got("appeal-in", "yes"),
        "eval:t-1": Got("keep-open", "no"),
    }
    after = {**before, "eval:t-1": Got("other", "yes")}
    report = compare(PROBES, after, before, INDEX)
    assert [(c.probe.key, c.before, c.after) for c in report.changes] == [
        ("eval:t-1", Got("keep-open", "no"), Got("other", "yes"))
    ]
    assert report.failing == ()  # evaluation questions are reported as changes only
    text = render(report)
    assert "1 answer(s) changed" in text
    assert "eval/tune.yaml: t-1: 'close it?'" in text
    assert "no keep-open -> yes other" in text


def test_an_annotated_question_off_its_passage_or_verdict_is_listed():
    after = {
        "en:keep-open:0": Got("keep-open", "yes"),  # its own passage, the wrong verdict
        # Another side of its point, or asked back: right for a conditional passage.
        "en:appeal-in:0": Got("appeal-late", "depends"),
        "eval:t-1": Got("keep-open", "no"),
    }
    report = compare(PROBES, after, None, INDEX)
    assert not report.compared
    assert [(p.key, got) for p, got in report.failing] == [
        ("en:keep-open:0", Got("keep-open", "yes"))
    ]
    assert "corpus/a.md:14: 'Should I close it?'" in render(report)
    assert "wants no keep-open, gets yes keep-open" in render(report)


def test_answers_are_stored_with_the_index_and_read_back(tmp_path):
    answers = {"en:keep-open:0": Got("keep-open", "no"), "eval:t-9": Got(None, "not_covered")}
    write_snapshot(tmp_path, answers)
    assert read_snapshot(tmp_path) == answers
    (tmp_path / "answers.json").write_text("{broken", encoding="utf-8")
    assert read_snapshot(tmp_path) is None  # a broken file: nothing to compare with
    assert isinstance(compare(PROBES[:1], answers, None, INDEX), Report)


def test_a_build_without_the_report_carries_the_last_answers_over(tmp_path):
    old, new, newer = tmp_path / "old", tmp_path / "new", tmp_path / "newer"
    for folder in (old, new, newer):
        folder.mkdir()
    answers = {"en:keep-open:0": Got("keep-open", "no")}
    write_snapshot(old, answers)
    carry_snapshot(old, new)
    assert read_snapshot(new) == answers
    carry_snapshot(tmp_path / "never-built", newer)  # nothing stored: nothing carried
    assert read_snapshot(newer) is None


def test_held_out_changes_are_counted_but_never_shown():
    secret = Probe(
        "eval:h-1",
        "a held-out question",
        "eval/heldout.yaml: h-1",
        ("keep-open",),
        "no",
        False,
        held_out=True,
    )
    before = {"eval:h-1": Got("other", "yes")}
    after = {"eval:h-1": Got("keep-open", "no")}
    text = render(compare([secret], after, before, INDEX))
    assert "1 of them on held-out questions (1 now right, 0 now wrong)" in text
    assert "a held-out question" not in text
