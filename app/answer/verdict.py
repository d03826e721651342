"""The verdict a passage gives a question, and the checks on a verdict that could cost the
buyer their money.

``verdict_of`` is the verdict of the annotated question of a passage that the buyer's
question is closest to (its tag, or the passage's verdict), flipped when the two ask with
opposite polarity ("keep open" against "close"). ``endorses_risk`` says whether an answer
tells the buyer to close, cancel, confirm or accept; ``cautious`` finds a close runner-up
that answers the other way, and ``unread_risk`` fails closed on a risky passage asked about
in words no action list knows.
"""

from __future__ import annotations

from app.answer.evidence import Evidence, flip
from app.answer.records import Claim
from app.corpus.claims import reference
from app.index.calibration import Settings
from app.reading.question import Analysis

# Below high confidence, a "yes, close it" must rest on an annotated question this close.
RISKY_MATCH = 0.75


def verdict_of(analysis: Analysis, top: Evidence) -> tuple[str, int | None]:
    """The verdict for the buyer's question from a passage, and the ordinal of the annotated
    question it rests on (None when it rests on no question)."""
    passage = top.hit.passage
    if analysis.form == "open" or analysis.choice:
        return "info", None
    if analysis.form == "short" and analysis.action is None:
        return "info", None  # "appeal deadline", "faulty item partial refund": no yes/no asked

    # A question about doing something is answered by an annotated question about doing
    # something; one about a fact ("do I get compensated?") by one about a fact.
    ordinals = [
        n
        for n in top.question_similarity
        if (analysis.form == "short" or top.question_analysis[n].form != "open")
        and (top.question_analysis[n].action is None) == (analysis.action is None)
    ]
    if not ordinals:
        return ("info" if passage.verdict in ("yes", "no") else passage.verdict), None

    def closeness(n: int) -> tuple[float, int]:
        # "Before it arrives" and "once it has arrived" read alike to the model, not to us:
        # an annotated question stating the buyer's situation is closer, the opposite farther.
        theirs = top.question_analysis[n]
        mine, their_states = dict(analysis.states), dict(theirs.states)
        shared = [v for v in mine if v in their_states]
        timing = 0.0
        if shared:
            agree = all(mine[v] == their_states[v] for v in shared)
            timing = 0.15 if agree else -0.15
        # "Should I confirm receipt?" is answered by a question about confirming, not closing.
        same_kind = 0.1 if analysis.kind and theirs.kind == analysis.kind else 0.0
        return (top.question_similarity[n] + timing + same_kind, -n)

    best = max(ordinals, key=closeness)
    matched = top.question_analysis[best]
    tagged = passage.questions[best].verdict
    verdict = tagged or passage.verdict
    if matched.form == "open" and analysis.form == "short":
        return "info", best
    # Only a question asked in full can be read as asking the opposite: keywords can't.
    opposite = (matched.polarity or 1) != (analysis.polarity or 1)
    if verdict in ("yes", "no") and analysis.form == "yesno" and opposite:
        verdict = flip(verdict)
    return verdict, best


def unsure_direction(analysis: Analysis, matched: Analysis | None, tagged: bool = False) -> bool:
    """Fail closed on which way round a yes or no answers the question.

    A verdict is the matched annotated question's, turned when the reader reads the
    buyer's question the other way round. Where the reader read no direction (no action,
    no judgement) but the question's asking clause holds other words that may turn it
    round that the annotated question lacks ("is there no way…", "did I miss…", "…without
    the seller?"), the yes or no could be either; so it is where the buyer asks whether to
    act and the answer rests on an annotated question of fact whose verdict is not the
    passage's (``tagged``: "do I have to do anything?" against "will the dispute close in
    my favour by itself?" under "don't close it"). Then the answer states its claim, not a
    yes or no."""
    theirs = set(matched.turns) if matched is not None else set()
    if analysis.polarity is None and set(analysis.turns) - theirs:
        return True
    return (
        matched is not None
        and tagged
        and analysis.asks_to_act
        and not analysis.permission
        and not matched.asks_to_act
        and matched.action is None
    )


def unread_risk(analysis: Analysis, top: Evidence) -> bool:
    """Fail closed: the passage rules on a risky action, but the question names no action
    kbqa knows ("can I nix the dispute?", "should I stay in the dispute?" when those words
    are missing from actions.md), so a yes or a no might tell the buyer to do it. It stands
    only on a near paraphrase of one of the passage's annotated questions."""
    if not top.risks or analysis.action is not None or not analysis.asks_to_act:
        return False
    best = max(top.question_similarity.values(), default=0.0)
    return best < RISKY_MATCH


def endorses_risk(verdict: str, analysis: Analysis) -> bool:
    """Does this answer tell the buyer to close, cancel, confirm or accept?"""
    if analysis.polarity is None or analysis.action is None:
        return False
    return (verdict == "yes") == (analysis.polarity > 0)


def cautious_runner_up(
    verdict: str, analysis: Analysis, evidence: list[Evidence], settings: Settings
) -> Evidence | None:
    """A close runner-up that answers the same question the other way (or "it depends")."""
    top_score = evidence[0].hit.score
    for e in evidence[1:]:
        if e.hit.score < max(settings.threshold, top_score - settings.quote_margin):
            break
        other, _ = verdict_of(analysis, e)
        if other == flip(verdict):
            return e
    return None


def standing_claim(top: Evidence, matched: int | None) -> Claim | None:
    """The claim of an answer no side decided: the passage's, which it holds, unless the
    annotated question the answer rests on states a case against it. A tagged question
    whose verdict is not the passage's, asked the same way round as its untagged ones
    ("can I confirm once it works?" under "don't confirm receipt"), is such a case: its
    claim reads as it fails, where the passage words that (``claim-not``). A question of
    fact matched on a passage whose sides answer one (``when-claim``) speaks to the sides'
    claim, holding when its verdict is yes."""
    passage = top.hit.passage
    wording = passage.claims.claim
    if wording is None:
        return None
    holds = True
    if matched is not None:
        theirs = top.question_analysis[matched]
        tag = passage.questions[matched].verdict
        when = passage.claims.when
        if when is not None and tag in ("yes", "no") and theirs.action is None:
            holds = tag == "yes"
            return Claim(text=when.text, holds=holds, says=when.said(holds))
        untagged = {
            top.question_analysis[n].polarity or 1
            for n, q in enumerate(passage.questions)
            if q.verdict is None and top.question_analysis[n].form != "open"
        }
        against = tag in ("yes", "no") and tag != reference(passage.verdict)
        if against and untagged == {theirs.polarity or 1} and wording.negated is not None:
            holds = False
    return Claim(text=wording.text, holds=holds, says=wording.said(holds))
