"""Short-answer scoring: SQuAD-style exact match and token F1, per question and aggregated,
only over questions that ask for an entity; the per-question record and the HTML report."""

from __future__ import annotations

import json

from eval.dataset import QAItem
from eval.html import render_html
from eval.metrics import exact_match, normalize, token_f1
from eval.report import Report, RunInfo, aggregate
from eval.runner import score
from rag.types import Answer, Citation, ShortAnswer, Side


def test_exact_match_normalises_like_squad():
    assert exact_match("The Union Pacific.", ["union pacific"])
    assert exact_match("New York, Chicago and Denver", ["New York Chicago and Denver"])
    assert exact_match("Anthony Blinken", ["Antony Blinken", "Anthony Blinken"])
    assert not exact_match("more than 191,000", ["191,000"])
    assert not exact_match("Liz Sherwood-Randall", ["Sherwood-Randall"])
    assert not exact_match("", [""]) and not exact_match("a", ["the"])  # empty matches nothing
    assert normalize("$200 million") == "200 million"


def test_token_f1_gives_partial_credit():
    assert token_f1("Liz Sherwood-Randall", ["Sherwood-Randall"]) == 2 * (2 / 3) / (2 / 3 + 1)
    assert token_f1("more than 191,000", ["191,000"]) == 2 * (2 / 4) * 1 / (2 / 4 + 1)
    assert token_f1("", ["x"]) == 0.0 and token_f1("Cuba", ["Venezuela"]) == 0.0


class _NoSupport:
    def check(self, text, passages):
        return []


def _answer(text: str, short: ShortAnswer | None, kind: str | None,
            refused: bool = False) -> Answer:
    cite = Citation(1, "d.txt", "d", "Chicago Mayor Brandon Johnson said so.", 0, 38, 0.9, "c")
    return Answer(question="q", answer=text, citations=[] if refused else [cite], refused=refused,
                  prompt_version="v1", generator="extractive", short_answer=short,
                  answer_type=kind, standalone_question="Which Chicago mayor said so?")


def _item(qid: str, answers: list[str]) -> QAItem:
    return QAItem(id=qid, question="Which Chicago mayor said so?", answers=answers,
                  doc_ids=["d.txt"], answerable=bool(answers), extra={})


def test_score_records_and_scores_the_short_answer():
    short = ShortAnswer("Brandon Johnson", 1, 14, 29)
    right = score(_item("a", ["Brandon Johnson"]),
                  _answer("Brandon Johnson. [1] Chicago Mayor Brandon Johnson said so. [1]",
                          short, "person"), 5.0, _NoSupport())
    assert right.scores["short_exact"] == 1.0 and right.scores["short_f1"] == 1.0
    assert right.short_answer == {"text": "Brandon Johnson", "citation": 1, "start": 14,
                                  "end": 29}
    assert right.answer_type == "person"
    wrong = score(_item("b", ["Greg Abbott"]),
                  _answer("Brandon Johnson. [1] ...", short, "person"), 5.0, _NoSupport())
    assert wrong.scores["short_exact"] == 0.0 and wrong.scores["short_given"] == 1.0
    missing = score(_item("c", ["Brandon Johnson"]), _answer("Some text. [1]", None, "person"),
                    5.0, _NoSupport())
    assert missing.scores["short_exact"] == 0.0 and missing.scores["short_given"] == 0.0
    # A question that asks for no entity is not scored on short answers at all.
    untyped = score(_item("d", ["because"]), _answer("Text. [1]", None, "reason"), 5.0,
                    _NoSupport())
    assert "short_exact" not in untyped.scores and untyped.short_answer is None
    # A refusal ran no typing stage: the runner types the question itself, and scores it 0.
    refused = score(_item("e", ["Brandon Johnson"]), _answer("No.", None, None, refused=True),
                    5.0, _NoSupport())
    assert refused.answer_type == "person" and refused.scores["short_exact"] == 0.0

    # Sources that disagree: the sides are kept with the outcome and counted, not gated.
    disagreeing = _answer("The sources disagree: Brandon Johnson [1] (d); Rahm Emanuel [2].",
                          short, "person")
    disagreeing.disagreement = [Side("Brandon Johnson", 1, 14, 29, "d.txt", "2024-02-08", "text"),
                                Side("Rahm Emanuel", 2, 0, 12, "e.txt", "", "file")]
    split = score(_item("f", ["Brandon Johnson"]), disagreeing, 5.0, _NoSupport())
    assert split.scores["short_disagreed"] == 1.0 and right.scores["short_disagreed"] == 0.0
    assert [d["text"] for d in split.disagreement] == ["Brandon Johnson", "Rahm Emanuel"]

    info = RunInfo("full", "c", "qa", "f" * 64, "m", "extractive", "v1", "abc", {})
    outcomes = [right, wrong, missing, untyped, refused, split]
    report = Report(info, aggregate(outcomes), outcomes)
    assert report.metrics["short_answer"] == {"exact_match": 0.4, "token_f1": 0.4,
                                              "answered": 0.6, "disagreed": 0.2}
    again = Report.from_json(json.loads(json.dumps(report.to_json())))
    assert again.questions[0].short_answer == right.short_answer
    assert again.questions[-1].disagreement == split.disagreement
    page = render_html([report], {})
    assert "short_answer.exact_match" in page and "<b>Brandon Johnson</b>" in page
    assert "sources disagree: Brandon Johnson [1] d.txt 2024-02-08; Rahm Emanuel [2]" in page


def test_html_escapes_the_short_answer():
    short = ShortAnswer("<img src=x onerror=alert(1)>", 1, 0, 5)
    out = score(_item("a", ["x"]), _answer("t [1]", short, "person"), 1.0, _NoSupport())
    info = RunInfo("full", "c", "qa", "f" * 64, "m", "extractive", "v1", "abc", {})
    page = render_html([Report(info, aggregate([out]), [out])], {})
    assert "<img" not in page and "&lt;img src=x" in page
