"""Answers for people: terminal text for the CLI, an escaped HTML fragment for the web UI.

Every word around the guide's quotes comes from the answer's language (its ``language.md``
labels, ``app.reading.labels``): the renderers hold none of their own.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping

from app.answer.records import Answer, Quote
from app.reading.text import split_sentences

# An answer's words around the quotes, by key: its language's labels.
Labels = Mapping[str, str]

_COLORS = {"yes": "32", "no": "31", "depends": "33", "info": "34", "not_covered": "90"}


def render_text(answer: Answer, labels: Labels, *, color: bool = False, width: int = 88) -> str:
    """The answer for a terminal. A clarifying question comes right after the headline, each
    option with the verdict it leads to: a terminal cannot take a click, so the buyer reads
    every side's answer at once instead of asking again."""

    words = labels

    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    def label(verdict: str) -> str:
        return words[verdict].upper()

    band = words[answer.confidence.band]
    badge = stated(answer) or label(answer.verdict)
    lines = [
        f"{paint(badge, '1;' + _COLORS[answer.verdict])}  {answer.headline}",
        f"{words['confidence'].lower()}: {band} ({answer.confidence.score:.2f})",
    ]
    if answer.clarify is not None:
        lines += ["", answer.clarify.question]
        for n, option in enumerate(answer.clarify.options, 1):
            badge = paint(label(option.verdict), _COLORS[option.verdict])
            lines += textwrap.wrap(
                f"{n}. {option.label}: {badge}  {option.headline}",
                width,
                initial_indent="  ",
                subsequent_indent="     ",
            )
    for n, quote in enumerate(answer.quotes, 1):
        lines += ["", f"[{n}] {quote.section}  ({quote.id})"]
        marked = quote.text.replace(
            quote.highlight,
            paint(quote.highlight, "1;4") if color else f"»{quote.highlight}«",
            1,
        )
        lines += textwrap.wrap(marked, width, initial_indent="    ", subsequent_indent="    ")
        for note in quote.notes:
            lines.append(f"    {words['note']}: {note.term} = {note.means}")
        why = quote.why
        kind = why.matched if f"matched-{why.matched}" in words else "text"
        lines.append(
            f"    {words[f'matched-{kind}']}: {why.matched_text[:100]!r} "
            f"(dense #{why.dense_rank}, lexical #{why.lexical_rank}, score {quote.score:.2f})"
        )
    if answer.related:
        lines += ["", words["related"]] + [f"  - {q}" for q in answer.related]
    return "\n".join(lines)


def stated(answer: Answer) -> str:
    """What the badge says instead of a verdict: the claim, when the question's direction
    could not be read and no yes or no was given (``app.answer.verdict.unsure_direction``)."""
    return answer.claim.says if answer.verdict == "info" and answer.claim is not None else ""


def render_html(answer: Answer, labels: Labels) -> str:
    """The answer as an HTML fragment for the web page; every piece of text is escaped.

    The page already shows the guide's scope and example questions at the top, so a refusal
    is one short line that points there, not the scope paragraph again. The clarifying
    question comes last, right above the page's option buttons, so it is read (and heard by
    a screen reader) next to the choices that answer it.
    """
    e = html.escape
    words = labels
    headline = answer.headline
    if answer.verdict == "not_covered" and headline:
        headline = split_sentences(headline)[0]  # the refusal, without the scope after it
    parts = [
        f'<div class="kbqa-answer" data-verdict="{e(answer.verdict)}">',
        '<div class="kbqa-head">',
        f'<span class="kbqa-badge kbqa-{e(answer.verdict)}" role="status">'
        f"{e(stated(answer) or words[answer.verdict])}</span>",
        f'<p class="kbqa-headline">{e(headline)}</p>',
        "</div>",
    ]
    if answer.verdict == "not_covered":
        parts.append(f'<p class="kbqa-refusal">{e(words["refusal"])}</p>')
    else:
        band = words[answer.confidence.band]
        parts.append(
            f'<p class="kbqa-confidence">{e(words["confidence"])}: '
            f"<b>{e(band)}</b> ({answer.confidence.score:.2f})</p>"
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
            intro = e(words["notes"])
            parts.append(f'<p class="kbqa-notes">{intro} {notes}</p>')
        parts.append("</section>")
    if answer.quotes:
        rows = "".join(f"<li>{why_text(q, n, words)}</li>" for n, q in enumerate(answer.quotes))
        summary = e(words["why"])
        parts.append(
            f'<details class="kbqa-why"><summary>{summary}</summary><ul>{rows}</ul></details>'
        )
    if answer.clarify is not None:
        parts.append(f'<p class="kbqa-clarify">{e(answer.clarify.question)}</p>')
    parts.append("</div>")
    return "".join(parts)


def why_text(quote: Quote, n: int, labels: Labels) -> str:
    """Why the ``n``th passage was quoted, in a buyer's terms (escaped HTML). Ranks and
    scores mean nothing to a buyer: they stay in the JSON (``quotes[].why``) for whoever
    tunes kbqa. Passages are named by their place, as sections repeat and run long."""
    e = html.escape
    why = quote.why
    text = why.matched_text if len(why.matched_text) <= 160 else why.matched_text[:159] + "…"
    ordinal = labels[f"passage-{n + 1}"] if n < 3 else labels["passage-n"].format(n=n + 1)
    kind = why.matched if f"why-{why.matched}" in labels else "text"
    template = html.escape(labels[f"why-{kind}"], quote=False)
    return f"<b>{e(ordinal)}</b>: " + template.replace("{text}", e(text))
