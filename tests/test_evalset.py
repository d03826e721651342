"""Question sets are validated before anything is measured, with one line naming the spot.

A bad set must never measure the wrong thing quietly, nor end ``kbqa eval`` in a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.main import main
from app.errors import KbqaError
from app.maintain.evalset import Item, load_items, load_sets

SETS = Path(__file__).parent / "fixtures" / "eval"


def problem(*names: str) -> str:
    with pytest.raises(KbqaError) as caught:
        load_sets([SETS / name for name in names])
    return str(caught.value)


def test_a_valid_set_loads_into_frozen_records():
    items = load_items(SETS / "good.yaml")
    assert [item.id for item in items] == ["good-1", "good-2"]
    first, second = items
    assert first.passages == ("keep-open-until-paid",)
    assert (first.kind, first.fact, first.answerable) == ("paraphrase", None, True)
    assert (second.kind, second.answerable) == ("", False)
    with pytest.raises(ValueError, match="frozen"):
        first.verdict = "yes"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad-verdict.yaml", ["bad-verdict.yaml:5:", "item bad-verdict-2 (#2)", "field verdict"]),
        (
            "unquoted-yes.yaml",
            ["unquoted-yes.yaml:1:", "item unquoted-1", "field verdict", "'yes'"],
        ),
        (
            "unknown-field.yaml",
            ["item typo-1", "field pasages: unknown field (did you mean passages?)"],
        ),
        ("wrong-type.yaml", ["wrong-type.yaml:9:", "item wrong-type-3 (#3)", "field passages"]),
        ("no-id.yaml", ["no-id.yaml:5:", "item #2", "field id", "missing"]),
    ],
)
def test_an_invalid_item_names_file_line_item_and_field(name, expected):
    message = problem(name)
    assert "\n" not in message
    for part in expected:
        assert part in message, message


def test_every_problem_is_counted_but_only_the_first_is_spelt_out():
    # unknown-field.yaml lacks passages as well as misspelling it.
    assert problem("unknown-field.yaml").endswith("(and 1 more problem(s))")


def test_a_set_that_is_not_a_list_or_not_yaml_is_refused():
    assert "not-a-list.yaml: expected a list of questions" in problem("not-a-list.yaml")
    message = problem("broken.yaml")
    assert message.startswith("cannot read question set")
    assert "broken.yaml" in message
    assert "\n" not in message
    assert "cannot read question set" in problem("missing.yaml")


def test_ids_are_unique_within_a_set_and_across_a_run():
    assert "item rep-1: field id: duplicate id (again)" in problem("repeated.yaml")
    message = problem("good.yaml", "clash.yaml")
    assert "clash.yaml: item good-2: field id: duplicate id (also in" in message
    assert "good.yaml" in message.split("also in")[1]
    assert "good.yaml: question set given twice" in problem("good.yaml", "good.yaml")


def test_items_accept_only_the_five_verdicts():
    Item(id="x", q="q?", verdict="depends", passages=("p",))
    with pytest.raises(ValueError, match="verdict"):
        Item(id="x", q="q?", verdict="probably", passages=("p",))


def test_kbqa_eval_prints_one_line_and_fails_before_loading_the_model(tmp_path, capsys):
    code = main(["eval", "--set", str(SETS / "bad-verdict.yaml"), "--index-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0
    assert "Traceback" not in err
    assert err.startswith("kbqa: ")
    assert "item bad-verdict-2 (#2): field verdict" in err
