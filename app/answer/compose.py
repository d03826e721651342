"""The answer: a verdict, a headline and verbatim quotes, composed without a language model.

``compose`` is a pure function of the question, its analysis and the retrieved evidence.
Every word it returns is the guide's (quotes), an annotation's (rules, questions, scope) or
one of four fixed prefixes ("Yes.", "No.", "It depends.", "The guide doesn't cover this.").

How the verdict is chosen:

1. Below the calibrated threshold, or too near an annotated out-of-scope question (its
   cosine beats the top passage's dense score by more than the calibrated margin), the
   guide does not cover the question: ``not_covered``.
2. Open questions ("how…", "what…", a choice between two actions) and keyword queries that
   name no action ("appeal deadline") get ``info``.
3. Otherwise the verdict is that of the annotated question of the top passage that the
   buyer's question is closest to (its tag, or the passage's verdict), flipped when the two
   ask with opposite polarity ("keep open" against "close").
4. Conditions (``app.answer.conditional``): when a quoted passage is one side of a conditional
   point, the side the buyer's stated days or situation satisfy gives the verdict and the
   headline ("You said 8 days; …"); when the question leaves the deciding condition out,
   the verdict is ``depends`` and the answer carries a clarifying question.
5. Asymmetric risk: an answer that tells the buyer to close, cancel, confirm or accept (or
   "no" to keeping the dispute open) must rest on an annotated question about such an
   action, at high confidence (or medium, with that question a near paraphrase), with no
   close runner-up saying the opposite; otherwise it becomes ``depends`` and the cautious
   passage is quoted too. It fails closed: a question in words no action list knows gets
   no yes or no from a passage about a risky action unless it paraphrases an annotated
   question, and a conditional "yes, do it" resting on words read from the question is
   asked back (see ``_guarded``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from app.answer.conditional import Ask, Decided, SideOf, decide
from app.answer.conditional import headline as side_headline
from app.answer.evidence import Evidence
from app.answer.quotes import MAX_RELATED, quote_of, related_questions, with_fact
from app.answer.records import Answer, Band, Clarify, Confidence, Option, Verdict
from app.answer.verdict import (
    RISKY_MATCH,
    cautious_runner_up,
    endorses_risk,
    standing_claim,
    unread_risk,
    unsure_direction,
    verdict_of,
)
from app.corpus.records import GlossaryEntry, Scope
from app.index.calibration import Settings
from app.reading.conditions import Conditions
from app.reading.language import Language
from app.reading.question import Analysis
from app.reading.situation import Situation

MAX_QUOTES = 3
# A conditional "yes, do it" read from the buyer's words stands when an annotated question
# stating the same situation is at least this close; otherwise kbqa asks the situation back.
VOUCHED_MATCH = 0.6


def compose(
    question: str,
    analysis: Analysis,
    evidence: list[Evidence],
    settings: Settings,
    glossary: tuple[GlossaryEntry, ...],
    scope: Scope,
    out_of_scope: float = -1.0,
    *,
    situation: Situation | None = None,
    points: dict[str, tuple[Evidence, ...]] | None = None,
    conditions: Conditions | None = None,
    language: Language,
) -> Answer:
    """``out_of_scope`` is the question's cosine to the nearest out-of-scope question;
    ``points`` holds, for the conditional point of each candidate passage, the evidence for
    every passage of that point; ``situation`` is what the question states of conditions."""
    if (
        not evidence
        or evidence[0].hit.score < settings.threshold
        or out_of_scope - evidence[0].hit.dense > settings.out_of_scope_margin
    ):
        return _not_covered(question, evidence, scope, language)

    top = evidence[0]
    confidence = _confidence(top.hit.score, settings)
    quoted = [
        e
        for e in evidence[:MAX_QUOTES]
        if e.hit.score >= max(settings.threshold, top.hit.score - settings.quote_margin)
    ]
    verdict, matched = verdict_of(analysis, top)
    conditional, point = _conditional(
        analysis,
        situation or Situation(),
        quoted,
        points or {},
        conditions or Conditions(),
        language,
    )
    clarify = None
    by_id = {e.hit.passage.id: e for e in point}
    if isinstance(conditional, Decided):
        verdict = conditional.verdict
        first = by_id[conditional.passage]
        quoted = _unique([first, *quoted])
    elif isinstance(conditional, Ask):
        verdict = "depends"
        options = _advised(conditional, analysis, language)
        clarify = Clarify(question=conditional.question, options=options)
        sides = [by_id[pid] for option in conditional.options for pid in option.quotes]
        quoted = _unique([top, *sides, *quoted])

    if conditional is None and verdict in ("yes", "no") and endorses_risk(verdict, analysis):
        cautious = cautious_runner_up(verdict, analysis, evidence, settings)
        about_action = matched is not None and top.question_analysis[matched].action is not None
        similarity = top.question_similarity.get(matched, 0.0) if matched is not None else 0.0
        sure = confidence.band == "high" or (
            confidence.band == "medium" and similarity >= RISKY_MATCH
        )
        if not sure or not about_action or cautious is not None:
            verdict = "depends"
            if cautious is not None and cautious not in quoted:
                quoted = [*quoted[: MAX_QUOTES - 1], cautious]
    elif conditional is None and verdict in ("yes", "no") and unread_risk(analysis, top):
        verdict = "depends"

    # Which way round the yes or no answers, when it cannot be read: the claim instead.
    unsure = False
    if verdict in ("yes", "no"):
        decided = conditional.passage if isinstance(conditional, Decided) else None
        source = by_id[decided] if decided is not None else top
        _, asked = verdict_of(analysis, source)
        matched_analysis = source.question_analysis[asked] if asked is not None else None
        tagged = asked is not None and source.hit.passage.questions[asked].verdict is not None
        unsure = unsure_direction(analysis, matched_analysis, tagged)
        if unsure:
            verdict = "info"
            if isinstance(conditional, Decided):
                conditional = replace(conditional, verdict="info")

    claim = None
    if isinstance(conditional, Decided):
        headline = conditional.headline(language)
        claim = conditional.claim if verdict != "depends" else None
    elif isinstance(conditional, Ask):
        headline = f"{language.headline('depends')} {conditional.because}"
    else:
        # The passage's claim as it stands; the verdict says how it answers the question.
        if verdict in ("yes", "no") or unsure:
            claim = standing_claim(top, matched)
        rule = with_fact(top.hit.passage.rule, analysis, [e.hit.passage for e in quoted])
        headline = side_headline(verdict, claim.says if claim else "", rule, language)

    quotes = tuple(quote_of(e, analysis, glossary) for e in quoted)
    return Answer(
        question=question,
        # A passage's or a condition's verdict, which the corpus parser admits only from
        # the verdicts Answer takes (and pydantic checks again).
        verdict=cast(Verdict, verdict),
        headline=headline,
        claim=claim,
        quotes=quotes,
        confidence=confidence,
        related=related_questions(question, evidence, {q.id for q in quotes}),
        clarify=clarify,
        language=language.code,
    )


def _conditional(
    analysis: Analysis,
    situation: Situation,
    quoted: list[Evidence],
    points: dict[str, tuple[Evidence, ...]],
    conditions: Conditions,
    language: Language,
) -> tuple[Decided | Ask | None, tuple[Evidence, ...]]:
    """The conditional answer, if a quoted passage is one side of a point that applies.

    The top passage's point decides whether the question states its condition or not; a
    further quoted passage's point when the question states its condition ("opened it
    yesterday, can I cancel?" ranks the general passage on cancelling first), or when the
    top passage has no point and the two answer yes and no: the answer turns on that
    condition, so it is asked.
    """
    found: list[tuple[Decided | Ask, tuple[Evidence, ...]]] = []
    for n, e in enumerate(quoted):
        passage = e.hit.passage
        point = points.get(passage.point or "", ())
        sides = [
            SideOf(p.hit.passage.id, s, p.hit.passage.claims, p.hit.passage.verdict)
            for p in point
            for s in p.hit.passage.sides
        ]
        if not sides:
            continue
        variables = {v for s in sides for v in s.side.variables}
        if (
            n > 0
            and not any(
                (variable := conditions.variable(name)) is not None and situation.stated(variable)
                for name in variables
            )
            and not (quoted[0].hit.passage.point is None and _disagree(analysis, quoted[0], e))
        ):
            continue
        _, matched = verdict_of(analysis, e)
        matched_verdict = None
        if matched is not None:
            matched_verdict = passage.questions[matched].verdict or passage.verdict
        # A passage referring to a point asks the questions its sides' passage asks.
        definer = next(p.hit.passage for p in point if p.hit.passage.sides)
        asks = passage.asks if passage.sides or passage.asks != "any" else definer.asks
        decision = decide(analysis, situation, sides, conditions, matched_verdict, asks, language)
        if isinstance(decision, Decided) and endorses_risk(decision.verdict, analysis):
            decision = _guarded(
                decision, analysis, situation, e, sides, conditions, matched_verdict, asks, language
            )
        if decision is not None:
            found.append((decision, point))
    if not found:
        return None, ()
    # A later passage deciding the other way on more of what the buyer said is the more
    # specific answer ("it arrived but it is broken": the side on a faulty item, not the
    # one on arrival alone).
    first = found[0]
    for later in found[1:]:
        one, other = first[0], later[0]
        if (
            isinstance(one, Decided)
            and isinstance(other, Decided)
            and other.verdict != one.verdict
            and len(other.stated) > len(one.stated)
        ):
            return later
    return first


def _disagree(analysis: Analysis, top: Evidence, other: Evidence) -> bool:
    """Whether two leading candidates answer the question yes and no, the top one resting
    on no near paraphrase of its annotated questions: then a point of the other one may be
    what decides between them, and is asked."""
    mine, matched = verdict_of(analysis, top)
    theirs, _ = verdict_of(analysis, other)
    near = matched is not None and top.question_similarity.get(matched, 0.0) >= VOUCHED_MATCH
    return {mine, theirs} == {"yes", "no"} and not near


def _guarded(
    decision: Decided,
    analysis: Analysis,
    situation: Situation,
    e: Evidence,
    sides: list[SideOf],
    conditions: Conditions,
    matched_verdict: str | None,
    asks: str,
    language: Language,
) -> Decided | Ask | None:
    """A conditional answer that tells the buyer to do a risky thing, made safe.

    Resting on words read inside a question or a hedged sentence ("can I confirm once it
    arrived?"), it is asked back instead, unless the buyer's question is a near paraphrase
    of an annotated one stating the same situation: one click on "The item has arrived"
    costs less than a misread. A situation stated flatly ("It arrived today.") stands.
    Resting on days alone, it stands for a question of permission ("can I still cancel? I
    opened it 2 days ago") but not for one of advice ("should I cancel?"): that the guide
    allows it within 5 days is no advice to do it.
    """
    if decision.read_from_words:
        vouched = any(
            similarity >= VOUCHED_MATCH
            and e.question_analysis[n].states
            and set(e.question_analysis[n].states) <= set(situation.states)
            for n, similarity in e.question_similarity.items()
        )
        if vouched:
            return decision
        unread = Situation(durations=situation.durations)
        asked = decide(analysis, unread, sides, conditions, matched_verdict, asks, language)
        return asked or replace(decision, verdict="depends", claim=None)
    if analysis.permission or not decision.on_days:
        return decision
    return replace(decision, verdict="depends", claim=None)


def _advised(ask: Ask, analysis: Analysis, language: Language) -> tuple[Option, ...]:
    """The options of a clarifying question, safe for a question of advice.

    An option picking a number of days ("5 days or fewer": you can still cancel) says what
    the guide allows; to "should I cancel?" that is no advice to do it, so it says "it
    depends" with the same reason. An option picking a situation is the buyer's own click
    on their situation, and stands.
    """
    if not ask.on_days or analysis.permission:
        return ask.options
    return tuple(
        o.model_copy(
            update={
                "verdict": "depends",
                "headline": side_headline("depends", "", reason, language),
                "claim": None,
            }
        )
        if endorses_risk(o.verdict, analysis)
        else o
        for o, reason in zip(ask.options, ask.reasons, strict=True)
    )


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    """The first ``MAX_QUOTES`` of evidence, each passage once."""
    seen: dict[str, Evidence] = {}
    for e in evidence:
        seen.setdefault(e.hit.passage.id, e)
    return list(seen.values())[:MAX_QUOTES]


def _not_covered(
    question: str, evidence: list[Evidence], scope: Scope, language: Language
) -> Answer:
    score = evidence[0].hit.score if evidence else 0.0
    headline = f"{language.label('headline-not-covered')} {scope.text}".strip()
    return Answer(
        question=question,
        verdict="not_covered",
        headline=headline,
        claim=None,
        quotes=(),
        confidence=Confidence(band="none", score=round(score, 4)),
        related=scope.examples[:MAX_RELATED],
        clarify=None,
        language=language.code,
    )


def _confidence(score: float, settings: Settings) -> Confidence:
    band: Band
    if score >= settings.high:
        band = "high"
    elif score >= settings.medium:
        band = "medium"
    else:
        band = "low"
    return Confidence(band=band, score=round(score, 4))
