"""Real office documents, spreadsheets, e-books and mail, written with the very libraries the
readers use (python-pptx, openpyxl, odfpy, ebooklib) or the standard library (email, csv)."""

from __future__ import annotations

import io
from datetime import datetime
from email.message import EmailMessage


def pptx_bytes(title: str = "Budget deck") -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Roof repairs 2024"
    slide.placeholders[1].text_frame.text = "The church roof leaks\nSlates come from Wales"
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    for r, row in enumerate([["Item", "Cost"], ["Slates", "$40,000"], ["Labour", "$12,500"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    slide.notes_slide.notes_text_frame.text = "Mention the heritage grant."
    blank = deck.slides.add_slide(deck.slide_layouts[6])
    box = blank.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1))
    box.text_frame.text = "Questions welcome"
    deck.core_properties.title = title
    deck.core_properties.modified = datetime(2024, 4, 2, 9, 30)
    buf = io.BytesIO()
    deck.save(buf)
    return buf.getvalue()


def xlsx_bytes(rows_per_sheet: int = 2) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Costs"
    sheet.append([])  # the header is the first row with data
    sheet.append(["Item", "Cost", "Due"])
    sheet.append(["Slates", 40000.0, datetime(2024, 3, 1)])
    sheet.append(["Labour", 12500.5, None])
    for n in range(rows_per_sheet - 2):
        sheet.append([f"Extra {n}", n])
    staff = book.create_sheet("Staff")
    staff.append(["Name", "Role"])
    staff.append(["Ada", "Warden"])
    book.properties.title = "Parish budget"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _odf_cell(value: str, **attrs):  # type: ignore[no-untyped-def]
    from odf.table import TableCell
    from odf.text import P

    cell = TableCell(**attrs)
    cell.addElement(P(text=value))
    return cell


def _odf_table(name: str, rows: list[list[str]]):  # type: ignore[no-untyped-def]
    from odf.table import Table, TableRow

    table = Table(name=name)
    for row in rows:
        element = TableRow()
        for value in row:
            element.addElement(_odf_cell(value))
        table.addElement(element)
    return table


def ods_bytes(extra_rows: list | None = None) -> bytes:
    """Sheet "Costs" (a header and two rows), then ``extra_rows`` (odfpy TableRow elements)."""
    from odf import dc
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    doc.meta.addElement(dc.Title(text="Hall costs"))
    doc.meta.addElement(dc.Date(text="2024-01-15T08:00:00"))
    table = _odf_table("Costs", [["Item", "Cost"], ["Chairs", "300"], ["Heating", "1,200"]])
    for row in extra_rows or []:
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def odt_bytes() -> bytes:
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, Note, NoteBody, NoteCitation, P, S, Span

    doc = OpenDocumentText()
    doc.meta.addElement(dc.Title(text="Parish minutes"))
    doc.meta.addElement(dc.Date(text="2024-02-03T10:00:00"))
    doc.text.addElement(H(outlinelevel=1, text="Roof repairs"))
    para = P(text="The roof leaks.")
    note = Note(noteclass="footnote")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="Since the storm of 2019."))
    note.addElement(body)
    para.addElement(note)
    para.addElement(S(c=10**9))  # a hostile space count: written as at most 100 spaces
    para.addElement(Span(text="Slates are ordered."))
    doc.text.addElement(para)
    items = List()
    item = ListItem()
    item.addElement(P(text="Call the glazier"))
    items.addElement(item)
    doc.text.addElement(items)
    doc.text.addElement(_odf_table("Quotes", [["Item", "Cost"], ["Slates", "£900"]]))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def epub_bytes() -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("field-guide-1")
    book.set_title("Field guide")
    book.set_language("en")
    book.add_metadata("DC", "date", "2023-05-06")
    birds = epub.EpubHtml(title="Birds", file_name="birds.xhtml")
    birds.content = ("<html><body><h1>Birds</h1><p>Robins sing at dawn.</p><table><tr><th>Bird"
                     "</th><th>Colour</th></tr><tr><td>Robin</td><td>red breast</td></tr></table>"
                     "</body></html>")
    trees = epub.EpubHtml(title="Trees", file_name="trees.xhtml")
    trees.content = "<html><body><h1>Trees</h1><p>Oaks grow slowly.</p></body></html>"
    book.add_item(birds)
    book.add_item(trees)
    book.spine = [trees, birds]  # spine order, not file order
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    buf = io.BytesIO()
    epub.write_epub(buf, book)
    return buf.getvalue()


def eml_bytes(attachments: int = 2, html: bool = True, subject: str = "Roof quote") -> bytes:
    message = EmailMessage()
    message["From"] = "Anna Field <anna@example.org>"
    message["To"] = "Bo Stone <bo@example.org>"
    message["Subject"] = subject
    message["Date"] = "Tue, 05 Mar 2024 14:30:00 +0100"
    message.set_content("The quote for the slates is attached.\nRegards, Anna")
    if html:
        message.add_alternative("<p>The quote for the slates is <b>attached</b>.</p>",
                                subtype="html")
    for n in range(attachments):
        name = "../../quote.pdf" if n == 0 else f"costs-{n}.csv"
        message.add_attachment(f"file {n}".encode(), maintype="application",
                               subtype="octet-stream", filename=name)
    return bytes(message)
