"""Answers as terminal text: the verdict, the headline, and each quote with its highlight."""

from __future__ import annotations

import textwrap

from app.compose import Answer

LABELS = {
    "yes": "YES",
    "no": "NO",
    "depends": "IT DEPENDS",
    "info": "INFO",
    "not_covered": "NOT COVERED",
}
_COLORS = {"yes": "32", "no": "31", "depends": "33", "info": "34", "not_covered": "90"}


def render_text(answer: Answer, *, color: bool = False, width: int = 88) -> str:
    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    lines = [
        f"{paint(LABELS[answer.verdict], '1;' + _COLORS[answer.verdict])}  {answer.headline}",
        f"confidence: {answer.confidence.band} ({answer.confidence.score:.2f})",
    ]
    for n, quote in enumerate(answer.quotes, 1):
        lines += ["", f"[{n}] {quote.section}  ({quote.id})"]
        marked = quote.text.replace(
            quote.highlight,
            paint(quote.highlight, "1;4") if color else f"»{quote.highlight}«",
            1,
        )
        lines += textwrap.wrap(marked, width, initial_indent="    ", subsequent_indent="    ")
        for note in quote.notes:
            lines.append(f"    note: {note.term} = {note.means}")
        why = quote.why
        lines.append(
            f"    matched {why.matched}: {why.matched_text[:100]!r} "
            f"(dense #{why.dense_rank}, lexical #{why.lexical_rank}, score {quote.score:.2f})"
        )
    if answer.related:
        lines += ["", "You might also ask:"] + [f"  - {q}" for q in answer.related]
    return "\n".join(lines)
