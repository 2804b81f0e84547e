"""PDF tables as tables: real PDFs written by reportlab, read by the PDF reader (pypdf's text,
pdfplumber's ruled tables), each table rendered by index.tables at its place with exact offsets."""

from __future__ import annotations

import io
import time

import pytest

import index.readers.pdf as pdf_reader
from index.formats import extract
from index.tables import row_line

INTRO = "The ferry company publishes its fares twice a year."
AFTER = "Fares are reviewed every spring by the harbour board."
PAGE_TWO = "Timetables are posted at the harbour office."
FARES = [["Route", "Summer", "", "Winter", ""],
         ["", "Adult", "Child", "Adult", "Child"],
         ["Island", "12", "6", "10", "5"],
         ["Mainland", "8", "4", "7", "3"],
         ["Lighthouse", "15", "7", "-", "-"]]
SPANS = [("SPAN", (1, 0), (2, 0)), ("SPAN", (3, 0), (4, 0))]


def table_pdf(rows: list[list[str]], caption: str | None = "Table 2: Ferry fares by season",
              spans: list = SPANS, second_page: bool = True, repeat: int = 0) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table
    from reportlab.platypus import TableStyle

    style = getSampleStyleSheet()
    buf = io.BytesIO()
    story: list = [Paragraph(INTRO, style["BodyText"]), Spacer(1, 12)]
    if caption:
        story.append(Paragraph(caption, style["Heading4"]))
    grid = Table(rows, repeatRows=repeat)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), *spans]))
    story += [grid, Spacer(1, 12), Paragraph(AFTER, style["BodyText"])]
    if second_page:
        story += [PageBreak(), Paragraph(PAGE_TWO, style["BodyText"])]
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def test_a_ruled_table_is_written_as_a_table_at_its_place():
    read = extract(table_pdf(FARES), "pdf")
    assert len(read.tables) == 1
    table = read.tables[0]
    assert table.page == 1 and table.caption == "Table 2: Ferry fares by season"
    # the two header rows joined per column, the spanning cell naming both its columns
    assert table.header == ("Route", "Summer Adult", "Summer Child", "Winter Adult",
                            "Winter Child")
    assert [r.cells for r in table.rows] == [tuple(r) for r in FARES[2:]]
    text = read.text
    assert text[table.start:table.end].startswith("Table 2: Ferry fares by season\nIsland | ")
    for row in table.rows:
        assert text[row.start:row.end] == row_line(table.header, row.cells)
    assert text[table.rows[0].start:table.rows[0].end] == (
        "Island | Summer Adult: 12 | Summer Child: 6 | Winter Adult: 10 | Winter Child: 5")
    # the text around the table, in order, and the caption once (in the table, not above it)
    assert text.index(INTRO) < table.start and text.index("Fares are reviewed") > table.end
    assert text.count("Ferry fares by season") == 1
    assert "Summer\nAdult" not in text and "12 6 10 5" not in text  # no loose table text left
    assert len(read.page_starts) == 2 and text[read.page_starts[1]:].startswith(PAGE_TWO)
    assert table.end < read.page_starts[1]


def test_a_single_header_row_and_no_caption():
    rows = [["Month", "Crossings"], ["January", "310"], ["February", "295"]]
    read = extract(table_pdf(rows, caption=None, spans=[], second_page=False), "pdf")
    (table,) = read.tables
    assert table.header == ("Month", "Crossings") and table.caption == ""
    assert read.text[table.start:table.end] == "January | Crossings: 310\nFebruary | Crossings: 295"


@pytest.mark.parametrize("rows", [
    [["A paragraph boxed by a frame, one column wide."], ["Another framed line."]],  # one column
    [["Note", "", "", ""], ["", "", "", ""], ["", "", "", "x"]],  # mostly empty boxes
])
def test_layout_tables_stay_text(rows):
    read = extract(table_pdf(rows, caption=None, spans=[], second_page=False), "pdf")
    assert read.tables == ()
    first = rows[0][0]
    assert first in read.text and INTRO in read.text


def test_only_pages_that_draw_rules_are_searched_for_tables(monkeypatch):
    searched: list[list[int]] = []
    real = pdf_reader.page_blocks

    def spy(data: bytes, indices: list[int]):
        searched.append(list(indices))
        return real(data, indices)

    monkeypatch.setattr(pdf_reader, "page_blocks", spy)
    assert len(extract(table_pdf(FARES), "pdf").tables) == 1
    assert searched == [[0]]  # page 2 has no rules: pypdf's text is kept, pdfplumber not run


def test_a_table_over_several_pages_keeps_every_row_and_its_header():
    rows = [["Day", "Passengers"]] + [[f"Day {i}", str(1000 + i)] for i in range(400)]
    started = time.perf_counter()
    read = extract(table_pdf(rows, caption=None, spans=[], second_page=False, repeat=1), "pdf")
    seconds = time.perf_counter() - started
    assert sum(len(t.rows) for t in read.tables) == 400
    assert all(t.header == ("Day", "Passengers") for t in read.tables)
    assert len({t.page for t in read.tables}) == len(read.tables) > 5
    assert seconds < 60, seconds


def ruled_rows_page(count: int) -> bytes:
    """One page with ``count`` ruled rows of two cells each (tiny type): a hostile table."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(612, 792))
    step = 760 / count
    canvas.setLineWidth(0.01)
    canvas.setFont("Helvetica", max(step * 0.8, 0.05))
    for i in range(count + 1):
        canvas.line(36, 16 + i * step, 576, 16 + i * step)
    for x in (36, 306, 576):
        canvas.line(x, 16, x, 16 + count * step)
    for i in range(count):
        canvas.drawString(40, 16 + i * step + step * 0.1, f"row {i}")
        canvas.drawString(310, 16 + i * step + step * 0.1, str(i * 7))
    canvas.drawString(36, 780, "Register of moorings")
    canvas.save()
    return buf.getvalue()


@pytest.mark.slow  # a 10,000-row PDF page (~9 s)
def test_a_page_with_ten_thousand_ruled_rows_is_read_as_text_in_bounded_time():
    data = ruled_rows_page(10_000)
    started = time.perf_counter()
    read = extract(data, "pdf")
    seconds = time.perf_counter() - started
    assert read.tables == ()  # over MAX_TABLE_EDGES: the page's text, not a table
    assert "Register of moorings" in read.text and "row 9999" in read.text
    assert seconds < 60, seconds
