"""Parsing and validation of corpus folders, on the tiny fixture corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.corpus.claims import Claim, Claims
from app.corpus.load import coverage, load_corpus
from app.corpus.records import Fact, Question
from app.errors import CorpusError
from tests.conftest import GOLDEN


def test_fixture_corpus_parses(corpus_dir: Path):
    corpus = load_corpus(corpus_dir)

    assert [p.id for p in corpus.passages] == [
        "dispute-protects",
        "keep-open-until-paid",
        "late-parcel",
        "broken-parcel",
        "appeal-window",
    ]
    assert corpus.sections == ("Returns made simple", "Appeals")
    keep = corpus.passages[1]
    # The quote spans two lines in the file; whitespace is normalised, words are not.
    assert keep.text == (
        "Do not close the spores until the seller pays. The seller has 5 days to answer."
    )
    assert keep.section == "Returns made simple"
    assert keep.verdict == "no"
    assert keep.facts == (Fact("5 days", "time the seller has to answer"),)
    assert keep.questions[2] == Question("How long does the seller have to answer?", "info")
    assert keep.questions[0].verdict is None
    assert keep.source == "a.md:15"
    assert keep.claims == Claims(Claim("Don't close the dispute yet"))
    appeal = corpus.passages[4]  # an info passage whose sides may decide against its claim
    assert appeal.claims == Claims(Claim("You can still appeal", "You can no longer appeal"))
    assert [(g.term, g.meaning, g.note) for g in corpus.glossary] == [
        ("spores", "dispute", True),
        ("claim", "dispute", False),
    ]


def test_passage_record_matches_golden(corpus_dir: Path):
    record = load_corpus(corpus_dir).passages[1].to_dict()
    golden = json.loads((GOLDEN / "passage.json").read_text())
    assert record == golden


def test_fixture_corpus_covers_every_sentence(corpus_dir: Path):
    result = coverage(load_corpus(corpus_dir))
    assert (result.sentences, result.covered, result.overlapping) == (7, 7, ())


def test_coverage_reports_a_dropped_sentence(corpus_dir: Path):
    path = corpus_dir / "b.md"
    path.write_text(path.read_text().replace(" After that it is too late.", ""))
    result = coverage(load_corpus(corpus_dir))
    assert result.uncovered == ("After that it is too late.",)
    assert result.covered == 6


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


LONG = " ".join(["word"] * 125) + "."

BAD_CORPORA = [
    pytest.param(
        "a.md",
        "- verdict: no\n",
        "- verdict: no\n- highlight: Do not close the dispute.\n",
        [
            "a.md:21: passage 'keep-open-until-paid': highlight 'Do not close the dispute.' is "
            "not a sentence of the quote"
        ],
        id="highlight-not-a-sentence",
    ),
    pytest.param(
        "a.md",
        "- verdict: no\n",
        "- verdict: no\n- risk: ship\n",
        [
            "a.md:21: passage 'keep-open-until-paid': risk 'ship' is not a risky action of "
            "actions.md (known: close, confirm)"
        ],
        id="unknown-risk",
    ),
    pytest.param(
        "actions.md",
        "- risky: yes\n- does: confirm*",
        "- risky: maybe\n- does: confirm*",
        ["actions.md:11: action 'confirm': risky must be yes or no"],
        id="risky-yes-or-no",
    ),
    pytest.param(
        "a.md",
        "- verdict: no",
        "- verdict: nope",
        ["a.md:20: passage 'keep-open-until-paid': unknown verdict 'nope'"],
        id="unknown-verdict",
    ),
    pytest.param(
        "a.md",
        "- rule: A dispute protects you.\n",
        "",
        ["a.md:3: passage 'dispute-protects': missing 'rule'"],
        id="missing-rule",
    ),
    pytest.param(
        "a.md",
        "- questions:\n  - Can I get a refund for a broken parcel?\n"
        "  - My item arrived broken, do I get money back?\n  - Is a refund possible for damage?\n",
        "",
        ["a.md:44: passage 'broken-parcel': missing 'questions'"],
        id="missing-questions",
    ),
    pytest.param(
        "a.md",
        "> A dispute protects the buyer.",
        "> A dispute protects every buyer.",
        [
            "a.md:5: passage 'dispute-protects': quote not found verbatim in the source: "
            "'A dispute protects every buyer.'"
        ],
        id="not-verbatim",
    ),
    pytest.param(
        "b.md",
        "## appeal-window",
        "## late-parcel",
        ["a.md:31: duplicate id 'late-parcel' (also at ", "b.md:3: duplicate id 'late-parcel'"],
        id="duplicate-id-across-files",
    ),
    pytest.param(
        "b.md",
        "  - How long do I have to appeal?\n",
        "",
        [
            "b.md:13: passage 'appeal-window': 2 questions; write 3 to 12 (each widens "
            "what the passage catches; past that, split the passage)"
        ],
        id="too-few-questions",
    ),
    pytest.param(
        "b.md",
        "- rule: You have 15 days to appeal.",
        "- rule: You can appeal for a while.",
        ["b.md:12: passage 'appeal-window': the rule does not mention the fact '15 days'"],
        id="fact-missing-from-rule",
    ),
    pytest.param(
        "b.md",
        "  - `no` Can I appeal",
        "  - `nope` Can I appeal",
        ["b.md:16: passage 'appeal-window': unknown question verdict 'nope'"],
        id="unknown-question-verdict",
    ),
    pytest.param(
        "a.md",
        "  - Can I close my claim now?\n",
        "  - Can I close my claim now?\n  - Should I keep the dispute open until I am paid?\n",
        [
            "a.md:25: passage 'keep-open-until-paid': 'Should I close the dispute before I am "
            "paid?' and 'Should I keep the dispute open until I am paid?' ask opposite ways"
        ],
        id="questions-asking-opposite-ways",
    ),
    pytest.param(
        "a.md",
        "- claim: You can ask for a refund\n",
        "",
        [
            "a.md:44: passage 'broken-parcel': missing 'claim' (what the passage holds, "
            "in plain words)"
        ],
        id="missing-claim",
    ),
    pytest.param(
        "b.md",
        "- claim: You can still appeal\n",
        "",
        ["b.md:9: passage 'appeal-window': 'claim-not' without 'claim'"],
        id="claim-not-without-claim",
    ),
    pytest.param(
        "b.md",
        "- verdict: info",
        "- verdict: info\n- colour: blue",
        ["b.md:8: unknown field 'colour'"],
        id="unknown-field",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), BAD_CORPORA)
def test_bad_corpus_names_file_and_line(corpus_dir: Path, file, old, new, expected):
    _edit(corpus_dir / file, old, new)
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    message = str(caught.value)
    for fragment in expected:
        assert any(line.endswith(fragment) or fragment in line for line in message.splitlines()), (
            f"{fragment!r} not in:\n{message}"
        )


def test_passage_over_120_words(corpus_dir: Path):
    # The source must hold the long sentence too, so that only the length is wrong.
    _edit(
        corpus_dir / "source" / "guide.txt",
        "After that it is too late.",
        f"After that it is too late. {LONG}",
    )
    _edit(corpus_dir / "b.md", "After that it is too late.", f"After that it is too late. {LONG}")
    with pytest.raises(
        CorpusError,
        match=r"b\.md:5: passage 'appeal-window': 137 words, over "
        r"the limit of 120; split it",
    ):
        load_corpus(corpus_dir)


def test_every_problem_is_reported_at_once(corpus_dir: Path):
    _edit(corpus_dir / "a.md", "- verdict: no", "- verdict: nope")
    _edit(corpus_dir / "b.md", "- verdict: info", "- verdict: maybe")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    assert [(i.path.split("/")[-1], i.line) for i in caught.value.issues] == [
        ("a.md", 20),
        ("b.md", 7),
    ]


def test_missing_corpus_folder(tmp_path: Path):
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nowhere")
