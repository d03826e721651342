"""`kbqa serve` for real: the /ask API through gradio_client, and concurrent users."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ANSWER_KEYS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(live_server):
    from gradio_client import Client

    return Client(live_server.url, verbose=False)


def test_known_question_gets_a_structured_answer(client):
    answer = client.predict(
        "The seller wants me to confirm receipt but my parcel hasn't arrived. Should I?",
        api_name="/ask",
    )
    assert list(answer) == ANSWER_KEYS
    assert answer["verdict"] in ("no", "depends")
    assert answer["quotes"][0]["id"] in (
        "sign-confirm-before-arrival",
        "early-confirm-request-is-fraud",
        "confirm-only-if-arrived",
    )
    assert answer["quotes"][0]["highlight"] in answer["quotes"][0]["text"]


def test_unrelated_question_is_not_covered(client):
    answer = client.predict("What's the weather in Moscow tomorrow?", api_name="/ask")
    assert answer["verdict"] == "not_covered"
    assert answer["quotes"] == []


def test_empty_question_gets_a_friendly_error(client):
    answer = client.predict("   ", api_name="/ask")
    assert answer["error"].startswith("the question is empty")


def test_concurrent_users_all_get_answers(live_server):
    """A smoke version of scripts/load.py: 5 users x 3 questions, zero errors."""
    from gradio_client import Client

    questions = [
        "How do I cancel a dispute?",
        "Should I close the dispute if the seller offers a PayPal refund?",
        "How long do I have to appeal?",
    ]

    def user(_: int) -> list[str]:
        own = Client(live_server.url, verbose=False)
        return [own.predict(q, api_name="/ask")["verdict"] for q in questions]

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(user, range(5)))
    assert len(results) == 5
    assert all(len(verdicts) == 3 for verdicts in results)
    assert {v for verdicts in results for v in verdicts} <= {"yes", "no", "depends", "info"}
