"""The web UI: one Gradio Blocks page over the one path (``app.serve.ask``), and Gradio's
``/ask`` endpoint.

The handlers are thin: ``app.serve.replies`` turns a question, or a click on a clarifying
option, into what the page shows; ``build_app`` only wires it to components, with the
guide's words (its scope wording) and the language's (its labels). Nothing is loaded or
launched at import time.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from app.answer.quotes import MAX_RELATED
from app.reading.conditions import MAX_OPTIONS  # buttons for a clarifying question's options
from app.serve.ask import Asker
from app.serve.feedback import FeedbackLog
from app.serve.replies import Reply, Shown, choose, message, respond

log = logging.getLogger("kbqa.ui")

CSS = """
.kbqa-wrap { max-width: 860px; margin: 0 auto; }
.kbqa-answer { font-size: 1rem; line-height: 1.5; }
.kbqa-head { display: flex; gap: .75rem; align-items: flex-start; flex-wrap: wrap; }
.kbqa-badge { display: inline-block; padding: .25rem .7rem; border-radius: 999px;
  font-weight: 700; color: #fff; white-space: nowrap; }
.kbqa-yes { background: #15803d; } .kbqa-no { background: #b91c1c; }
.kbqa-depends { background: #b45309; } .kbqa-info { background: #1d4ed8; }
.kbqa-not_covered { background: #4b5563; }
.kbqa-headline { margin: 0; font-weight: 600; flex: 1 1 16rem; }
.kbqa-confidence { color: #4b5563; margin: .5rem 0 0; font-size: .9rem; }
.kbqa-quote h3 { font-size: .95rem; margin: 1rem 0 .25rem; color: #374151; }
.kbqa-quote blockquote { margin: 0; padding: .5rem .9rem; border-left: 4px solid #d1d5db;
  background: rgba(127,127,127,.06); overflow-wrap: anywhere; }
.kbqa-quote mark { background: #fde68a; color: inherit; padding: 0 .1rem; }
.kbqa-notes { font-size: .85rem; color: #4b5563; margin: .25rem 0 0; }
.kbqa-why { margin-top: 1rem; font-size: .85rem; }
.kbqa-chips button { white-space: normal !important; text-align: left; }
.kbqa-label p { margin: .5rem 0 0; font-size: .85rem; color: #4b5563; }
.kbqa-refusal { margin: .5rem 0 0; color: #4b5563; }
.kbqa-clarify { margin: 1rem 0 0; font-weight: 600; }
.kbqa-options button { white-space: normal !important; }
/* The Ask button keeps its label's width, so the question box gets the rest of a phone. */
#kbqa-ask { flex: 0 0 auto !important; min-width: 5.5rem !important; }
@media (max-width: 640px) {
  #kbqa-ask-row { flex-wrap: nowrap !important; gap: .5rem; }
  #kbqa-ask-row > * { min-width: 0 !important; }
  #kbqa-ask { min-width: 4rem !important; }
}
"""


def build_app(asker: Asker, feedback: FeedbackLog):
    """The Blocks page. Imports Gradio here, so importing this module stays cheap.

    With a question log, every answer (page or ``/ask``) is logged; a vote records the log
    id of the answer shown. One vote per answer: both buttons are disabled after it, until
    the next question's answer (a clarifying option keeps the question, and its vote).
    """
    import gradio as gr

    engine = asker.engine
    main = engine.main_language
    scope, words = engine.scope(main), engine.labels(main)

    def labelled(texts: tuple[str, ...], count: int) -> list:
        return [
            gr.update(value=texts[n], visible=True) if n < len(texts) else gr.update(visible=False)
            for n in range(count)
        ]

    def update(reply: Reply, before: Shown | None = None):
        """The page for a reply: a new question's answer, or (``before``: what was shown)
        the side of a clarifying option, which keeps the question's log id and vote."""
        said = reply.words
        voted = before is not None and before.voted
        shown = None
        if reply.result is not None:
            if before is None:
                shown = Shown(reply.result, reply.log_id, reply.corpus_hash)
            else:
                shown = replace(before, answer=reply.result)
        # A new answer gets an empty comment box; an option click leaves what was typed.
        comment: dict[str, Any] = {"value": ""} if before is None else {}
        return (
            reply.html,
            gr.update(value=reply.notice, visible=bool(reply.notice)),
            shown,
            gr.update(visible=reply.answer is not None),
            gr.update() if voted else "",  # the thanks for the question's vote stays
            gr.update(value=said["related"], visible=bool(reply.related)),
            *labelled(reply.related, MAX_RELATED),
            gr.update(label=said["comment"], interactive=not voted, **comment),
            gr.update(value=said["helpful"], interactive=not voted),
            gr.update(value=said["unhelpful"], interactive=not voted),
            gr.update(visible=bool(reply.options)),
            *labelled(reply.options, MAX_OPTIONS),
        )

    def show(question: str):
        return update(respond(asker, question))

    def ask_this(text: str):
        return (text, *show(text))

    def pick(option: int):
        def handler(shown: Shown | None):
            if shown is None:
                return update(message(scope.word("prompt"), words))
            labels = engine.labels(shown.answer.language)
            return update(choose(shown.answer, option, labels), shown)

        return handler

    def vote(helpful: bool):
        """Outputs: the thanks, the comment box, the state, the two buttons."""
        off = gr.update(interactive=False)

        def handler(shown: Shown | None, comment: str):
            if shown is None:
                return words["vote-first"], gr.update(), None, gr.update(), gr.update()
            if shown.voted:  # a second click that raced the disabling: one vote per answer
                return gr.update(), off, shown, off, off
            saved = feedback.record(
                shown.answer,
                helpful,
                comment,
                log_id=shown.log_id,
                corpus_hash=shown.corpus_hash,
            )
            said = engine.labels(shown.answer.language)
            thanks = said["thanks"] if saved else said["thanks-unsaved"]
            # The comment stays in its box, read-only: it went with the vote.
            return thanks, off, replace(shown, voted=True), off, off

        return handler

    with gr.Blocks(title=scope.word("title"), analytics_enabled=False) as app:
        with gr.Column(elem_classes="kbqa-wrap"):
            gr.Markdown(f"# {scope.word('heading')}\n{scope.text}")
            with gr.Row(equal_height=True, elem_id="kbqa-ask-row"):
                question = gr.Textbox(
                    label=words["question"],
                    placeholder=scope.word("placeholder"),
                    lines=1,
                    scale=5,
                    autofocus=True,
                    elem_id="kbqa-question",
                )
                ask = gr.Button(
                    words["ask"], variant="primary", scale=0, min_width=64, elem_id="kbqa-ask"
                )
            gr.Markdown(words["examples"], elem_classes="kbqa-label")
            with gr.Row(elem_classes="kbqa-chips"):
                example_buttons = [
                    gr.Button(text, size="sm", elem_classes="kbqa-example")
                    for text in scope.examples
                ]
            status = gr.Markdown(visible=False, elem_id="kbqa-status")
            answer_html = gr.HTML(message(scope.word("prompt"), words).html, elem_id="kbqa-answer")
            state = gr.State(None)  # the Shown answer: its options, log id and vote
            with gr.Row(visible=False, elem_classes="kbqa-options") as options_row:
                options = [
                    gr.Button(visible=False, elem_classes="kbqa-option") for _ in range(MAX_OPTIONS)
                ]
            related_label = gr.Markdown(words["related"], visible=False, elem_classes="kbqa-label")
            with gr.Row(elem_classes="kbqa-chips"):
                related = [
                    gr.Button(visible=False, size="sm", elem_classes="kbqa-related")
                    for _ in range(MAX_RELATED)
                ]
            with gr.Group(visible=False) as feedback_box:
                comment = gr.Textbox(label=words["comment"], lines=1, elem_id="kbqa-comment")
                with gr.Row():
                    helpful = gr.Button(words["helpful"], size="sm", elem_id="kbqa-helpful")
                    unhelpful = gr.Button(words["unhelpful"], size="sm", elem_id="kbqa-unhelpful")
            thanks = gr.Markdown(elem_id="kbqa-thanks")

        outputs = [answer_html, status, state, feedback_box, thanks, related_label, *related]
        outputs += [comment, helpful, unhelpful, options_row, *options]
        # "hidden", not "minimal": Gradio's status tracker otherwise announces the finished
        # event to screen readers as the untranslated key "common.complete".
        private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        ask.click(show, question, outputs, **private)
        question.submit(show, question, outputs, **private)
        for button in example_buttons + related:
            button.click(ask_this, button, [question, *outputs], **private)
        for n, button in enumerate(options):
            button.click(pick(n), state, outputs, **private)
        voted = [thanks, comment, state, helpful, unhelpful]
        helpful.click(vote(True), [state, comment], voted, **private)
        unhelpful.click(vote(False), [state, comment], voted, **private)

        def ask_api(question: str) -> dict:
            return asker.ask(question).to_dict()

        gr.api(
            ask_api,
            api_name="ask",
            api_description="Answer a question: verdict, headline, quotes; or {error, status}.",
        )
    return app


def mount_page(
    api, asker: Asker, feedback: FeedbackLog, *, host: str = "127.0.0.1", port: int = 7860
):
    """Mount the page's Blocks at ``/`` of the FastAPI app ``api``; returns the Blocks.
    Imports gradio (seconds): ``app.serve.server`` does it after the API already answers."""
    import gradio as gr

    blocks = build_app(asker, feedback)
    blocks.queue(default_concurrency_limit=4, max_size=512)
    gr.mount_gradio_app(
        api,
        blocks,
        path="/",
        server_name=host,
        server_port=port,
        css=CSS,
        footer_links=["api"],
        show_error=False,
    )
    return blocks
