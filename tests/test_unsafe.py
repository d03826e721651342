"""No answer tells a buyer to give up their protection on a misreading (real model).

tests/cases/unsafe.yaml holds questions whose wording once fooled kbqa into "yes, confirm
it" or "yes, cancel it": tense ("will arrive"), a far negation, a hypothetical, a pending
word, a permission read as advice. Each must now be answered without endorsing the risky
action: "no", "it depends" (with the situation asked back) or "info".
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.answer.engine import Engine

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "unsafe.yaml").read_text())


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.mark.integration
@pytest.mark.parametrize("question", [c["q"] for c in CASES], ids=[c["q"][:50] for c in CASES])
def test_a_misreading_never_tells_the_buyer_to_act(engine: Engine, question: str):
    query = engine.prepare(question)
    answer = engine.ask(question)
    polarity = query.analysis.polarity
    if answer.verdict in ("yes", "no"):
        # An action kbqa cannot read may not get a yes or no at all; a read one, not the
        # answer that tells the buyer to do the risky thing.
        assert polarity is not None, answer.headline
        assert (answer.verdict == "yes") != (polarity > 0), answer.headline


@pytest.mark.integration
def test_an_option_of_days_is_no_advice_to_cancel(engine: Engine):
    # "Is it a good idea…?" asks for advice: that the guide allows cancelling within 5 days
    # is no recommendation, so the inside option says "it depends"; the outside one, no.
    answer = engine.ask("Is it a good idea to cancel a dispute?")
    assert answer.clarify is not None, answer.headline
    assert [o.verdict for o in answer.clarify.options] == ["depends", "no"]
    permission = engine.ask("can i cancel my dispute??")
    assert permission.clarify is not None, permission.headline
    assert [o.verdict for o in permission.clarify.options] == ["yes", "no"]
