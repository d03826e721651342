"""What a buyer typed, without what they did not mean to type.

Pasted questions bring invisible baggage: HTML from a web page or a rich-text editor,
colour codes from a terminal, zero-width and bidirectional control characters from chat
apps (or from someone hiding words from a reviewer). None of it is part of the question,
so ``readable`` drops it before kbqa reads a word, and the same question gets the same
answer however it was wrapped:

- zero-width, bidirectional and other invisible format characters are removed (not made
  spaces: ``can\\u200bcel`` reads ``cancel``), except the joiners inside emoji sequences;
- terminal escape sequences (CSI, OSC and the other ESC sequences, 7- and 8-bit) go;
- well-formed HTML/XML tags, comments, declarations and processing instructions go; block
  tags (``<br>``, ``<p>``, ``<div>``…) leave a space so words on two lines stay two words. A
  ``<`` or ``>`` that opens no tag is text (``<5 days``, ``a > b``);
- well-formed character references (``&amp;``, ``&nbsp;``, ``&#39;``) are decoded; a bare
  ``&`` is text (``fish&chips`` stays);
- compatibility forms (full-width letters, ligatures, 𝐛𝐨𝐥𝐝 letters) are read as plain ones
  (NFKC), but symbols (emoji, ™) and spacing accents (``don´t``) are left as typed;
- other control characters become spaces, and whitespace collapses.

The steps repeat until nothing changes (a decoded ``&lt;b&gt;`` is a tag again), so the
result reads the same when cleaned again: what the UI cleans and the engine cleans once
more agree. Every step is linear in the length of the text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Invisible format characters: zero-width (space, non-joiner, joiner handled below, word
# joiner, BOM), bidirectional controls (marks, embeddings, overrides, isolates, the Arabic
# letter mark), the soft hyphen, the Mongolian vowel separator, invisible maths operators
# and the deprecated format characters.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]+"
)
ZWJ = "\u200d"
# Tag characters spell emoji subdivision flags after a black flag; elsewhere they are
# invisible text.
_TAG_CHARS = "\U000e0000-\U000e007f"
_TAGS_OR_JOINERS = re.compile(
    f"(?P<flag>\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f)|[{_TAG_CHARS}]+|{ZWJ}+"
)
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_VS16 = "\ufe0f"

# ECMA-48: CSI parameters, intermediates, final byte; OSC/DCS/SOS/PM/APC strings end at
# BEL or ST; other ESC sequences are intermediates and one final byte.
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-OQ-WYZ\\`-~]"
)

# A well-formed tag: a name right after ``<`` (or ``</``), attributes, ``>`` or ``/>``.
# No part may contain ``<``, so a failed match stops at the next ``<`` (linear time).
_ATTRIBUTE = r"""[^\s"'<>/=]+(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s"'<>`]+))?"""
_MARKUP = re.compile(
    rf"</?(?P<name>[A-Za-z][A-Za-z0-9:_.-]*)(?:\s+{_ATTRIBUTE})*\s*/?>"
    r"|<![A-Za-z][^<>]*>"  # <!DOCTYPE html>
    r"|<\?[A-Za-z][^<>]*\?>"  # <?xml version="1.0"?>
)
_COMMENT_OPEN, _COMMENT_CLOSE = "<!--", "-->"
# Tags that break a line in a browser: they stand for a space, the others for nothing.
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption dd details dialog div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol option
    p pre section summary table tbody td textarea tfoot th thead title tr ul""".split()
)

_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")

# Emoji whose compatibility forms are not emoji: ‼ ⁉ ℹ (the others are symbols, So).
_KEEP_AS_TYPED = frozenset("\u203c\u2049\u2139")
_SPACE_CLASSES = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))
MAX_ROUNDS = 8


def readable(text: str) -> str:
    """``text`` as kbqa reads it: see the module's docstring."""
    for _ in range(MAX_ROUNDS):
        cleaned = _round(text)
        if cleaned == text:
            break
        text = cleaned
    return text


def _round(text: str) -> str:
    # Invisible characters first (one may sit inside an escape sequence or a tag), then
    # escape sequences (an ESC would otherwise become a space), then markup, then entities
    # (a decoded &lt; never opens a tag in the same round).
    text = _INVISIBLE.sub("", text)
    text = _ANSI.sub("", text)
    text = _MARKUP.sub(_tag_space, _drop_comments(text))
    text = _ENTITY.sub(lambda m: _INVISIBLE.sub("", html.unescape(m.group())), text)
    text = _TAGS_OR_JOINERS.sub(_emoji_joins, text)
    text = _compatible(text)
    if not text.isascii() or not text.isprintable():
        text = "".join(" " if _space(c) else c for c in text)
    return " ".join(text.split())


def _space(char: str) -> bool:
    """Whether a character stands for a space: controls, separators, format characters
    other than the emoji joiners and flag tags that ``_emoji_joins`` kept."""
    if char == ZWJ or "\U000e0020" <= char <= "\U000e007f":
        return False
    return unicodedata.category(char) in _SPACE_CLASSES


def _drop_comments(text: str) -> str:
    """Text without ``<!-- … -->`` comments; an unclosed one is left as text."""
    parts, pos = [], 0
    while (start := text.find(_COMMENT_OPEN, pos)) >= 0:
        end = text.find(_COMMENT_CLOSE, start + len(_COMMENT_OPEN))
        if end < 0:
            break
        parts.append(text[pos:start])
        pos = end + len(_COMMENT_CLOSE)
    return "".join(parts) + text[pos:] if parts else text


def _tag_space(match: re.Match) -> str:
    name = match["name"]
    return " " if name and name.lower() in _BLOCK_TAGS else ""


def _emoji_joins(match: re.Match) -> str:
    """Keep subdivision flags and a single joiner between two emoji; drop the rest."""
    if match["flag"]:
        return match["flag"]
    found = match.group()
    if found != ZWJ:
        return ""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return ZWJ if _emoji_end(before) and _is_symbol(after) else ""


def _emoji_end(char: str) -> bool:
    return bool(char) and (
        _is_symbol(char) or char == _VS16 or ord(char) in _SKIN_TONES or char == "\U000e007f"
    )


def _is_symbol(char: str) -> bool:
    return bool(char) and unicodedata.category(char) == "So"


def _compatible(text: str) -> str:
    """NFKC for letters, digits and punctuation; symbols and spacing accents as typed."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFC", "".join(_compatible_char(c) for c in text))


@lru_cache(maxsize=4096)
def _compatible_char(char: str) -> str:
    if char in _KEEP_AS_TYPED or unicodedata.category(char) in ("So", "Sk"):
        return char
    plain = unicodedata.normalize("NFKC", char)
    # ´ ¨ ‾ are a space and a combining mark in NFKC: that would split the word they are in.
    if len(plain) > 1 and plain[0] == " ":
        return char
    return plain
