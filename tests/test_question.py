"""Reading questions: form, polarity, timing; cases in tests/cases/analysis.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.question import analyze

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "analysis.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["q"][:60] for c in CASES])
def test_analysis(case):
    reading = analyze(case["q"])
    assert reading.form == case["form"]
    if "polarity" in case:
        assert reading.polarity == case["polarity"]
    assert reading.arrived == case.get("arrived")
    assert reading.asks_amount == case.get("asks_amount", False)
    assert reading.choice == case.get("choice", False)


def test_analysis_is_deterministic():
    question = "Is it safe to cancel the dispute if the seller promises PayPal?"
    assert analyze(question) == analyze(question)
