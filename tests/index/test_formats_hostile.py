"""Hostile and wrong files of the formats of index/readers/: zip bombs, XML entity bombs, wrong
extensions, corrupt parts, sheets too large to hold, mail with 10,000 attachments or a huge
header. Each is refused with a reason naming the cause, or read within its bounds."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

import index.formats as formats
import index.readers.mail as mail
import index.readers.sheets as sheets
from index.errors import UnreadableFile
from index.formats import extract, sniff
from tests.files import billion_laughs, docx_bytes, rezip
from tests.office_files import eml_bytes, epub_bytes, odt_bytes, ods_bytes, pptx_bytes, xlsx_bytes

PACKAGES = {  # format -> (bytes, its main XML part, its label)
    "pptx": (pptx_bytes, "ppt/presentation.xml", "PPTX"),
    "xlsx": (xlsx_bytes, "xl/workbook.xml", "XLSX"),
    "ods": (ods_bytes, "content.xml", "ODS"),
    "odt": (odt_bytes, "content.xml", "ODT"),
    "epub": (epub_bytes, "EPUB/content.opf", "EPUB"),
}


def refused(data: bytes, suffix: str) -> str:
    """The reason sniffing and extracting give (one of them must refuse)."""
    with pytest.raises(UnreadableFile) as caught:
        extract(data, sniff(data, suffix))
    return str(caught.value)


@pytest.mark.parametrize("fmt", PACKAGES)
def test_zip_bomb_refused_before_the_library_inflates_it(fmt: str):
    make, _, label = PACKAGES[fmt]
    bomb = rezip(make(), inflating={"media/zeros.bin": 12 << 20})  # 12 MB at ~1000:1
    reason = refused(bomb, f".{fmt}")
    assert reason.startswith(f"{label} refused: part media/zeros.bin inflates"), reason
    assert "possible zip bomb" in reason


@pytest.mark.parametrize("fmt", PACKAGES)
def test_xml_entity_bomb_refused(fmt: str):
    make, part, label = PACKAGES[fmt]
    reason = refused(rezip(make(), {part: billion_laughs()}), f".{fmt}")
    assert reason.startswith(f"{label} refused: part {part} declares"), reason
    assert "possible XML entity bomb" in reason


def test_epub_allows_an_xhtml_doctype_but_no_entity():
    data = epub_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        chapter = zf.read("EPUB/birds.xhtml")
    assert b"<!DOCTYPE html>" in chapter  # ebooklib writes one: genuine books have it
    assert extract(data, "epub").title == "Field guide"
    reason = refused(rezip(data, {"EPUB/birds.xhtml": billion_laughs()}), ".epub")
    assert reason.startswith("EPUB refused: part EPUB/birds.xhtml declares an entity")


@pytest.mark.parametrize("fmt", PACKAGES)
def test_a_part_that_is_not_xml_is_named(fmt: str):
    make, part, label = PACKAGES[fmt]
    reason = refused(rezip(make(), {part: b"plain words, no markup"}), f".{fmt}")
    assert reason == (f"corrupt {label}: part {part} is not XML (it starts with "
                      "b'plain words, no mark')")


@pytest.mark.parametrize("fmt", PACKAGES)
def test_truncated_package_and_text_under_a_package_name(fmt: str):
    make, _, label = PACKAGES[fmt]
    data = make()
    assert refused(data[: len(data) // 2], f".{fmt}").startswith(
        f"corrupt {label} (not a readable ZIP archive, truncated or damaged")
    assert refused(b"Minutes typed in a text editor.", f".{fmt}") == (
        f"named .{fmt} but the content is not a {label} file (no {label} header)")


def test_wrong_extensions_read_by_content_or_named():
    assert sniff(xlsx_bytes(), ".docx") == "xlsx" and sniff(pptx_bytes(), ".xlsx") == "pptx"
    assert sniff(docx_bytes("T", ["p"]), ".pptx") == "docx"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("notes.txt", "hello")
    assert refused(plain_zip.getvalue(), ".xlsx") == \
        "named .xlsx but the content is not a XLSX file (ZIP archive)"
    assert refused(b"\x89PNG\r\n\x1a\n" + bytes(64), ".pptx") == \
        "named .pptx but the content is not a PPTX file (PNG image)"
    odp = rezip(odt_bytes(), {"mimetype": b"application/vnd.oasis.opendocument.presentation"})
    assert refused(odp, ".odp").startswith("unsupported file type (OpenDocument presentation")


def test_ole_files_are_named_not_guessed():
    assert refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ".xls").startswith(
        "corrupt OLE file (legacy Office or Outlook")
    assert refused(b"plain words", ".msg") == \
        "named .msg but the content is not a Outlook .msg file (no Outlook .msg header)"


def test_sheet_rows_and_cells_are_bounded(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    assert refused(xlsx_bytes(rows_per_sheet=3), ".xlsx") == (
        "XLSX refused: over the limit of 3 rows with data (reached in sheet 'Costs'); split the "
        "file or keep only the rows to index")
    monkeypatch.setattr(sheets, "MAX_ROWS", 100)
    monkeypatch.setattr(sheets, "MAX_CELLS", 5)
    assert refused(xlsx_bytes(), ".xlsx").startswith(
        "XLSX refused: over the limit of 5 cells with data (reached in sheet 'Costs')")
    monkeypatch.setattr(sheets, "MAX_CELLS", 1000)
    assert refused(b"a,b\n" * 101, ".csv").startswith("CSV refused: over the limit of 100 rows")


def test_a_stray_cell_far_down_is_not_walked_to(monkeypatch):
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"], book.active["B1"], book.active["A5000"] = "Item", "Cost", "stray"
    buf = io.BytesIO()
    book.save(buf)
    monkeypatch.setattr(sheets, "MAX_SCANNED_ROWS", 1000)
    assert refused(buf.getvalue(), ".xlsx").startswith(
        "XLSX refused: over the limit of 1,000 rows (empty ones included)")


def test_ods_repeating_a_value_a_billion_times_is_refused():
    from odf.table import TableCell, TableRow
    from odf.text import P

    row = TableRow(numberrowsrepeated=10**9)
    cell = TableCell()
    cell.addElement(P(text="again"))
    row.addElement(cell)
    assert refused(ods_bytes([row]), ".ods").startswith(
        "ODS refused: over the limit of 1,048,576 rows (empty ones included) (reached in sheet "
        "'Costs')")


def test_csv_that_is_not_utf8_or_has_a_giant_field():
    assert refused("Caf\u00e9;3\n".encode("latin-1"), ".csv") == (
        'CSV: not valid UTF-8 (bad byte at offset 3); save it as "CSV UTF-8"')
    assert refused(b'a,b\n"' + b"x" * 200_000 + b'",1\n', ".csv").startswith(
        "corrupt CSV (line 2: field larger than field limit")


@pytest.mark.slow  # builds and parses a 10,000-attachment mail (~10 s)
def test_mail_with_ten_thousand_attachments_keeps_a_bounded_number():
    got = extract(eml_bytes(attachments=10_000, html=False), "eml")
    assert len(got.attachments) == mail.MAX_ATTACHMENTS == 100
    line = next(ln for ln in got.text.splitlines() if ln.startswith("Attachments: "))
    assert line.startswith("Attachments: quote.pdf, costs-1.csv, ")
    assert line.endswith(" and 9,800 more") and "not kept: over the limit of 100" in line


def test_oversized_attachment_is_named_not_kept(monkeypatch):
    monkeypatch.setattr(mail, "MAX_ATTACHMENT_BYTES", 3)
    got = extract(eml_bytes(attachments=1, html=False), "eml")
    assert got.attachments == () and "quote.pdf (not kept: 0.0 MB, over the 0 MB limit)" in \
        got.text


def test_huge_mail_header_and_text_named_eml_are_refused():
    header = b"From: a@example.org\nSubject: x\nDate: Tue, 05 Mar 2024 14:30:00 +0100\n" + \
        b"X-Junk: " + b"y" * 300_000 + b"\n\nbody\n"
    assert refused(header, ".eml") == (
        "mail (.eml) refused: its header is over 256 KB (no blank line ends it within that)")
    assert refused(b"Dear all, the meeting moves to Friday.", ".eml").startswith(
        "named .eml but the content is not a mail message")


def test_mbox_over_its_message_limit_is_refused(monkeypatch):
    monkeypatch.setattr(mail, "MAX_MESSAGES", 2)
    one = eml_bytes(attachments=0, html=False)
    box = b"".join(b"From a@example.org Tue Mar  5 14:30:00 2024\n" + one + b"\n"
                   for _ in range(3))
    assert refused(box, ".mbox") == \
        "mailbox (.mbox) refused: 3 messages, over the limit of 2; split it"


@pytest.mark.parametrize("fmt", ["pptx", "xlsx", "ods", "odt", "epub", "csv", "eml", "mbox",
                                 "msg"])
def test_any_exception_of_a_new_reader_becomes_that_files_failure(monkeypatch, fmt: str):
    def reader(data: bytes):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(formats._EXTRACTORS, fmt, reader)
    with pytest.raises(UnreadableFile, match=rf"^corrupt {re.escape(formats._LABELS[fmt])} "
                                             r"\(RecursionError"):
        extract(b"whatever", fmt)
