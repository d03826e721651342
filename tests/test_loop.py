"""The maintainer's loop end to end, on the fixture corpus with the fake embedder.

A buyer's question is refused close to a passage and voted "not helpful"; ``review`` lists
it under that passage with a line to paste; the maintainer pastes it and rebuilds; the
build's regression report shows the answers that changed, that question among them, and
the question is now answered by that passage.
"""

from __future__ import annotations

import yaml

from app.answer.engine import Engine
from app.config import Paths
from app.index.build import build_index
from app.index.calibration import Settings
from app.index.embed import FakeEmbedder
from app.index.store import load_index
from app.maintain.regress import Got, read_snapshot, regression_report
from app.maintain.review import review
from app.serve.ask import Asker
from app.serve.feedback import FeedbackLog, read_feedback
from app.serve.querylog import QuestionLog, read_log
from app.serve.replies import respond

QUESTION = "the seller still has not paid me, do i close my claim today?"


def build(paths: Paths, fake: FakeEmbedder, sets_dir, reports: list) -> None:
    def check(folder):
        reports.append(regression_report(paths, folder, fake, None, sets_dir))

    build_index(paths.corpus_dir, paths.index_dir, fake, force=True, check=check)


def test_a_voted_refusal_becomes_an_annotation_and_the_build_reports_what_changed(
    corpus_dir, tmp_path, fake
):
    paths = Paths(corpus_dir, tmp_path / "index", tmp_path / "feedback")
    sets_dir = tmp_path / "sets"
    sets_dir.mkdir()
    items = [
        {"id": "t-1", "q": QUESTION, "verdict": "no", "passages": ["keep-open-until-paid"]},
        {
            "id": "t-2",
            "q": "How long do I have to appeal?",
            "verdict": "info",
            "passages": ["appeal-window"],
        },
    ]
    (sets_dir / "tune-loop.yaml").write_text(yaml.safe_dump(items), encoding="utf-8")
    reports: list = []
    build(paths, fake, sets_dir, reports)
    assert reports[0].compared is False  # a first build has nothing to compare with
    assert read_snapshot(paths.index_dir) is not None

    # Refused, but close: the threshold sits just above this question's best score.
    open_engine = Engine(paths, embedder=fake, settings=Settings(threshold=0.0))
    best = open_engine.ask_with_hits(QUESTION)[1][0]
    assert best.passage.id == "keep-open-until-paid"
    threshold = best.score + 0.05
    engine = Engine(paths, embedder=fake, settings=Settings(threshold=threshold))

    # 1. Answers are logged; 2. a "not helpful" vote lands with the answer's log id.
    questions = QuestionLog(paths.feedback_dir)
    reply = respond(Asker(engine, questions), QUESTION)
    assert reply.result.verdict == "not_covered"
    respond(Asker(engine, questions), "How long do I have to appeal?")
    feedback = FeedbackLog(paths.feedback_dir)
    assert feedback.record(
        reply.result, False, "it did not answer", log_id=reply.log_id, corpus_hash="x"
    )
    log = read_log(paths.feedback_dir)
    votes = read_feedback(paths.feedback_dir)
    assert [r["question"] for r in log] == [QUESTION, "How long do I have to appeal?"]
    assert votes[0]["log_id"] == log[0]["id"] == reply.log_id

    # 3. Review lists it under the passage it belongs to, with a line to paste.
    index = load_index(paths.index_dir)
    groups = review(log, votes, index, threshold=threshold)
    (group,) = [g for g in groups if any(i.question == QUESTION for i in g.items)]
    (item,) = [i for i in group.items if i.question == QUESTION]
    assert group.passage == "keep-open-until-paid"
    assert group.where.endswith("a.md:15")
    assert set(item.reasons) == {"not_helpful", "near_refusal"}
    assert item.field == "questions:"
    assert item.line == f"  - {QUESTION}"  # the passage's own verdict, "no": untagged

    # 4. Paste it under the passage's questions and rebuild.
    passage_file = corpus_dir / "a.md"
    text = passage_file.read_text(encoding="utf-8")
    anchor = "  - Can I close my claim now?\n"
    passage_file.write_text(text.replace(anchor, anchor + f"{item.line}\n"), encoding="utf-8")
    build(paths, fake, sets_dir, reports)
    report = reports[-1]

    # The report compares with the previous index and lists every answer that changed:
    # the voted question, now answered, among them; unchanged answers are not listed.
    assert report.compared
    changed = {c.probe.key: c for c in report.changes}
    # (The build asks with the index's own settings, not this test's refusal threshold.)
    assert changed["eval:t-1"].after == Got("keep-open-until-paid", "no")
    assert changed["eval:t-1"].before != changed["eval:t-1"].after
    assert "eval:t-2" not in changed
    assert all(c.before != c.after for c in report.changes)
    # 5. Asked again, the question is answered by that passage with its verdict.
    engine = Engine(paths, embedder=fake, settings=Settings(threshold=threshold))
    answer = engine.ask(QUESTION)
    assert (answer.quotes[0].id, answer.verdict) == ("keep-open-until-paid", "no")
