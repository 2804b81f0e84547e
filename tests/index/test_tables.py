"""Table rendering (index/tables.py): each row a line that names its columns, offsets exact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.tables import Table, clean_cell, render, row_line

HEADER = ("", "Three months ended July 1, 2023", "Three months ended June 25, 2022")
ROWS = [("Total net sales", "$81,797", "$82,959"), ("Gross margin", "36,413", ""),
        ("", "", "")]


def test_rows_name_their_columns_and_offsets_point_at_each_line():
    prefix = "Net sales by category\n"
    text, table = render("Table 3. Net sales", HEADER, ROWS, at=len(prefix), page=4)
    full = prefix + text
    assert table is not None and table.page == 4 and table.caption == "Table 3. Net sales"
    assert len(table.rows) == 2  # the empty row is dropped
    first = table.rows[0]
    assert full[first.start:first.end] == (
        "Total net sales | Three months ended July 1, 2023: $81,797 | "
        "Three months ended June 25, 2022: $82,959")
    assert full[table.rows[1].start:table.rows[1].end] == (
        "Gross margin | Three months ended July 1, 2023: 36,413")
    assert full[table.start:table.end] == text and text.startswith("Table 3. Net sales\n")
    assert Table.from_dict(table.to_dict()) == table


def test_a_table_without_cells_writes_nothing():
    assert render("Caption", ("a", "b"), [("", ""), (None, None)], at=0) == ("", None)


@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=4),
                max_size=6),
       st.lists(st.text(max_size=20), max_size=4), st.text(max_size=40), st.integers(0, 1000))
def test_every_row_span_is_its_line(rows, header, caption, at):
    text, table = render(caption, header, rows, at=at)
    if table is None:
        assert text == ""
        return
    full = "x" * at + text
    for row in table.rows:
        assert full[row.start:row.end] == row_line(table.header, row.cells)
        assert "\n" not in full[row.start:row.end]
    assert all(c == clean_cell(c) for row in table.rows for c in row.cells)
