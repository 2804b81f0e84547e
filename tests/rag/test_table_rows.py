"""Cited table rows (rag/table_rows.py): a span in a table's row gives that row with the table's
caption and header; a span outside every table gives none."""

from __future__ import annotations

from index.tables import render
from rag.table_rows import cited_table
from rag.types import Span

HEADER = ("", "Quarter ended July 1, 2023", "Quarter ended June 25, 2022")
ROWS = [("Total net sales", "$81,797", "$82,959"), ("Research and development", "7,442", "6,797")]


def _table(at: int = 40):
    text, table = render("Net sales by quarter", HEADER, ROWS, at=at, page=3)
    return text, table


def test_a_span_in_a_row_cites_that_row_with_the_header():
    _, table = _table()
    row = table.rows[1]
    cited = cited_table([table.to_dict()], [Span(row.start + 3, row.end - 2, "x", 0.9)])
    assert cited is not None
    assert cited.caption == "Net sales by quarter" and cited.page == 3
    assert cited.header == HEADER and cited.rows == (ROWS[1],)


def test_a_span_over_two_rows_cites_both_and_a_span_elsewhere_none():
    _, table = _table()
    both = Span(table.rows[0].start, table.rows[1].end, "x", 0.9)
    assert cited_table([table.to_dict()], [both]).rows == tuple(ROWS)
    before = Span(0, 30, "x", 0.9)  # text before the table
    assert cited_table([table.to_dict()], [before]) is None
    assert cited_table([], [both]) is None


def test_the_column_the_question_names_is_the_cell():
    from rag.table_cells import cell_for

    row = ("Total net sales | Quarter ended July 1, 2023: $54,024 | "
           "Quarter ended June 25, 2022: $50,325")
    s, e = cell_for(row, "What were total net sales in the quarter ended July 1, 2023?")
    assert row[s:e] == "$54,024"
    s, e = cell_for(row, "Total net sales for the quarter ended June 25, 2022?")
    assert row[s:e] == "$50,325"
    assert cell_for(row, "What were total net sales?") is None  # no column named
    assert cell_for("Sales rose in the quarter ended July 1, 2023.", "the quarter 2023") is None
    fy = "Time to hire | FY 2015 Target: 80 | FY 2015 Result: 95.2 | FY 2016 Result: 90"
    s, e = cell_for(fy, "What was the time to hire result in FY 2016?")
    assert fy[s:e] == "90"


def test_cell_for_prefers_results_over_target_unless_the_target_is_asked() -> None:
    from rag.table_cells import cell_for

    row = ("–* | FY 2014 Results: 79% | FY 2015 Results: 70.1% | FY 2015 Target: ≥90% | "
           "FY 2015 Target Met/ Not Met: Not Met | FY 2011- FY 2015 Trend: up")
    s, e = cell_for(row, "What percent of retirement claims did OPM process within 60 days "
                         "in FY 2015?")
    assert row[s:e] == "70.1%"
    s, e = cell_for(row, "What was the FY 2015 target for claims processed within 60 days?")
    assert row[s:e] == "≥90%"
    s, e = cell_for(row, "What was the result in fiscal year 2014?")
    assert row[s:e] == "79%"
    plain = "Sales | Quarter ended July 1, 2023: $5 | Quarter ended June 25, 2022: $4"
    assert cell_for(plain, "What were sales?") is None  # still no column named


def test_a_table_without_a_label_column_names_its_first_cell() -> None:
    from index.tables import row_line
    from rag.table_cells import cell_for

    header = ("FY 2013 Results", "FY 2014 Results", "FY 2014 Target")
    row = row_line(header, ("–*", "79%", "≥90%"))
    assert row == "FY 2013 Results: –* | FY 2014 Results: 79% | FY 2014 Target: ≥90%"
    s, e = cell_for(row, "What was the result in FY 2013?")
    assert row[s:e] == "–*"
    assert row_line(("Route", "Adult"), ("Island", "12")) == "Island | Adult: 12"
