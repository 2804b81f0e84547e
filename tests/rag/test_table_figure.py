"""The refusal gate's figure check reads table rows among the passages (rag.answerability
.table_figure): a figure question answered by a row's cell is not "figure missing"."""

from __future__ import annotations

from rag.answerability import table_figure
from rag.types import Passage

ROW = ("7.03C | Performance Measure: Percent of retirement claims processed within 60 days | "
       "FY 2014 Results: 79% | FY 2015 Results: 70.1% | FY 2015 Target: 90%")


def _passages(*texts: str) -> list[Passage]:
    return [Passage(f"c{i}", "report.pdf", "Report", t, 0, len(t), 0.5)
            for i, t in enumerate(texts)]


def test_the_row_and_column_the_question_names_hold_a_figure():
    q = "What percent of retirement claims were processed within 60 days in FY 2015?"
    assert table_figure(q, _passages("The agency processes claims.", f"Table 7\n{ROW}\n"))


def test_another_measure_a_column_not_named_or_prose_hold_none():
    assert not table_figure("What percent of disability claims were approved in FY 2015?",
                            _passages(ROW))
    assert not table_figure("What percent of retirement claims were processed within 60 days?",
                            _passages(ROW))  # no column named: which year's figure is unknown
    assert not table_figure("What percent of retirement claims were processed in FY 2015?",
                            _passages("In FY 2015 retirement claims were processed quickly."))
