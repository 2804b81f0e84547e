"""OCR: scanned PDF pages and image files read by the real tesseract, with their page numbers,
and every way it can fail named (no tesseract, too many pages, decompression bombs)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import index.readers.ocr as ocr
from index.errors import UnreadableFile
from index.formats import extract, sniff
from index.loaders import load_document
from tests.files import pdf_bytes
from tests.helpers import SHARED
from tests.scans import (SCAN_PAGES, bomb_png, image_bomb_pdf, needs_ocr_tools, page_images,
                         scanned, word_accuracy)

SCANNED_PROTOCOL = SHARED / "benchmarks/trial_protocols/corpus/NCT06155240_Prot_SAP_000.pdf"


@pytest.fixture(scope="module")
def original() -> bytes:
    return pdf_bytes(SCAN_PAGES, title="Harbour Commission Minutes")


@pytest.fixture(scope="module")
def scan(original: bytes, tmp_path_factory) -> bytes:
    needs_ocr_tools()
    return scanned(original, tmp_path_factory.mktemp("scan"))


def page_texts(text: str, starts: tuple[int, ...]) -> list[str]:
    ends = [*starts[1:], len(text)]
    return [text[s:e] for s, e in zip(starts, ends)]


@pytest.mark.slow  # runs the real tesseract
def test_a_scanned_pdf_reads_by_ocr_with_its_pages(scan: bytes):
    plain = extract(pdf_bytes(SCAN_PAGES), "pdf")
    assert plain.ocr_pages == ()  # a text layer is never OCR'd
    read = extract(scan, sniff(scan, ".pdf"))
    assert read.format == "pdf" and read.ocr_pages == (1, 2)
    assert len(read.page_starts) == 2
    for expected, got in zip(SCAN_PAGES, page_texts(read.text, read.page_starts)):
        assert word_accuracy(expected, got) >= 0.95, (expected, got)
    # each sentence's page is the page its words are read on
    assert "lighthouse" in page_texts(read.text, read.page_starts)[0].lower()
    assert "september" in page_texts(read.text, read.page_starts)[1].lower()


@pytest.mark.slow  # runs the real tesseract
def test_a_mixed_pdf_ocrs_only_its_scanned_pages(original: bytes, scan: bytes):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(original)).pages[0])  # text layer
    writer.add_page(PdfReader(io.BytesIO(scan)).pages[1])  # scan
    out = io.BytesIO()
    writer.write(out)
    read = extract(out.getvalue(), "pdf")
    assert read.ocr_pages == (2,)
    first, second = page_texts(read.text, read.page_starts)
    assert first.startswith("The harbour commission met")  # pypdf's text, exactly
    assert word_accuracy(SCAN_PAGES[1], second) >= 0.95


@pytest.mark.parametrize("fmt,suffix", [("png", ".png"), ("jpeg", ".jpg"), ("tiff", ".tif")])
@pytest.mark.slow  # runs the real tesseract
def test_image_files_are_read_by_ocr(original: bytes, tmp_path: Path, fmt: str, suffix: str):
    needs_ocr_tools()
    image = page_images(original, tmp_path / "pages", fmt=fmt)[0]
    named = tmp_path / "corpus" / f"minutes{suffix}"
    named.parent.mkdir()
    named.write_bytes(image.read_bytes())
    document = load_document(named, named.parent)
    assert document.format == "image" and document.ocr_pages == (1,)
    assert document.page_starts == (0,) and document.page_at(5) == 1
    assert word_accuracy(SCAN_PAGES[0], document.text) >= 0.95


@pytest.mark.slow  # runs the real tesseract
def test_a_multi_page_tiff_keeps_its_pages(original: bytes, tmp_path: Path):
    from PIL import Image

    needs_ocr_tools()
    frames = [Image.open(p) for p in page_images(original, tmp_path, fmt="png")]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    read = extract(out.getvalue(), sniff(out.getvalue(), ".tiff"))
    assert read.ocr_pages == (1, 2) and len(read.page_starts) == 2
    for expected, got in zip(SCAN_PAGES, page_texts(read.text, read.page_starts)):
        assert word_accuracy(expected, got) >= 0.95


@pytest.mark.slow  # runs the real tesseract
def test_the_shared_scanned_protocol_now_yields_text():
    if not SCANNED_PROTOCOL.is_file():
        pytest.skip(f"shared benchmark not found: {SCANNED_PROTOCOL}")
    needs_ocr_tools()
    read = extract(SCANNED_PROTOCOL.read_bytes(), "pdf")
    assert read.ocr_pages == (1,)
    text = read.text.lower()
    for word in ("yoga", "protocol", "breathing", "week"):  # a sideways scan, read upright
        assert word in text, word


def test_missing_tesseract_names_the_package(monkeypatch, scan: bytes):
    monkeypatch.setattr(ocr, "TESSERACT", "no-such-tesseract-program")
    with pytest.raises(UnreadableFile, match=r"tesseract program, which is not installed "
                                             r"\(Debian: apt-get install tesseract-ocr\)"):
        extract(scan, "pdf")


def test_ocr_page_limit(monkeypatch, scan: bytes):
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 1)
    with pytest.raises(UnreadableFile, match=r"^PDF refused: 2 pages need OCR, over the limit "
                                             r"of 1 pages$"):
        extract(scan, "pdf")


def test_ocr_time_limit(monkeypatch, scan: bytes):
    monkeypatch.setattr(ocr, "OCR_TIMEOUT_S", 0.01)
    with pytest.raises(UnreadableFile, match=r"^OCR of page 1 took over 0.01 s \(the limit\)$"):
        extract(scan, "pdf")


@pytest.mark.parametrize("width,height", [(10_000, 10_000), (100_000, 100_000)])
def test_decompression_bomb_images_are_refused_before_decoding(width: int, height: int):
    data = bomb_png(width, height)
    assert sniff(data, ".png") == "image"
    with pytest.raises(UnreadableFile, match=r"^(PNG )?image refused: .*over the limit of "
                                             r"89,478,485 pixels \(possible decompression bomb\)$"):
        extract(data, "image")


def test_a_pdf_page_image_bomb_is_refused_before_rendering():
    with pytest.raises(UnreadableFile, match=r"^PDF page 1 refused: an image of 100,000 x "
                                             r"100,000 pixels, over the limit"):
        extract(image_bomb_pdf(), "pdf")


def test_images_are_sniffed_by_content_and_name():
    png = bomb_png(10, 10)
    assert sniff(png, ".png") == sniff(png, ".JPG") == "image"  # content decides the decoder
    assert sniff(b"II*\x00" + bytes(20), ".tiff") == "image"
    with pytest.raises(UnreadableFile, match=r"^named .pdf but the content is not a PDF file "
                                             r"\(PNG image\)$"):
        sniff(png, ".pdf")
    with pytest.raises(UnreadableFile, match=r"^named .png but the content is not an image "
                                             r"file \(no PNG, JPEG or TIFF header\)$"):
        sniff(b"Plain words.", ".png")
    with pytest.raises(UnreadableFile, match=r"^unsupported file type \(PNG image\) named .txt: "
                                             r"images are read by OCR when named .jpeg"):
        sniff(png, ".txt")
    with pytest.raises(UnreadableFile, match=r"^unsupported file type \(GIF image\)$"):
        sniff(b"GIF89a" + bytes(20), ".gif")


QUESTIONS = ["When did the harbour commission meet?", "How much will the new pier cost?",
             "When does the contractor expect to finish the pier?"]


@pytest.mark.slow  # the real bundled model and a real Chroma index, twice
def test_a_scanned_copy_answers_like_the_original(original: bytes, scan: bytes, embedder,
                                                  tmp_path: Path):
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    answers = {}
    for name, data in (("original", original), ("scan", scan)):
        corpus = tmp_path / name / "corpus"
        corpus.mkdir(parents=True)
        (corpus / "minutes.pdf").write_bytes(data)
        pipeline = build_pipeline(make_settings(tmp_path / name / "data"), embedder=embedder)
        report = pipeline.ingest.sync(corpus)
        assert report.failed == {} and report.added == ["minutes.pdf"], report
        answers[name] = [pipeline.answers.answer(q) for q in QUESTIONS]
    for question, plain, ocrd in zip(QUESTIONS, answers["original"], answers["scan"]):
        assert not plain.refused and not ocrd.refused, question
        assert " ".join(ocrd.answer.split()) == " ".join(plain.answer.split()), question
        assert [c.doc_id for c in ocrd.citations] == [c.doc_id for c in plain.citations] \
            == ["minutes.pdf"], question


def test_an_ingest_shows_ocr_time_and_marks_the_record(scan: bytes, tmp_path: Path, embedder):
    from cli.index_commands import ProgressBars
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "minutes-scan.pdf").write_bytes(scan)
    events: list[tuple[str, int]] = []
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest.sync(folder, progress=lambda e, n: events.append((e, n)))
    assert ("ocr_pages", 2) in events
    ms = [n for e, n in events if e == "ocr_ms"]
    assert len(ms) == 1 and ms[0] > 0
    record = pipeline.store.documents()["minutes-scan.pdf"]
    assert record.extra["ocr_pages"] == [1, 2] and record.extra["ocr_seconds"] > 0
    assert record.extra["pages"] == 2
    out = io.StringIO()
    with ProgressBars(stream=out, delay=0) as bars:
        for event, amount in events:
            bars.update(event, amount)
        assert bars.ocr_note() == (f"OCR 2 pages in {ms[0] / 1000:.1f} s "
                                   f"({ms[0] / 2000:.2f} s/page)")


def test_a_bullet_tesseract_reads_as_a_letter_is_a_bullet_again():
    read = ("SECONDARY SPECIFIC AIMS:\nTo evaluate:\ne Overall Survival.\ne Disease-Free Survival."
            "\n  ¢ Weight\nThe value of e is 2.718.\ne.g. Fever\n¢ 5 mg")
    assert ocr.tidy(read).splitlines() == [
        "SECONDARY SPECIFIC AIMS:", "To evaluate:", "• Overall Survival.",
        "• Disease-Free Survival.", "  • Weight", "The value of e is 2.718.", "e.g. Fever",
        "• 5 mg"]
