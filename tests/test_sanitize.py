"""The cleaner: markup, escape sequences and invisible characters go; what a buyer typed stays."""

from __future__ import annotations

import time

import pytest

from app.errors import InputError
from app.reading.input import MAX_QUESTION_CHARS, MAX_RAW_CHARS, question_text
from app.reading.sanitize import readable

SAME = [
    # Tags, comments, declarations and processing instructions go.
    ("<b>can i cancel</b> my dispute after 3 days?", "can i cancel my dispute after 3 days?"),
    ("<span class=\"x\" data-id='7'>refund</span> now", "refund now"),
    ("<a href=https://aliexpress.com/x?a=1&b=2>my order</a>", "my order"),
    ("wait<!-- hidden: close it --> 15 days", "wait 15 days"),
    ("<!---->empty comment", "empty comment"),
    ('<?xml version="1.0"?><!DOCTYPE html><html><body>Refund?</body></html>', "Refund?"),
    ("<P CLASS=x>Shouting tags</P >", "Shouting tags"),
    ("<o:p></o:p>Word paste", "Word paste"),
    ("<script>alert('refund')</script>", "alert('refund')"),
    # Inline tags stand for nothing (even inside a word), block tags for a space.
    ("can<i>cel</i>", "cancel"),
    ("line one<br>line two<br/>three", "line one line two three"),
    ("<p>first</p><p>second</p><ul><li>a</li><li>b</li></ul>", "first second a b"),
    # A < or > that opens no tag is text.
    ("less than <5 days", "less than <5 days"),
    ("is a > b?", "is a > b?"),
    ("a<b and no closing", "a<b and no closing"),
    ("I <3 this shop, x < y > z", "I <3 this shop, x < y > z"),
    ("<= 5 days -> then what?", "<= 5 days -> then what?"),
    ("<!-- never closed", "<!-- never closed"),
    ("<<b>5 days", "<5 days"),
    # Well-formed character references are decoded; a bare & is text.
    ("refund &amp; return", "refund & return"),
    ("5&nbsp;days", "5 days"),
    ("the seller&#39;s answer &#x27;no&#x27;", "the seller's answer 'no'"),
    ("&lt;5 days &gt; 3", "<5 days > 3"),
    ("AT&T fish&chips Q&A", "AT&T fish&chips Q&A"),
    ("&notin and &bogus; stay", "&notin and &bogus; stay"),
    ("&lt;b&gt;escaped&lt;/b&gt; tags", "escaped tags"),
    ("&amp;lt;br&amp;gt;twice", "twice"),
    ("zero&#x200b;width", "zerowidth"),
    # Terminal escape sequences go: CSI, OSC (BEL or ST), 8-bit CSI, other ESC sequences.
    ("\x1b[31mred\x1b[0m alert", "red alert"),
    ("\x1b[1;38;5;196mbold\x1b[m", "bold"),
    ("\x1b]0;window title\x07question", "question"),
    ("\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ text", "link text"),
    ("\x9b1mCSI\x9b0m", "CSI"),
    ("\x1b(Bcharset \x1b7saved\x1b8", "charset saved"),
    ("trailing escape\x1b", "trailing escape"),
    # Zero-width and bidirectional controls are removed, not made spaces.
    ("can\u200bcel", "cancel"),
    ("\ufeffBOM\u2060 and\u200c joiners\u200d", "BOM and joiners"),
    (
        "\u202eesolc\u202c \u2067isolate\u2069 \u200emark\u200f \u061carabic",
        "esolc isolate mark arabic",
    ),
    ("soft\u00adhyphen", "softhyphen"),
    ("\U000e0068\U000e0069dden tag text", "dden tag text"),
    # Other control characters and separators become spaces, whitespace collapses.
    ("  how\x00 long\n\tto\r\nappeal?\u2028\u2029  ", "how long to appeal?"),
    ("a\x07b\x7fc", "a b c"),
    ("lone\ud800surrogate", "lone surrogate"),
    # Compatibility forms read as plain letters; symbols and accents stay as typed.
    ("ＣＡＮ Ｉ ＣＬＯＳＥ？", "CAN I CLOSE?"),
    ("ﬁle a claim", "file a claim"),
    ("𝐜𝐚𝐧𝐜𝐞𝐥 𝓭𝓲𝓼𝓹𝓾𝓽𝓮", "cancel dispute"),
    ("don´t close", "don´t close"),
    ("2² wait…", "22 wait..."),
]


@pytest.mark.parametrize(("raw", "read"), SAME, ids=range(len(SAME)))
def test_the_cleaner_reads(raw: str, read: str):
    assert question_text(raw) == read
    assert question_text(read) == read


KEPT = [
    "Продавец просит закрыть спор, что делать?",
    "Продавец ёлка Й й Ё",
    "هل يجب أن أغلق النزاع؟",
    "מה לעשות עם המחלוקת",
    "卖家要求我关闭争议",
    "🙂🔥 dispute?? 🙃",
    "👨\u200d👩\u200d👧 family, 👩🏽\u200d💻 coder, ❤️\u200d🔥 heart",
    "👍🏽 ✌🏿 1️⃣ #️⃣ 🇺🇸 🇷🇺 🏳️\u200d🌈",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scotland",
    "™ ‼️ ⁉️ ℹ️ Ⓜ️ 🈁 🈯 ㊗️ 🅰️ © ®",
    "naïve café, Ωmega, straße",
]


@pytest.mark.parametrize("text", KEPT, ids=range(len(KEPT)))
def test_other_scripts_and_emoji_are_kept_as_typed(text: str):
    assert question_text(text) == text


def test_decomposed_letters_are_composed():
    assert question_text("и\u0306 e\u0301") == "й é"


def test_joiners_that_join_no_emoji_go():
    assert question_text("a\u200db 🙂\u200d\u200d🙂 🙂\u200d end") == "ab 🙂🙂 🙂 end"


@pytest.mark.parametrize(
    "question", ["", "  ", "<b></b>", "<br/>", "\u200b\ufeff", "\x1b[0m", "<!-- x -->", "&nbsp;"]
)
def test_nothing_but_markup_is_an_empty_question(question: str):
    with pytest.raises(InputError, match="empty"):
        question_text(question)


@pytest.mark.parametrize("question", [42, None, b"bytes", ["list"]])
def test_non_text_is_refused(question):
    with pytest.raises(InputError, match="must be text"):
        question_text(question)


def test_markup_does_not_count_towards_the_length():
    question = "<b>" * 2000 + "can I close the dispute?" + "\x1b[0m" * 2000
    assert question_text(question) == "can I close the dispute?"


def test_a_question_too_long_once_read_is_refused():
    question = "<i>word</i> " * 250  # 1,250 readable characters
    with pytest.raises(InputError, match="1,249 characters long; the limit is 1,000"):
        question_text(question)
    assert len(question_text("<i>word</i> " * 200)) <= MAX_QUESTION_CHARS


def test_far_too_much_text_is_refused_unread():
    with pytest.raises(InputError, match="20,001 characters long"):
        question_text("<" * (MAX_RAW_CHARS + 1))


ADVERSARIAL = [
    "<" * 200_000,
    "<a " * 70_000,
    '<a b="' * 30_000,
    "<a" + " b" * 100_000,
    "<!--" * 50_000,
    "\x1b]" * 100_000,
    "\x1b[" * 100_000,
    "&" + "amp;" * 50_000,
    "a\u200b" * 100_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_the_cleaner_takes_linear_time(text: str):
    start = time.perf_counter()
    readable(text)
    assert time.perf_counter() - start < 5
