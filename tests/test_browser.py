"""The real page in headless Chromium (Debian's, never a downloaded one) via Playwright.

Set KBQA_SCREENSHOT=docs/screenshot.png to refresh the README's screenshot from this run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUESTION = "The seller says he'll refund me on PayPal if I close the dispute. Should I?"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.goto(live_server.url)
    page.wait_for_selector("#kbqa-question textarea", timeout=60_000)
    yield page
    context.close()


def answer_after(page, action) -> str:
    """Do something that asks a question; wait for the answer to change and return it."""
    before = page.locator(".kbqa-answer").first.inner_text()
    action()
    page.wait_for_function(
        "before => document.querySelector('.kbqa-answer')?.innerText !== before",
        arg=before,
        timeout=60_000,
    )
    return page.locator(".kbqa-answer").first.inner_text()


def ask(page, text: str, *, press_enter: bool = False) -> str:
    """Type a question, submit it, and return the new answer."""
    box = page.locator("#kbqa-question textarea")
    box.fill(text)
    if press_enter:
        return answer_after(page, lambda: box.press("Enter"))
    return answer_after(page, page.locator("#kbqa-ask").click)


def test_question_gets_badge_headline_and_highlighted_quote(page, tmp_path):
    ask(page, QUESTION)
    badge = page.locator(".kbqa-badge")
    assert badge.inner_text() in ("No", "It depends")
    assert "PayPal" in page.locator(".kbqa-headline").inner_text()
    assert page.locator(".kbqa-quote blockquote mark").first.is_visible()
    assert page.locator(".kbqa-quote h3").first.inner_text()
    assert "spores = dispute" in page.locator(".kbqa-notes").first.inner_text()
    page.locator(".kbqa-why summary").click()
    assert "matched" in page.locator(".kbqa-why").inner_text()
    shot = Path(os.environ.get("KBQA_SCREENSHOT") or tmp_path / "screenshot.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_enter_submits_and_examples_and_related_ask_in_one_click(page):
    text = ask(page, "How long do I have to appeal?", press_enter=True)
    assert "15 days" in text

    example = page.locator(".kbqa-example").first
    example_text = example.inner_text()
    answer_after(page, example.click)
    assert page.locator("#kbqa-question textarea").input_value() == example_text

    related = page.locator(".kbqa-related:visible").first
    related.wait_for(timeout=30_000)
    related_text = related.inner_text()
    answer_after(page, related.click)
    assert page.locator("#kbqa-question textarea").input_value() == related_text


def test_feedback_lands_in_the_file(page, live_server):
    ask(page, "How do I cancel a dispute?")
    page.locator("#kbqa-comment textarea").fill("clear steps, thanks")
    page.locator("#kbqa-helpful").click()
    page.get_by_text("Thanks for the feedback!").wait_for(timeout=30_000)
    lines = (live_server.feedback_dir / "feedback.jsonl").read_text().splitlines()
    entry = json.loads(lines[-1])
    assert entry["question"] == "How do I cancel a dispute?"
    assert entry["helpful"] is True
    assert entry["comment"] == "clear steps, thanks"
    assert entry["quotes"]


def test_html_in_a_question_is_inert(page):
    payload = '<img src=x onerror="window.__kbqa_xss=1"><script>window.__kbqa_xss=2</script>'
    ask(page, payload)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__kbqa_xss") is None
    assert page.dialogs == []
    assert page.locator(".kbqa-answer img").count() == 0
    assert page.locator("#kbqa-question textarea").input_value() == payload


def test_empty_question_gets_a_friendly_prompt(page):
    page.locator("#kbqa-question textarea").fill("   ")
    page.locator("#kbqa-ask").click()
    page.get_by_text("Type a question about your AliExpress dispute").first.wait_for(timeout=30_000)
    assert page.locator(".kbqa-badge").count() == 0


def test_phone_width_has_no_sideways_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url)
    page.wait_for_selector("#kbqa-question textarea", timeout=60_000)
    ask(page, QUESTION)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 390
