"""Unruled PDF tables (index/readers/pdf_text_tables.py): real PDFs drawn by reportlab from known
data without a single rule, a table whose header alone is boxed, and a page of the shared OPM
corpus; a two-column prose page, a table of contents and a list stay text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from index.formats import extract
from index.tables import row_line

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "agency_reports"
REPORT_2017 = SHARED / "corpus" / "2017-annual-performance-report.pdf"
MEASURES = [("Percent of claims processed within 60 days", "79%", "70.1%", "77.1%", "90%",
             "Not Met"),
            ("Average number of minutes to answer calls", "15.8", "24.2", "17.7", "5",
             "Not Met"),
            ("Average unit cost of a claim", "$129.83", "$124.48", "$127.86", "$128.47",
             "Met")]
HEADER_TOP = ["FY 2014", "FY 2015", "FY 2016", "FY 2016", "Met/"]
HEADER_BOTTOM = ["Results", "Results", "Results", "Target", "Not Met"]
XS = [230, 300, 370, 440, 510]  # centre of each data column; labels start at 60


def unruled_pdf(boxed_header: bool = False) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=letter)
    c.setFont("Helvetica", 10)
    c.drawString(60, 740, "The agency reports its measures every year, as the law requires.")
    c.setFont("Helvetica-Bold", 10)
    c.drawString(60, 710, "TABLE 7.03C")
    c.drawString(60, 696, "PERFORMANCE MEASURE: Retirement services")
    c.setFont("Helvetica", 9)
    if boxed_header:
        for x in (50, 200, 265, 335, 405, 475, 545):
            c.line(x, 680, x, 640)
        c.line(50, 680, 545, 680)
        c.line(50, 640, 545, 640)
    c.drawString(60, 660, "Performance Measure")
    for x, top, bottom in zip(XS, HEADER_TOP, HEADER_BOTTOM):
        c.drawCentredString(x, 665, top)
        c.drawCentredString(x, 654, bottom)
    y = 620
    for label, *values in MEASURES:
        cut = label.rindex(" ", 0, 26)
        c.drawString(60, y, label[:cut])
        c.drawString(60, y - 11, label[cut + 1:])
        for x, value in zip(XS, values):
            c.drawCentredString(x, y - 5, value)
        y -= 40
    c.setFont("Helvetica", 10)
    c.drawString(60, y - 10, "FY 2016 Analysis of Results: the agency processed more claims than "
                             "ever before.")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("boxed_header", [False, True])
def test_an_unruled_table_under_a_header_of_periods_becomes_a_table(boxed_header):
    read = extract(unruled_pdf(boxed_header), "pdf")
    assert len(read.tables) == 1
    table = read.tables[0]
    assert table.caption == "TABLE 7.03C PERFORMANCE MEASURE: Retirement services"
    assert table.header == ("Performance Measure", "FY 2014 Results", "FY 2015 Results",
                            "FY 2016 Results", "FY 2016 Target", "Met/ Not Met")
    assert [r.cells for r in table.rows] == [m for m in MEASURES]
    for row in table.rows:
        assert read.text[row.start:row.end] == row_line(table.header, row.cells)
    assert "FY 2016 Results: 77.1%" in read.text
    assert "Analysis of Results" in read.text[table.end:]  # the text after it stays text
    assert read.text.index("The agency reports") < table.start


def prose_pdf(kind: str) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=letter)
    c.setFont("Helvetica", 10)
    words = ("In FY 2014, FY 2015 and FY 2016 the agency hired staff and 2,400 claims were "
             "closed while 17 offices moved; the results in 2019 2020 2021 were similar.").split()
    if kind == "columns":  # two columns of prose naming periods, figures in each line
        for i in range(30):
            for x in (60, 320):
                line = " ".join(words[(i + x) % 10:(i + x) % 10 + 7])
                c.drawString(x, 720 - 14 * i, line)
    elif kind == "contents":
        c.drawString(60, 740, "Table of Contents   FY 2013   FY 2014   FY 2015")
        for i in range(25):
            c.drawString(60, 720 - 16 * i, f"Section {i + 1}: Strategic goal {i + 1}")
            c.drawRightString(540, 720 - 16 * i, str(3 + 4 * i))
    else:  # a list naming periods in its lines
        c.drawString(60, 740, "Milestones FY 2020 FY 2021 FY 2022")
        for i in range(12):
            c.drawString(70, 720 - 14 * i, f"• Item {i + 1}: reviewed the plan for 20{10 + i} "
                                           "with every office and partner.")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["columns", "contents", "list"])
def test_prose_columns_a_table_of_contents_and_a_list_stay_text(kind):
    read = extract(prose_pdf(kind), "pdf")
    assert read.tables == ()


@pytest.mark.slow  # pdfplumber parses a page of a 100-page report (~3 s)
@pytest.mark.skipif(not REPORT_2017.exists(), reason="shared corpus not present")
def test_a_partly_ruled_table_of_the_2017_opm_report():
    from index.readers.pdf_tables import FoundTable, page_blocks

    blocks = page_blocks(REPORT_2017.read_bytes(), [54])[54]
    tables = [b for b in blocks if isinstance(b, FoundTable)]
    assert [t.caption for t in tables] == [
        "TABLE 7.03C PERFORMANCE MEASURE: Percent of retirement claims processed within 60 days",
        "TABLE 7.03D PERFORMANCE MEASURE: Percent of customers satisfied with overall "
        "retirement services"]
    first = tables[0]
    assert first.header[:6] == ("FY 2013 Results", "FY 2014 Results", "FY 2015 Results",
                                "FY 2016 Results", "FY 2017 Results", "FY 2017 Target")
    assert first.rows[0][:7] == ("–*", "79%", "70.1%", "77.1%", "57.3%", "≥90%", "Not Met")


def test_a_page_with_too_many_words_is_not_searched(monkeypatch):
    import index.readers.pdf_text_tables as text_tables

    monkeypatch.setattr(text_tables, "MAX_TEXT_WORDS", 10)
    assert extract(unruled_pdf(), "pdf").tables == ()
