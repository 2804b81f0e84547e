"""Type too small to read is not read (index/readers/pdf_hidden.py).

The 2022 agency reports of agency_reports stamp sections with tags in 1-point white type
("_9cdf804c-c003-4ebd-8997-69fb44b7fda2"); the index held them as words and answers opened
with them. Real PDFs written by reportlab (a prose page and a page with a ruled table, so both
pypdf's and pdfplumber's reading are exercised), read by the real reader; the shared report.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest

from index.formats import extract
from index.readers.pdf_hidden import drop_words

TAG = "_9cdf804c-c003-4ebd-8997-69fb44b7fda2"
OTHER_TAG = "_915654e2-dbd5-11ec-8915-8ce20983ea00"
DOL = (Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "agency_reports" /
       "corpus" / "DOL2022.pdf")


def _tiny(c, x: float, y: float, text: str) -> None:
    c.saveState()
    c.setFont("Times-Roman", 1)
    c.setFillColorRGB(1, 1, 1)
    c.drawString(x, y, text)
    c.restoreState()


def tagged_pdf() -> bytes:
    from reportlab.pdfgen import canvas as pdf_canvas

    buf = io.BytesIO()
    c = pdf_canvas.Canvas(buf, pagesize=(400, 300))
    c.setFont("Helvetica", 11)
    c.drawString(20, 270, "Strategic Plan")
    _tiny(c, 20, 262, TAG)
    c.drawString(20, 250, "The department serves wage earners and job seekers.")
    _tiny(c, 20, 240, OTHER_TAG)
    c.drawString(20, 228, "Values: opportunity, equity and empowerment.")
    c.showPage()
    c.setFont("Helvetica", 9)
    c.drawString(20, 270, "Performance goals")
    _tiny(c, 20, 262, TAG)
    xs, ys = [20, 200, 260, 380], [240, 225, 210, 195]
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for row, cells in enumerate([("Measure", "Target", "Actual"),
                                 ("Claims processed", "9,000", "8,750"),
                                 ("Inspections done", "1,200", "1,310")]):
        for x, cell in zip(xs, cells):
            c.drawString(x + 3, ys[row] - 10, cell)
    _tiny(c, 25, ys[1] - 13, OTHER_TAG)  # inside a table cell
    c.showPage()
    c.save()
    return buf.getvalue()


def test_one_point_type_is_not_read_on_prose_or_table_pages():
    read = extract(tagged_pdf(), "pdf")
    assert len(read.tables) == 1  # page 2 went through pdfplumber
    assert TAG not in read.text and OTHER_TAG not in read.text
    assert "dbd5" not in read.text and "c003" not in read.text
    assert "The department serves wage earners and job seekers." in read.text
    assert "Values: opportunity, equity and empowerment." in read.text
    cells = [r.cells for r in read.tables[0].rows]
    assert cells[0][0] == "Claims processed" and cells[1][2] == "1,310"


def test_drop_words_keeps_the_pages_own_words():
    hidden = Counter([TAG, "Vision"])
    text = f"Vision\n{TAG} Stakeholder(s):\nVision for the decade"
    # the hidden "Vision" takes the line that holds it alone; a tag beside a heading goes,
    # the heading stays; a plain word in a line of other words is never taken
    assert drop_words(text, hidden) == "Stakeholder(s):\nVision for the decade"
    assert drop_words("Mission", Counter()) == "Mission"


@pytest.mark.skipif(not DOL.is_file(), reason="the shared agency_reports corpus is not beside")
def test_the_shared_report_reads_without_its_tags():
    read = extract(DOL.read_bytes(), "pdf")
    assert not re.search(r"_[0-9a-f]{8}-[0-9a-f]{4}-", read.text)
    assert "Empowering all workers morning, noon and night." in read.text


def test_a_page_of_tiny_type_only_is_read():
    """Type under 2 points with nothing else on its page is what the page says (a register
    shrunk to one sheet), not a tag hidden among it: it stays."""
    from reportlab.pdfgen import canvas as pdf_canvas

    buf = io.BytesIO()
    c = pdf_canvas.Canvas(buf, pagesize=(400, 300))
    c.setFont("Helvetica", 1.5)
    c.drawString(20, 200, "Register of moorings: berth 12 to the harbour master")
    c.showPage()
    c.save()
    read = extract(buf.getvalue(), "pdf")
    assert "Register of moorings: berth 12 to the harbour master" in read.text
