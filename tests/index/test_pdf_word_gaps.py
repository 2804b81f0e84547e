"""Words of small type that a PDF places without space characters stay words.

A report's table cells are often set in 6- or 7-point type, each word drawn at its own place
with no space character between them. pdfplumber (which reads every page holding a table)
tells words apart by the gap between characters; with its fixed default (3 points) the words
of such type were glued ("networkof500,000 EVchargersby2030"), so neither the recogniser nor
keyword search found them. The gap now scales with the type's size (index/readers/
pdf_text_tables.WORDS). Real PDFs written by reportlab, read by the real reader; and a change of
the reader re-reads the PDFs already indexed (index.formats.READER_VERSIONS), nothing else.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import index.formats as formats
from index.formats import extract
from rag.factory import build_pipeline
from tests.helpers import make_settings

PROTOCOL = (Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" /
            "trial_protocols" / "corpus" / "NCT06149832_Prot_000.pdf")
SIZE = 6.0  # points
GAP = 1.6  # points between words: under pdfplumber's default 3, over 0.15 of the type's size
CELL = ["Build", "a", "national", "network", "of", "500,000", "EV", "chargers", "by", "2030"]
PROSE = ["Targets", "are", "reviewed", "every", "spring", "by", "the", "transit", "board."]


def _words(canvas, x: float, y: float, words: list[str]) -> None:
    """Each word drawn on its own, no space character between: as many reports' PDFs do."""
    for word in words:
        canvas.drawString(x, y, word)
        x += canvas.stringWidth(word, "Helvetica", SIZE) + GAP


def small_type_pdf() -> bytes:
    """A page with a ruled table (a header row, two rows) in 6-point type and a prose line
    above it, every word placed separately."""
    from reportlab.pdfgen import canvas as pdf_canvas

    buf = io.BytesIO()
    c = pdf_canvas.Canvas(buf, pagesize=(400, 300))
    c.setFont("Helvetica", SIZE)
    _words(c, 20, 260, PROSE)
    xs, ys = [20, 200, 260, 380], [240, 225, 210, 195]
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for row, (label, target, actual) in enumerate(
            [(["KPI", "description"], ["Target"], ["Actual"]),
             (CELL, ["500,000"], ["120,000"]),
             (["Zero-emission", "buses", "in", "service"], ["7,500"], ["3,100"])]):
        y = ys[row] - 10
        _words(c, xs[0] + 3, y, label)
        _words(c, xs[1] + 3, y, target)
        _words(c, xs[2] + 3, y, actual)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_words_of_small_type_in_a_table_and_beside_it_stay_apart():
    read = extract(small_type_pdf(), "pdf")
    assert len(read.tables) == 1  # the page went through pdfplumber (a ruled table)
    rows = [r.cells for r in read.tables[0].rows]
    assert rows[0][0] == " ".join(CELL)  # not "Buildanational networkof500,000 ..."
    assert rows[1][0] == "Zero-emission buses in service"
    assert " ".join(PROSE) in read.text


def test_a_word_set_tight_is_not_split():
    """The ratio splits only at gaps wider than 0.15 of the type's size: the letters of one
    word (drawn as one string, kerned as the font spaces them) stay one word."""
    read = extract(small_type_pdf(), "pdf")
    assert "Zero-emission" in read.text and "chargers" in read.text
    assert "Zero - emission" not in read.text and "char gers" not in read.text


def test_a_changed_reader_re_reads_its_format_only(tmp_path: Path, embedder,
                                                  monkeypatch: pytest.MonkeyPatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.pdf").write_bytes(small_type_pdf())
    # a format without a reader version (index.formats.READER_VERSIONS): CSV
    (corpus / "note.csv").write_text("Board,Meets\nTransit board,every spring\n")
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest.sync(corpus)
    before = pipeline.store.documents()
    assert before["note.csv"].content_hash == _sha256(corpus / "note.csv")  # bytes alone
    assert before["report.pdf"].content_hash != _sha256(corpus / "report.pdf")  # + the reader
    # the bytes' own hash is kept beside it (service/originals.py serves a file by it)
    assert before["report.pdf"].file_hash == _sha256(corpus / "report.pdf")
    assert before["note.csv"].file_hash == _sha256(corpus / "note.csv")

    again = pipeline.ingest.sync(corpus)  # nothing changed: nothing re-read
    assert sorted(again.unchanged) == ["note.csv", "report.pdf"] and not again.updated

    monkeypatch.setitem(formats.READER_VERSIONS, "pdf", "a later PDF reader")
    report = pipeline.ingest.sync(corpus)
    assert report.updated == ["report.pdf"] and report.unchanged == ["note.csv"]
    after = pipeline.store.documents()
    assert after["report.pdf"].content_hash != before["report.pdf"].content_hash
    assert after["note.csv"].content_hash == before["note.csv"].content_hash
    assert after["report.pdf"].file_hash == before["report.pdf"].file_hash
    chunks = pipeline.store.document_chunks("report.pdf")
    assert any("network of 500,000 EV chargers" in c.text for c in chunks)


def test_a_page_pypdf_glued_is_read_by_pdfium_and_only_then():
    """The decision, with the real PDFium over a real page: pypdf's text of it glued (its words
    run together, as pypdf reads some PDFs) is replaced by PDFium's; pypdf's own text of a page
    it reads well is kept as it is."""
    from pypdf import PdfReader

    from index.readers.pdf_glued import unglued

    data = small_type_pdf()
    kept = (PdfReader(io.BytesIO(data)).pages[0].extract_text() or "").strip()
    glued = "".join(kept.split())
    assert unglued(data, [kept]) == [kept]
    read = unglued(data, [glued])[0]
    assert read != glued and " ".join(PROSE) in " ".join(read.split())


def test_a_file_pdfium_cannot_open_keeps_pypdf_s_text():
    from index.readers.pdf_glued import unglued

    assert unglued(b"%PDF-1.4 not a document PDFium opens", ["pypdf's text"]) == ["pypdf's text"]


@pytest.mark.skipif(not PROTOCOL.exists(), reason="shared corpus not present")
def test_a_protocol_pypdf_glues_reads_as_words():
    """A shared trial protocol whose glyphs are each placed on their own (CID font, one TD per
    letter): pypdf read "pain.Atpresent,thetreatmentoforalcGVHDisbasedon"."""
    text = " ".join(extract(PROTOCOL.read_bytes(), "pdf").text.split())
    assert "At present, the treatment of oral cGVHD is based on systemic treatment" in text


def test_letters_drawn_over_themselves_read_once():
    """A heading "bolded" by drawing it four times a hair apart, on a page with a ruled table
    (read by pdfplumber): its letters once, not "TTTTrrrraaaa..."."""
    from reportlab.pdfgen import canvas as pdf_canvas

    buf = io.BytesIO()
    c = pdf_canvas.Canvas(buf, pagesize=(400, 300))
    c.setFont("Helvetica", 12)
    for dx in (0, 0.1, 0.2, 0.3):
        c.drawString(20 + dx, 260, "Transforming hiring")
    xs, ys = [20, 200, 300], [240, 220, 200]
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for row, cells in enumerate([("Measure", "2019"), ("Days to hire", "98")]):
        c.drawString(xs[0] + 3, ys[row] - 14, cells[0])
        c.drawString(xs[1] + 3, ys[row] - 14, cells[1])
    c.showPage()
    c.save()
    read = extract(buf.getvalue(), "pdf")
    assert len(read.tables) == 1
    assert "Transforming hiring" in read.text and "TTTT" not in read.text


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
