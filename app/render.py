"""Answers for people: terminal text for the CLI, an escaped HTML fragment for the web UI."""

from __future__ import annotations

import html
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


BADGES = {
    "yes": "Yes",
    "no": "No",
    "depends": "It depends",
    "info": "Info",
    "not_covered": "Not covered",
}


def render_html(answer: Answer) -> str:
    """The answer as an HTML fragment; every piece of text is escaped, nothing is trusted."""
    e = html.escape
    parts = [
        f'<div class="kbqa-answer" data-verdict="{e(answer.verdict)}">',
        '<div class="kbqa-head">',
        f'<span class="kbqa-badge kbqa-{e(answer.verdict)}" role="status">'
        f"{e(BADGES[answer.verdict])}</span>",
        f'<p class="kbqa-headline">{e(answer.headline)}</p>',
        "</div>",
    ]
    if answer.verdict != "not_covered":
        parts.append(
            f'<p class="kbqa-confidence">Confidence: <b>{e(answer.confidence.band)}</b> '
            f"({answer.confidence.score:.2f})</p>"
        )
    for quote in answer.quotes:
        before, found, after = quote.text.partition(quote.highlight)
        body = f"{e(before)}<mark>{e(found)}</mark>{e(after)}" if found else e(quote.text)
        parts += [
            '<section class="kbqa-quote">',
            f"<h3>{e(quote.section)}</h3>",
            f'<blockquote cite="#{e(quote.id)}">{body}</blockquote>',
        ]
        if quote.notes:
            notes = "; ".join(f"<b>{e(n.term)}</b> = {e(n.means)}" for n in quote.notes)
            parts.append(f'<p class="kbqa-notes">In the guide\'s translation: {notes}</p>')
        parts.append("</section>")
    if answer.quotes:
        rows = "".join(
            f"<li><code>{e(q.id)}</code>: matched {e(q.why.matched)} "
            f"“{e(q.why.matched_text[:160])}” — dense #{q.why.dense_rank} "
            f"({q.why.dense:.2f}), lexical #{q.why.lexical_rank} ({q.why.lexical:.2f}), "
            f"score {q.score:.2f}</li>"
            for q in answer.quotes
        )
        parts.append(
            f'<details class="kbqa-why"><summary>Why this answer</summary><ul>{rows}</ul></details>'
        )
    parts.append("</div>")
    return "".join(parts)
