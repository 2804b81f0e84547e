"""Where an edited copy is cut (eval.conflicts.answer_at): around the occurrence of the gold
answer that answers the question, not its first. "78%" first stands in a chart of another
measure; a copy cut there would not restate the asked fact, and the case would count against
the answer for a dispute the corpus does not hold."""

from __future__ import annotations

from eval.conflicts import _excerpt, answer_at
from eval.dataset import QAItem
from index.types import Document

FILLER = "Budget tables and staffing levels for the year. " * 20  # pages apart: > WINDOW
PAGES = [
    "Overall satisfaction with health plan\n2012 2013 2014\n78% 79% 82%\n",
    FILLER + "\n",
    "Customer service\nPercent of customers satisfied with overall retirement services | "
    "FY 2014 Results: 78% | FY 2014 Target: 73%\n",
    "Closing remarks of the director.\n",
]


def _doc() -> Document:
    starts, at = [], 0
    for page in PAGES:
        starts.append(at)
        at += len(page)
    return Document(doc_id="apr.pdf", title="Annual Performance Report", text="".join(PAGES),
                    source_path="", mtime=0.0, content_hash="0" * 64, format="pdf",
                    page_starts=tuple(starts))


def _item(**extra) -> QAItem:
    return QAItem(id="q", question="What percent of customers were satisfied with overall "
                  "retirement services in FY 2014?", answers=("78%",), doc_ids=("apr.pdf",),
                  answerable=True, extra=extra)


def test_the_occurrence_about_the_question_is_chosen():
    doc = _doc()
    at = answer_at(_item(), doc, "78%")
    assert doc.page_at(at) == 3 and doc.text[at:at + 3] == "78%"
    assert "retirement services" in _excerpt(doc, at)


def test_the_gold_pages_decide_first():
    doc = _doc()
    assert doc.page_at(answer_at(_item(pages=[1]), doc, "78%")) == 1
    assert doc.page_at(answer_at(_item(pages=[9]), doc, "78%")) == 3  # no occurrence there
