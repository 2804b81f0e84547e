"""Documents as staff have them: slides, spreadsheets, OpenDocument, e-books, mail, and the HTML
and DOCX tables, each read from a real file into its text form, tables with exact offsets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from index.formats import Extracted, extract, extract_html, sniff
from index.loaders import load_document
from index.tables import row_line
from tests.files import write_docx
from tests.office_files import (eml_bytes, epub_bytes, odt_bytes, ods_bytes, pptx_bytes,
                                xlsx_bytes)


def assert_tables_exact(extracted: Extracted) -> None:
    """Every table's span is its text, every row's span its line (what citations rely on)."""
    assert extracted.tables
    for table in extracted.tables:
        span = extracted.text[table.start:table.end]
        assert span.startswith(table.caption) and span.endswith(
            extracted.text[table.rows[-1].start:table.rows[-1].end])
        for row in table.rows:
            assert extracted.text[row.start:row.end] == row_line(table.header, row.cells)


def test_pptx_slides_titles_tables_and_notes_in_order():
    data = pptx_bytes()
    assert sniff(data, ".bin") == "pptx"
    got = extract(data, "pptx")
    assert got.text == ("Slide 1: Roof repairs 2024\n- The church roof leaks\n- Slates come from Wales"
                        "\nRoof repairs 2024\nSlates | Cost: $40,000\nLabour | Cost: $12,500\n"
                        "Notes: Mention the heritage grant.\n\nSlide 2\nQuestions welcome")
    assert got.title == "Budget deck" and got.date == "2024-04-02T09:30:00Z"
    assert [t.header for t in got.tables] == [("Item", "Cost")]
    assert_tables_exact(got)


def test_pptx_generic_title_gives_way_to_the_first_slides():
    assert extract(pptx_bytes(title="PowerPoint Presentation"), "pptx").title == \
        "Roof repairs 2024"


def test_xlsx_each_sheet_a_table_named_by_the_sheet():
    data = xlsx_bytes()
    assert sniff(data, ".xlsx") == "xlsx" and sniff(data, ".docx") == "xlsx"  # content first
    got = extract(data, "xlsx")
    assert got.text == ("Costs\nSlates | Cost: 40000 | Due: 2024-03-01\nLabour | Cost: 12500.5"
                        "\n\nStaff\nAda | Role: Warden")
    assert [(t.caption, t.header) for t in got.tables] == [
        ("Costs", ("Item", "Cost", "Due")), ("Staff", ("Name", "Role"))]
    assert got.title == "Parish budget"
    assert_tables_exact(got)


def test_ods_sheet_with_repeats_read_without_expanding_them():
    from odf.table import TableCell, TableRow

    empty = TableRow(numberrowsrepeated=1_000_000)
    empty.addElement(TableCell(numbercolumnsrepeated=16_384))
    repeated = TableRow(numberrowsrepeated=2)
    cell = TableCell(numbercolumnsrepeated=2)
    from odf.text import P
    cell.addElement(P(text="Rent"))
    repeated.addElement(cell)
    data = ods_bytes([empty, repeated])
    assert sniff(data, "") == "ods"
    got = extract(data, "ods")
    assert got.text == ("Costs\nChairs | Cost: 300\nHeating | Cost: 1,200\nRent | Cost: Rent\n"
                        "Rent | Cost: Rent")
    assert got.title == "Hall costs" and got.date == "2024-01-15T08:00:00Z"
    assert_tables_exact(got)


@pytest.mark.parametrize("raw, header", [
    (b"name,amount\nAnna,3\nBo,4\n", ("name", "amount")),
    (b"name;amount\r\nAnna;3\r\nBo;4\r\n", ("name", "amount")),
    (b"\n\nname\tamount\nAnna\t3\nBo\t4", ("name", "amount")),
    ('"name","note"\n"Anna","says ""hi"", twice"\n"Bo","x"\n'.encode(), ("name", "note")),
])
def test_csv_is_a_table_whatever_its_delimiter(raw: bytes, header: tuple[str, ...]):
    assert sniff(raw, ".csv") == "csv"
    got = extract(raw, "csv")
    assert got.tables[0].header == header and got.tables[0].rows[0].cells[0] == "Anna"
    assert_tables_exact(got)


READ_WHOLE = {  # format -> (bytes, a suffix it is sniffed under, text form, title, date)
    # ODT: headings, paragraphs, a footnote after its paragraph, lists, a table
    "odt": (odt_bytes, ".txt", "Roof repairs\nThe roof leaks. Slates are ordered.\nNote: Since "
            "the storm of 2019.\nCall the glazier\nRoof repairs\nSlates | Cost: £900",
            "Parish minutes", "2024-02-03T10:00:00Z"),
    # EPUB: chapters in spine order (not file order), each read as HTML, with its tables
    "epub": (epub_bytes, ".zip", "# Trees\n\nOaks grow slowly.\n\n# Birds\n\nRobins sing at dawn."
             "\n\nBirds\nRobin | Colour: red breast", "Field guide", "2023-05-06"),
}


@pytest.mark.parametrize("fmt", READ_WHOLE)
def test_odt_and_epub_text_title_date_and_tables(fmt: str):
    make, suffix, text, title, stated = READ_WHOLE[fmt]
    data = make()
    assert sniff(data, suffix) == fmt
    got = extract(data, fmt)
    assert (got.text, got.title, got.date) == (text, title, stated)
    assert_tables_exact(got)


HTML_TABLES = b"""<html><body><h2>Fees</h2><p>As agreed.</p>
<table><caption>Hall hire</caption><tr><th>Room</th><th colspan="2">Rate</th></tr>
<tr><td>Main hall</td><td>\xc2\xa340</td><td>per hour</td></tr>
<tr><td>Kitchen</td><td>\xc2\xa310</td></tr></table>
<table><tr><td>Layout cell with <table><tr><th>Day</th><th>Opens</th></tr>
<tr><td>Monday</td><td>9:00</td></tr></table> after</td></tr></table>
<table><tr><td>Only one row</td><td>of two cells</td></tr></table></body></html>"""


def test_html_tables_header_caption_colspan_and_layout_tables():
    got = extract_html(HTML_TABLES)
    assert got.text == ("## Fees\n\nAs agreed.\n\nHall hire\nMain hall | Rate: £40 | Rate: per hour"
                        "\nKitchen | Rate: £10\n\nLayout cell with\n\nFees\nMonday | Opens: 9:00"
                        "\n\nafter\n\nOnly one row | of two cells")
    assert [(t.caption, t.header) for t in got.tables] == [
        ("Hall hire", ("Room", "Rate", "Rate")), ("Fees", ("Day", "Opens"))]
    assert_tables_exact(got)


def test_docx_table_through_index_tables(tmp_path: Path):
    path = write_docx(tmp_path / "m.docx", "Board Minutes", ["Agreed."],
                      table=[["Term", "Start"], ["Autumn", "8:30"], ["Spring", "9:00"]])
    got = extract(path.read_bytes(), "docx")
    assert got.text == "# Board Minutes\nAgreed.\nBoard Minutes\nAutumn | Start: 8:30\nSpring | " \
                       "Start: 9:00"
    assert_tables_exact(got)


def test_eml_headers_body_and_attachments():
    data = eml_bytes()
    assert sniff(data, "") == "eml" and sniff(data, ".eml") == "eml"
    got = extract(data, "eml")
    assert got.text == ("From: Anna Field <anna@example.org>\nTo: Bo Stone <bo@example.org>\n"
                        "Subject: Roof quote\nDate: Tue, 05 Mar 2024 14:30:00 +0100\n"
                        "Attachments: quote.pdf, costs-1.csv\n\n"
                        "The quote for the slates is attached.\nRegards, Anna")
    assert got.title == "Roof quote" and got.date == "2024-03-05T13:30:00Z"
    sender, stamp = "Anna Field <anna@example.org>", "2024-03-05T13:30:00Z"
    assert got.attachments == (("quote.pdf", b"file 0", sender, "Roof quote", stamp),
                               ("costs-1.csv", b"file 1", sender, "Roof quote", stamp))


def test_eml_with_only_an_html_body_reads_its_text():
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.org", "Rota"
    message.set_content("<p>Rota</p><table><tr><th>Day</th><th>Who</th></tr><tr><td>Mon</td>"
                        "<td>Ada</td></tr></table>", subtype="html")
    got = extract(bytes(message), "eml")
    assert got.text == "From: a@example.org\nSubject: Rota\n\nRota\n\nMon | Who: Ada"  # no heading
    assert_tables_exact(got)


def test_mbox_messages_one_after_another(tmp_path: Path):
    first = eml_bytes(attachments=1, html=False)
    second = eml_bytes(attachments=0, html=False, subject="Re: Roof quote").replace(
        b"Tue, 05 Mar 2024", b"Wed, 06 Mar 2024")
    box = (b"From anna@example.org Tue Mar  5 14:30:00 2024\n" + first + b"\n"
           b"From bo@example.org Wed Mar  6 10:00:00 2024\n" + second)
    (tmp_path / "inbox.mbox").write_bytes(box)
    assert sniff(box, "") == "mbox"
    document = load_document(tmp_path / "inbox.mbox", tmp_path)
    assert document.format == "mbox" and document.title == "Roof quote"
    assert document.text.count("From: Anna Field") == 2 and "Subject: Re: Roof quote" in \
        document.text
    assert document.date == "2024-03-06T13:30:00Z"  # the newest message's
    assert [a[:4] for a in extract(box, "mbox").attachments] == [
        ("quote.pdf", b"file 0", "Anna Field <anna@example.org>", "Roof quote")]


def test_docx_headings_and_lists_are_marked_as_markdown_marks_them(tmp_path):
    """A Word policy's numbered steps, their sub-items and a bulleted list keep their markers
    and levels (index/readers/docx_lists.py), the numbering read from the numbering part and
    counted per list."""
    import docx

    document = docx.Document()
    document.add_heading("Expenses policy", 1)
    document.add_heading("Claiming", 2)
    document.add_paragraph("To claim:")
    for text, style in [("Open the form", "List Number"), ("Attach receipts", "List Number"),
                        ("scanned", "List Bullet 2"), ("or photographed", "List Bullet 2"),
                        ("Submit", "List Number"), ("Notes:", "Normal"),
                        ("a bullet", "List Bullet")]:
        document.add_paragraph(text, style=style)
    document.save(tmp_path / "p.docx")
    got = extract((tmp_path / "p.docx").read_bytes(), "docx")
    assert got.text == ("# Expenses policy\n## Claiming\nTo claim:\n1. Open the form\n"
                        "2. Attach receipts\n   - scanned\n   - or photographed\n3. Submit\n"
                        "Notes:\n- a bullet")
    assert got.title == "Expenses policy"


def test_pptx_bullets_keep_their_markers_and_levels():
    """A body placeholder's paragraphs are bullets, indented by level; a numbered paragraph
    (``a:buAutoNum``) is counted per level; a text box's paragraph is no bullet."""
    from lxml import etree
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Priorities for 2025"
    frame = slide.placeholders[1].text_frame
    frame.text = "Hire two engineers"
    for text, level in [("one for the API", 1), ("one for the widget", 1),
                        ("Cut the support backlog", 0)]:
        paragraph = frame.add_paragraph()
        paragraph.text, paragraph.level = text, level
    box = slide.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1)).text_frame
    box.text = "Steps"
    for text in ("Open the portal", "Sign in"):
        paragraph = box.add_paragraph()
        paragraph.text = text
        etree.SubElement(paragraph._p.get_or_add_pPr(),
                         "{http://schemas.openxmlformats.org/drawingml/2006/main}buAutoNum",
                         type="arabicPeriod")
    buffer = io.BytesIO()
    deck.save(buffer)
    assert extract(buffer.getvalue(), "pptx").text == (
        "Slide 1: Priorities for 2025\n- Hire two engineers\n   - one for the API\n"
        "   - one for the widget\n- Cut the support backlog\nSteps\n1. Open the portal\n"
        "2. Sign in")
