"""The web UI: one Gradio Blocks page over ``Engine.ask``, and the ``/ask`` API endpoint.

The handlers are thin: ``respond`` and ``choose`` (plain functions, tested without a server)
turn a question, or a click on a clarifying option, into what the page shows; ``build_app``
only wires them to components. Nothing is loaded or launched at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from app.answer.compose import MAX_RELATED
from app.answer.engine import MAX_QUESTION_CHARS, Engine, clean_question, is_cut
from app.answer.records import Answer
from app.errors import InputError, KbqaError
from app.reading.conditions import MAX_OPTIONS  # buttons for a clarifying question's options
from app.serve.feedback import FeedbackLog
from app.serve.querylog import QuestionLog
from app.serve.render import Labels, render_html

TITLE = "kbqa · AliExpress disputes"
# Words of the page that go with an answer; a Russian answer brings its own by the same keys
# (the labels of corpus/ru/language.md).
PAGE_WORDS = {
    "related": "You might also ask:",
    "comment": "Comment (optional)",
    "helpful": "Helpful",
    "unhelpful": "Not helpful",
}
PROMPT = "Type a question about your AliExpress dispute, or pick an example above."

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


@dataclass(frozen=True)
class Reply:
    """What the page shows for one question."""

    html: str
    notice: str  # a line above the answer, only for what the answer itself can't say
    related: tuple[str, ...]
    answer: dict[str, Any] | None  # the JSON contract, what feedback records
    options: tuple[str, ...] = ()  # a clarifying question's option labels, one button each
    result: Answer | None = None  # the answer itself, kept so an option can be chosen
    # The page's own words around this answer, in its language (see ``PAGE_WORDS``).
    words: dict[str, str] = field(default_factory=lambda: dict(PAGE_WORDS))
    log_id: str | None = None  # the answer's line in the question log (None: not logged)
    corpus_hash: str = ""  # the corpus of the index that answered


@dataclass(frozen=True)
class Shown:
    """What the page keeps of the answer it shows (its ``gr.State``): the Answer, to choose
    an option from, and what a vote on it records. ``voted`` after the one vote it gets."""

    answer: Answer
    log_id: str | None = None
    corpus_hash: str = ""
    voted: bool = False


def respond(engine: Engine, question: Any, questions: QuestionLog | None = None) -> Reply:
    """Answer a question for the page; bad input gets a friendly prompt, never an error.

    A prompt or an error is said once, in the answer area; ``notice`` stays empty for them.
    With a question log, the answer is logged and the reply carries its log id.
    """
    text = question if isinstance(question, str) else ""
    try:
        cleaned = clean_question(text)
    except InputError:
        return Reply(_message(PROMPT), "", (), None)
    notice = ""
    if is_cut(text):
        notice = (
            f"Your question was long: only its first {MAX_QUESTION_CHARS:,} characters were read."
        )
    try:
        if questions is None:
            answer: Answer = engine.ask(cleaned)
        else:
            answer, ranking = engine.ask_with_hits(cleaned)
    except KbqaError as err:
        log.error("could not answer: %s", err)
        message = "Sorry, kbqa cannot answer right now. Please try again in a moment."
        return Reply(_message(message), "", (), None)
    corpus_hash = corpus_hash_of(engine)
    log_id = None if questions is None else questions.record(answer, ranking, corpus_hash)
    reply = _reply(answer, notice, engine.labels(answer.language))
    return replace(reply, log_id=log_id, corpus_hash=corpus_hash)


def corpus_hash_of(engine: Engine) -> str:
    """The corpus hash of the index the engine answers from ("" when it cannot tell)."""
    load = getattr(engine, "load", None)  # the test stubs have none
    if load is None:
        return ""
    try:
        return str(load().index.manifest["corpus"]["hash"])
    except (KbqaError, KeyError, TypeError, AttributeError):
        return ""


def choose(answer: Answer | None, option: int, labels: Labels | None = None) -> Reply:
    """The reply once the buyer clicks a clarifying option: the answer for that side, with
    no retyping and no second retrieval (``Answer.choose``)."""
    if answer is None:
        return Reply(_message(PROMPT), "", (), None)
    try:
        return _reply(answer.choose(option), labels=labels)
    except IndexError:
        return _reply(answer, labels=labels)  # a stale click after the options went


def _reply(answer: Answer, notice: str = "", labels: Labels | None = None) -> Reply:
    """A refusal's related questions are the scope's examples, already at the top of the
    page: they are not offered again."""
    related = () if answer.verdict == "not_covered" else answer.related[:MAX_RELATED]
    options = ()
    if answer.clarify is not None:
        options = tuple(o.label for o in answer.clarify.options[:MAX_OPTIONS])
    html = render_html(answer, labels)
    words = {key: (labels or {}).get(key, default) for key, default in PAGE_WORDS.items()}
    return Reply(html, notice, related, answer.to_dict(), options, answer, words)


def api_ask(engine: Engine, question: Any, questions: QuestionLog | None = None) -> dict[str, Any]:
    """The ``/ask`` endpoint: the answer's JSON contract, or ``{"question", "error"}``.
    With a question log, the answer is logged (the contract stays as it is)."""
    text = question if isinstance(question, str) else ""
    try:
        if questions is None:
            return engine.ask(text).to_dict()
        answer, ranking = engine.ask_with_hits(text)
    except InputError as err:
        return {"question": text, "error": str(err)}
    except KbqaError as err:
        log.error("could not answer: %s", err)
        return {"question": text, "error": "kbqa cannot answer right now; try again in a moment"}
    questions.record(answer, ranking, corpus_hash_of(engine))
    return answer.to_dict()


def _message(text: str) -> str:
    import html

    return f'<div class="kbqa-answer kbqa-empty"><p>{html.escape(text)}</p></div>'


def build_app(
    engine: Engine,
    feedback: FeedbackLog,
    examples: tuple[str, ...],
    scope: str,
    questions: QuestionLog | None = None,
):
    """The Blocks page. Imports Gradio here, so importing this module stays cheap.

    With a question log, every answer (page or ``/ask``) is logged; a vote records the log
    id of the answer shown. One vote per answer: both buttons are disabled after it, until
    the next question's answer (a clarifying option keeps the question, and its vote).
    """
    import gradio as gr

    def labelled(texts: tuple[str, ...], count: int) -> list:
        return [
            gr.update(value=texts[n], visible=True) if n < len(texts) else gr.update(visible=False)
            for n in range(count)
        ]

    def update(reply: Reply, before: Shown | None = None):
        """The page for a reply: a new question's answer, or (``before``: what was shown)
        the side of a clarifying option, which keeps the question's log id and vote."""
        words = reply.words
        voted = before is not None and before.voted
        shown = None
        if reply.result is not None:
            if before is None:
                shown = Shown(reply.result, reply.log_id, reply.corpus_hash)
            else:
                shown = replace(before, answer=reply.result)
        # A new answer gets an empty comment box; an option click leaves what was typed.
        comment = {"value": ""} if before is None else {}
        return (
            reply.html,
            gr.update(value=reply.notice, visible=bool(reply.notice)),
            shown,
            gr.update(visible=reply.answer is not None),
            gr.update() if voted else "",  # the thanks for the question's vote stays
            gr.update(value=words["related"], visible=bool(reply.related)),
            *labelled(reply.related, MAX_RELATED),
            gr.update(label=words["comment"], interactive=not voted, **comment),
            gr.update(value=words["helpful"], interactive=not voted),
            gr.update(value=words["unhelpful"], interactive=not voted),
            gr.update(visible=bool(reply.options)),
            *labelled(reply.options, MAX_OPTIONS),
        )

    def show(question: str):
        return update(respond(engine, question, questions))

    def ask_this(text: str):
        return (text, *show(text))

    def pick(option: int):
        def handler(shown: Shown | None):
            if shown is None:
                return update(choose(None, option))
            labels = engine.labels(shown.answer.language)
            return update(choose(shown.answer, option, labels), shown)

        return handler

    def vote(helpful: bool):
        """Outputs: the thanks, the comment box, the state, the two buttons."""
        off = gr.update(interactive=False)

        def handler(shown: Shown | None, comment: str):
            if shown is None:
                message = "Ask a question first, then tell us if the answer helped."
                return message, gr.update(), None, gr.update(), gr.update()
            if shown.voted:  # a second click that raced the disabling: one vote per answer
                return gr.update(), off, shown, off, off
            saved = feedback.record(
                shown.answer,
                helpful,
                comment,
                log_id=shown.log_id,
                corpus_hash=shown.corpus_hash,
            )
            words = engine.labels(shown.answer.language)
            thanks = (
                words.get("thanks", "Thanks for the feedback!")
                if saved
                else words.get("thanks-unsaved", "Thanks! (It could not be saved.)")
            )
            # The comment stays in its box, read-only: it went with the vote.
            return thanks, off, replace(shown, voted=True), off, off

        return handler

    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        with gr.Column(elem_classes="kbqa-wrap"):
            gr.Markdown(f"# kbqa — AliExpress disputes\n{scope}")
            with gr.Row(equal_height=True, elem_id="kbqa-ask-row"):
                question = gr.Textbox(
                    label="Your question",
                    placeholder="e.g. The seller offers a PayPal refund "
                    "if I close the dispute. Should I?",
                    lines=1,
                    scale=5,
                    autofocus=True,
                    elem_id="kbqa-question",
                )
                ask = gr.Button("Ask", variant="primary", scale=0, min_width=64, elem_id="kbqa-ask")
            gr.Markdown("Try an example:", elem_classes="kbqa-label")
            with gr.Row(elem_classes="kbqa-chips"):
                example_buttons = [
                    gr.Button(text, size="sm", elem_classes="kbqa-example") for text in examples
                ]
            status = gr.Markdown(visible=False, elem_id="kbqa-status")
            answer_html = gr.HTML(_message(PROMPT), elem_id="kbqa-answer")
            state = gr.State(None)  # the Shown answer: its options, log id and vote
            with gr.Row(visible=False, elem_classes="kbqa-options") as options_row:
                options = [
                    gr.Button(visible=False, elem_classes="kbqa-option") for _ in range(MAX_OPTIONS)
                ]
            related_label = gr.Markdown(
                PAGE_WORDS["related"], visible=False, elem_classes="kbqa-label"
            )
            with gr.Row(elem_classes="kbqa-chips"):
                related = [
                    gr.Button(visible=False, size="sm", elem_classes="kbqa-related")
                    for _ in range(MAX_RELATED)
                ]
            with gr.Group(visible=False) as feedback_box:
                comment = gr.Textbox(label=PAGE_WORDS["comment"], lines=1, elem_id="kbqa-comment")
                with gr.Row():
                    helpful = gr.Button(PAGE_WORDS["helpful"], size="sm", elem_id="kbqa-helpful")
                    unhelpful = gr.Button(
                        PAGE_WORDS["unhelpful"], size="sm", elem_id="kbqa-unhelpful"
                    )
            thanks = gr.Markdown(elem_id="kbqa-thanks")

        outputs = [answer_html, status, state, feedback_box, thanks, related_label, *related]
        outputs += [comment, helpful, unhelpful, options_row, *options]
        # "hidden", not "minimal": Gradio's status tracker otherwise announces the finished
        # event to screen readers as the untranslated key "common.complete".
        private = {"api_visibility": "private", "show_progress": "hidden"}
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
            return api_ask(engine, question, questions)

        gr.api(
            ask_api,
            api_name="ask",
            api_description="Answer a buyer's question: verdict, headline, quotes.",
        )
    return app


def mount_page(
    api,
    engine: Engine,
    feedback: FeedbackLog,
    questions: QuestionLog | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
):
    """Mount the page's Blocks at ``/`` of the FastAPI app ``api``; returns the Blocks.
    Imports gradio (seconds): ``app.serve.server`` does it after the API already answers."""
    import gradio as gr

    scope = engine.load().index.scope
    blocks = build_app(engine, feedback, scope.examples, scope.text, questions)
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


def server_app(
    engine: Engine,
    feedback: FeedbackLog,
    questions: QuestionLog | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
):
    """The server's FastAPI app, and the page's Blocks: the REST API (``app.serve.api``) with the
    page mounted at ``/``, ready before it serves. Loads the index (KbqaError when it
    cannot)."""
    from app.serve.api import create_api

    api = create_api(engine, questions)
    return api, mount_page(api, engine, feedback, questions, host=host, port=port)
