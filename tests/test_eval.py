"""Buyers' questions end to end (real model, committed index), and the metrics themselves.

Floors and ceilings stand on tuning sets (``tune*.yaml``) only, each on the sets it was
measured on, at or just under what kbqa measures today. Held-out sets are measured and
printed by ``kbqa eval`` but never asserted: a floor there would make held-out questions
something to pass, and they would stop saying anything about questions kbqa was not shaped
on. The end-to-end invariants (verbatim quotes, empty refusals) hold on every set.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from app.answer.engine import Engine
from app.answer.records import Answer, Clarify, Confidence, Option, Quote, Why
from app.answer.retrieve import Query
from app.config import Paths
from app.corpus.load import load_corpus
from app.corpus.passages import MAX_WORDS
from app.errors import KbqaError
from app.index.calibration import Settings
from app.index.store import load_index
from app.maintain.eval_report import failures, kind_report, locations, report
from app.maintain.evalset import Item
from app.maintain.evalstore import compare, read_runs, render, save_runs, snapshot, store_path
from app.maintain.evaluate import (
    NearestQuestion,
    Outcome,
    by_kind,
    columns,
    default_sets,
    load_items,
    load_sets,
    metrics,
    run,
)
from app.reading.text import normalize_ws, word_count
from tests.conftest import FIXTURES, REPO

EVAL = Path(__file__).parent / "eval"
FIXTURES_CORPUS = FIXTURES / "corpus"
SETS = default_sets(EVAL)
TUNING = [p for p in SETS if p.stem.startswith("tune")]
HELD_OUT = [p for p in SETS if p.stem.startswith("heldout")]

# (tuning sets pooled, floors, ceilings): never a held-out set here.
GUARDS = {
    "tune+tune2": (
        ("tune", "tune2"),
        {
            "hit@1": 0.85,
            "hit@3": 0.94,
            "mrr": 0.90,
            "verdict": 0.95,
            "verdict_yn": 0.90,
            "refused_oos": 0.95,
            "fact": 0.90,
        },
        {"refused_answerable": 0.03, "dangerous": 0, "risky": 0},
    ),
    "tune-cond": (
        ("tune-cond", "tune-cond2", "tune-cond3"),
        {
            "hit@1": 0.85,
            "hit@3": 0.93,
            "mrr": 0.85,
            "verdict": 0.88,
            "verdict_yn": 0.88,
            "cond_verdict": 0.88,
            "clarify": 0.70,
        },
        # Two opposites stand today: the 60-day delivery limit is not a point yet
        # (tune-cond-020), and a double negative (tune-cond2-036). Neither tells a buyer to act.
        {"refused_answerable": 0.03, "dangerous": 2, "risky": 0},
    ),
    "tune-ru": (
        ("tune-ru", "tune-ru2"),
        {
            "hit@1": 0.83,
            "hit@3": 0.96,
            "mrr": 0.88,
            "verdict": 0.86,
            "verdict_yn": 0.82,
            "refused_oos": 0.93,
            "fact": 0.80,
        },
        # Six opposites stand today: three on the 60-day delivery limit (not a point yet, as
        # in English), two retrieval misses, and a double negative ("обязательно держать
        # спор и отменить нельзя?", tune-ru2-053) answered "Да" with the guide's "you can
        # cancel it now it has arrived": right advice under the wrong label, counted risky.
        {"refused_answerable": 0.03, "dangerous": 6, "risky": 1},
    ),
}
# Composition must beat the nearest annotated question taken as is by this much on yes/no
# questions (today 0.89 against 0.68 on tune+tune2, 0.91 against 0.46 on tune-cond), or it
# is not worth its rules.
BASELINE_MARGIN = 0.15


def test_question_sets_are_well_formed():
    ids = {p.id for p in load_corpus(REPO / "corpus").passages}
    sets = load_sets(SETS)  # validates every item and that ids are unique across sets
    items = [item for rows in sets.values() for item in rows]
    assert len(items) >= 100
    held_out = sum(len(sets[p]) for p in HELD_OUT)
    assert held_out >= len(items) / 3
    for item in items:
        assert set(item.passages) <= ids, item.id
        assert bool(item.passages) == item.answerable, item.id


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list[Outcome]]:
    engine = Engine()
    return {p.stem: run(engine, load_items(p)) for p in TUNING + HELD_OUT}


def _pooled(outcomes: dict[str, list[Outcome]], stems: tuple[str, ...]) -> list[Outcome]:
    missing = [s for s in stems if s not in outcomes]
    if missing:
        pytest.skip(f"no tests/eval/{missing[0]}.yaml")
    return [o for s in stems for o in outcomes[s]]


@pytest.mark.integration
@pytest.mark.parametrize("group", list(GUARDS))
def test_tuning_metrics_stay_above_floors(outcomes, group):
    stems, floors, ceilings = GUARDS[group]
    assert not any(s.startswith("heldout") for s in stems)
    measured = metrics(_pooled(outcomes, stems))
    low = {k: round(measured[k], 3) for k, floor in floors.items() if measured[k] < floor}
    high = {k: measured[k] for k, cap in ceilings.items() if measured[k] > cap}
    assert low == {}, f"{group} below floor: {low}"
    assert high == {}, f"{group} above ceiling: {high}"


@pytest.mark.integration
@pytest.mark.parametrize("group", list(GUARDS))
def test_composition_beats_the_nearest_question_baseline_on_tuning(outcomes, group):
    measured = metrics(_pooled(outcomes, GUARDS[group][0]))
    assert measured["verdict_yn"] - measured["baseline_yn"] >= BASELINE_MARGIN, measured


@pytest.mark.integration
def test_every_quote_is_verbatim_and_short(outcomes):
    guide = " ".join(load_corpus(REPO / "corpus").source_lines)
    for outcome in (o for rows in outcomes.values() for o in rows):
        for quote in outcome.answer.quotes:
            assert normalize_ws(quote.text) in guide
            assert quote.highlight in quote.text
            assert word_count(quote.text) <= MAX_WORDS


@pytest.mark.integration
def test_refusals_quote_nothing_and_name_the_scope(outcomes):
    # A refusal's first words in each language: the main one's, then each language folder's.
    corpus = load_corpus(REPO / "corpus")
    languages = [corpus.language, *(locale.language for locale in corpus.locales)]
    refusals = {lang.code: lang.label("headline-not-covered") for lang in languages if lang}
    for outcome in (o for rows in outcomes.values() for o in rows):
        if outcome.answer.verdict == "not_covered":
            assert outcome.answer.quotes == ()
            assert outcome.answer.headline.startswith(refusals[outcome.answer.language])
            assert outcome.baseline == "not_covered"


# Metrics on hand-made outcomes.


def outcome(
    verdict: str,
    expected: str,
    *,
    baseline: str | None = None,
    kind: str = "",
    q: str = "How long does the seller have?",
    quoted: str | None = None,
    clarify: Clarify | None = None,
    polarity: int | None = None,
    passage: str = "p",
    ident: str | None = None,
) -> Outcome:
    """A hand-made outcome: ``passage`` is the one expected (and, unless ``quoted`` says
    otherwise, the one quoted); ``ident`` fixes the item's id (two runs of one question)."""
    why = Why(
        matched="question", matched_text="t", dense=0.9, lexical=0.5, dense_rank=1, lexical_rank=1
    )
    quoted = quoted or passage
    quote = Quote(id=quoted, section="s", text="t", highlight="t", score=0.9, why=why)
    answer = Answer(
        question=q,
        verdict=verdict,  # type: ignore[arg-type]
        headline="h",
        claim=None,
        quotes=() if verdict == "not_covered" else (quote,),
        confidence=Confidence(band="high", score=0.9),
        related=(),
        clarify=clarify,
        language="en",
    )
    passages = () if expected == "not_covered" else (passage,)
    item = Item(id=ident or f"i{next(IDS)}", q=q, verdict=expected, passages=passages, kind=kind)
    return Outcome(item, answer, 1 if passages else None, baseline, polarity)


IDS = itertools.count(1)
ASK = Clarify(
    question="How many days ago?",
    options=(Option(label="15 or fewer", verdict="yes", headline="h", claim=None, quotes=("p",)),),
)


def test_the_baseline_is_counted_beside_the_composed_verdict():
    rows = [
        outcome("yes", "yes", baseline="no"),
        outcome("no", "no", baseline="no"),
        outcome("info", "info", baseline="yes"),
        outcome("depends", "no", baseline="no"),
    ]
    m = metrics(rows)
    assert (m["verdict"], m["baseline"]) == (0.75, 0.5)
    assert (m["verdict_yn"], m["baseline_yn"]) == (2 / 3, 2 / 3)


def test_an_unmeasured_baseline_and_empty_shares_are_not_applicable():
    m = metrics([outcome("yes", "yes")])
    for key in ("baseline", "baseline_yn", "baseline_dangerous", "cond_verdict", "clarify"):
        assert math.isnan(m[key]), key
    table = report({"set": m})
    assert "n/a" in table
    assert "nan" not in table


def test_every_yes_no_opposite_counts_and_risky_ones_are_counted_apart():
    close = {"q": "Should I close the dispute?", "polarity": 1}  # as the engine reads it
    keep = {"q": "Should I keep the dispute open?", "polarity": -1}
    rows = [
        outcome("yes", "no", baseline="yes", **close),  # tells the buyer to close: risky
        outcome("no", "yes", baseline="no", **keep),  # risky too
        outcome("no", "yes", baseline="yes"),  # opposite, but no action: harmful, not risky
        outcome("depends", "no", baseline="yes", **close),  # cautious: not an opposite
        outcome("info", "yes", baseline="no"),
    ]
    m = metrics(rows)
    assert (m["dangerous"], m["risky"]) == (3, 2)
    assert (m["baseline_dangerous"], m["baseline_risky"]) == (4, 3)
    assert "yes↔no opposites (harmful)" in report({"set": m})


def test_conditions_count_clarifying_questions_and_conditional_verdicts():
    rows = [
        outcome("depends", "depends", kind="cond-missing", clarify=ASK),
        outcome("depends", "depends", kind="cond-missing"),  # no question asked: not counted
        outcome("yes", "depends", kind="cond-missing"),
        outcome("yes", "yes", kind="cond-stated"),
        outcome("no", "yes", kind="cond-flipped"),
        outcome("yes", "yes", kind="should-i"),  # not a cond- kind
    ]
    m = metrics(rows)
    assert m["clarify"] == pytest.approx(1 / 3)
    assert m["cond_verdict"] == pytest.approx(3 / 5)


def test_per_kind_counts_verdicts_baseline_and_hits():
    rows = [
        outcome("yes", "yes", baseline="no", kind="flipped"),
        outcome("no", "no", baseline="no", kind="flipped", quoted="other"),
        outcome("not_covered", "not_covered", baseline="not_covered", kind="unrelated"),
    ]
    table = by_kind(rows)
    assert table["flipped"] == {"n": 2, "verdict": 1.0, "baseline": 0.5, "hit@1": 0.5}
    assert table["unrelated"]["n"] == 1
    assert math.isnan(table["unrelated"]["hit@1"])
    text = kind_report({"tuning": table, "held-out": by_kind(rows[:1])})
    assert text.splitlines()[0].startswith("by kind")
    assert "unrelated" in text


def test_tuning_and_held_out_are_pooled_apart_never_together():
    rows = [outcome("yes", "yes")]
    names = columns({"tune": rows, "tune2": rows, "heldout": rows, "heldout2": rows})
    assert list(names)[-2:] == ["tuning (all)", "held-out (all)"]
    assert len(names["tuning (all)"]) == 2
    assert list(columns({"tune": rows, "heldout": rows})) == ["tune", "heldout"]


def test_failures_list_opposites_first_with_the_baseline_beside():
    rows = [
        outcome("info", "yes", baseline="yes"),
        outcome("yes", "yes", baseline="no"),  # right: not listed
        outcome("yes", "no", baseline="no", q="Should I close the dispute?"),
        outcome("depends", "depends", kind="cond-missing"),  # right verdict, but asked nothing
    ]
    (block,) = failures(rows)  # all three under passage p
    lines = block.splitlines()
    head, misses = lines[0], lines[1::2]  # each miss takes two lines
    assert head == "!! p  (3 misses, 1 yes↔no opposite)"
    assert len(misses) == 3
    assert misses[0].startswith("   !! ")
    assert "got yes" in block.splitlines()[2]
    assert "baseline no" in block.splitlines()[2]
    assert not any(row.lstrip().startswith("!!") for row in misses[1:])
    assert "baseline yes" in block.splitlines()[4]


def test_failures_group_by_passage_opposites_first_then_most_misses():
    rows = [
        outcome("info", "yes", passage="many", ident="m1"),
        outcome("depends", "no", passage="many", ident="m2"),
        outcome("info", "no", passage="many", ident="m3"),
        outcome("yes", "yes", passage="fine", ident="ok"),  # right: no group
        outcome("not_covered", "yes", passage="refused", ident="r1"),  # refusal: its passage
        outcome("info", "yes", passage="opposed", ident="o1"),
        outcome("no", "yes", passage="opposed", ident="o2"),  # the opposite
        outcome("yes", "yes", passage="wrong-first", quoted="other", ident="w1"),  # wrong quote
        outcome("yes", "not_covered", quoted="answered", ident="x1"),  # out of scope, answered
        outcome("info", "not_covered", quoted="answered", ident="x2"),
    ]
    where = {"opposed": "corpus/02-b.md:7", "many": "corpus/01-a.md:3"}
    blocks = failures(rows, where)
    heads = [block.splitlines()[0] for block in blocks]
    # Opposites first; then the most misses; equal counts by passage id.
    assert [h.split()[1 if h.startswith("!!") else 0] for h in heads] == [
        "opposed",
        "many",
        "answered",  # two out-of-scope questions it answered
        "refused",  # an answerable question refused: under its own passage
        "wrong-first",  # under the passage expected, not the one quoted
    ]
    assert heads[0] == "!! opposed  corpus/02-b.md:7  (2 misses, 1 yes↔no opposite)"
    assert heads[1] == "   many  corpus/01-a.md:3  (3 misses)"
    assert heads[2] == "   answered  (2 misses)"  # no location known: none printed
    # Within a group, opposites first.
    opposed = blocks[0].splitlines()
    assert opposed[1].startswith("   !! o2 ")
    assert opposed[3].startswith("      o1 ")
    assert sorted(ident for block in blocks for ident in _ids(block)) == sorted(
        ["m1", "m2", "m3", "r1", "o1", "o2", "w1", "x1", "x2"]
    )


def _ids(block: str) -> list[str]:
    """The ids of a group's misses (each miss takes two lines after the heading)."""
    return [line.replace("!!", "").split()[0] for line in block.splitlines()[1::2]]


def test_failure_locations_name_the_corpus_file_and_line(tmp_path, monkeypatch):
    passage = load_corpus(FIXTURES_CORPUS).passages[0]
    monkeypatch.chdir(tmp_path)
    where = locations([passage], tmp_path / "corpus")
    file, line = passage.source.split(":")
    assert where == {passage.id: f"corpus/{file}:{line}"}
    assert line.isdigit()
    elsewhere = locations([passage], Path("/somewhere/else/corpus"))
    assert elsewhere[passage.id] == f"/somewhere/else/corpus/{passage.source}"


# The stored run and --compare.


def test_compare_lists_fixed_broken_and_changed_with_metric_deltas():
    before = [
        outcome("info", "yes", ident="fixed"),
        outcome("yes", "yes", ident="broken"),
        outcome("yes", "yes", ident="moved", passage="a"),  # still right, another passage
        outcome("info", "no", ident="still-wrong"),
        outcome("yes", "yes", ident="same"),
        outcome("info", "no", ident="gone"),
    ]
    after = [
        outcome("yes", "yes", ident="fixed"),
        outcome("no", "yes", ident="broken", q="Will I get my money back?"),  # an opposite
        outcome("yes", "yes", ident="moved", passage="a"),
        outcome("depends", "no", ident="still-wrong"),
        outcome("yes", "yes", ident="same"),
        outcome("yes", "yes", ident="new"),
    ]
    stored = snapshot({"tune": before}, index="v1" * 20, at="2026-01-01T00:00:00Z")
    moved_row = stored["tune"].outcomes[2].model_copy(update={"quote": "b"})
    stored["tune"] = stored["tune"].model_copy(
        update={"outcomes": (*stored["tune"].outcomes[:2], moved_row, *stored["tune"].outcomes[3:])}
    )
    changes = compare(stored, snapshot({"tune": after}, index="v2" * 20))
    assert [c.after.id for c in changes.fixed] == ["fixed"]
    assert [c.after.id for c in changes.broken] == ["broken"]
    assert [c.after.id for c in changes.changed] == ["moved", "still-wrong"]
    assert (changes.new, changes.gone) == (1, 1)
    # Verdict right 3/6 before, 4/6 after (another question each); one opposite more.
    assert changes.metrics["tune"]["verdict"] == pytest.approx((0.5, 4 / 6))
    assert changes.metrics["tune"]["dangerous"] == (0, 1)
    text = render(changes, {o.item.id: o.item.q for o in after})
    assert "1 fixed, 1 broken, 2 changed" in text
    assert "2026-01-01T00:00:00Z (index v1v1v1v1v1v1)" in text
    assert "!! broken [tune] 'Will I get my money back?'" in text
    assert "expected yes | yes p (rank 1) -> no p (rank 1)" in text
    assert "yes b (rank 1) -> yes a (rank 1)" in text
    assert "1 question(s) new since, 1 no longer asked" in text
    deltas = text[text.index("metrics (now - stored)") :].splitlines()
    assert any(
        line.startswith("verdict right (composed)") and "+16.7 pt" in line for line in deltas
    )
    assert any(line.startswith("yes↔no opposites (harmful)") and "+1" in line for line in deltas)
    assert not any(line.startswith("right passage quoted first") for line in deltas)  # unmoved


def test_compare_without_a_stored_run_says_so():
    now = snapshot({"tune": [outcome("yes", "yes")]}, index="v")
    assert render(compare({}, now)).startswith("no stored run to compare with")
    other = snapshot({"tune2": [outcome("yes", "yes")]}, index="v")
    text = render(compare(other | {}, now | other))
    assert "no stored run of tune: not compared" in text
    assert "metrics: no change" in text


def test_runs_are_stored_atomically_beside_the_index_and_read_back(tmp_path):
    index_dir = tmp_path / "index"
    path = store_path(index_dir)
    assert path.parent == tmp_path / ".kbqa-eval"  # not in the index folder a rebuild swaps
    assert read_runs(path) == {}
    runs = snapshot({"tune": [outcome("yes", "yes"), outcome("not_covered", "no")]}, index="v")
    save_runs(path, runs)
    back = read_runs(path)
    assert back == runs
    assert back["tune"].metrics["cond_verdict"] is None  # NaN: not applicable
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    path.write_text("{not json")
    with pytest.raises(KbqaError, match="unreadable"):
        read_runs(path)


# The baseline on the fixture corpus (fake embedder).


def test_the_nearest_annotated_question_gives_its_tag_or_its_passage_verdict(index_dir):
    index = load_index(index_dir)
    nearest = NearestQuestion(index)
    for row, ref in enumerate(index.vectors):
        if ref.kind != "question":
            continue
        passage = index.passages[ref.passage]
        vector = index.dense.reconstruct(row)
        query = Query("q", "q", "q", vector, None)  # type: ignore[arg-type]
        assert nearest.verdict(query) == (passage.questions[ref.ordinal].verdict or passage.verdict)


def test_the_baseline_refuses_where_the_composed_answer_refuses(corpus_dir, index_dir, fake):
    paths = Paths(corpus_dir, index_dir, index_dir.parent)
    items = [
        Item(id="a", q="Does a dispute protect me?", verdict="yes", passages=("dispute-protects",))
    ]
    open_engine = Engine(paths, embedder=fake, settings=Settings(threshold=0.2))
    assert [o.baseline for o in run(open_engine, items)] == ["yes"]  # its `yes` tag, not info
    closed = Engine(paths, embedder=fake, settings=Settings(threshold=0.99))
    (refused,) = run(closed, items)
    assert (refused.answer.verdict, refused.baseline) == ("not_covered", "not_covered")
