"""Real documents of every format, written with real libraries (reportlab, python-docx)."""

from __future__ import annotations

import io
from pathlib import Path

PDF_PAGES = [
    "The river authority inspected the northern dam in March. Engineers found two cracks in "
    "the spillway and ordered repairs before the spring floods.",
    "Repairs cost four million dollars. The contractor finished the spillway work in June, "
    "three weeks ahead of the schedule agreed with the authority.",
    "In August the authority opened a visitor centre beside the dam. It shows how the "
    "turbines turn falling water into electricity for the valley.",
]


def pdf_bytes(pages: list[str] = PDF_PAGES, title: str = "Dam Inspection Report") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=title)
    style = getSampleStyleSheet()["BodyText"]
    story: list = []
    for i, text in enumerate(pages):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(text, style))
    doc.build(story)
    return buf.getvalue()


def encrypted_pdf_bytes(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx(path: Path, heading: str, paragraphs: list[str],
               table: list[list[str]] | None = None) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.rows[r].cells[c].text = value
    document.save(path)
    return path
