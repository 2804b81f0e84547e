"""Every format, recognised by content, ingested into a real index with exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import Cleaner
from index.formats import UnreadableFile, extract_html, sniff
from index.loaders import load_document
from index.types import Document
from rag.factory import build_pipeline
from tests.helpers import make_settings
from tests.files import PDF_PAGES, pdf_bytes, write_docx

HTML = """<!DOCTYPE html>
<html><head><title>Harbour  News &amp; Notes</title><style>p {color: red}</style>
<script>var tracking = "do not index";</script></head>
<body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<h1>The harbour reopens</h1>
<p>The <b>harbour</b> reopened on Monday after
   six weeks of dredging.</p>
<p>Fishing boats &amp; ferries returned the same day.</p>
<ul><li>Ferries: hourly</li><li>Fishing: from dawn</li></ul>
<footer>Copyright the Harbour Gazette</footer></body></html>
"""
MARKDOWN = "# Orchard Guide\n\nApple trees need \\$40 of <em>pruning</em>  shears.\n\nRead More\n\nPears ripen in September.\n"
TEXT = "Library hours\n\nThe library opens at nine and closes at six on weekdays.\n"
DOCX_PARAGRAPHS = ["The school board approved a new timetable for the autumn term.",
                   "Classes will start at half past eight from September."]


def source_of(chunk_text: str, original: str, start: int, end: int) -> str:
    """What the chunk says the original span is, cleaned the way ingestion cleans it."""
    doc = Document(doc_id="span", title="", text=original[start:end], source_path="",
                   mtime=0.0, content_hash="0" * 64)
    return Cleaner().clean(doc).text


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, embedder):
    corpus = tmp_path_factory.mktemp("mixed")
    (corpus / "page.html").write_text(HTML)
    (corpus / "no-extension-page").write_text(HTML.replace("<title>Harbour  News &amp; Notes"
                                                           "</title>", ""))
    (corpus / "guide.md").write_text(MARKDOWN)
    (corpus / "hours.txt").write_text(TEXT)
    (corpus / "report.pdf").write_bytes(pdf_bytes())
    (corpus / "scan-named-as.txt").write_bytes(pdf_bytes(title="Disguised PDF"))
    write_docx(corpus / "minutes.docx", "Board Minutes", DOCX_PARAGRAPHS,
               table=[["Term", "Start"], ["Autumn", "8:30"]])
    # small chunks so the PDF's chunks fall within pages
    settings = make_settings(tmp_path_factory.mktemp("mixed-data"),
                             chunking={"chunk_size": 40, "chunk_overlap": 5})
    pipeline = build_pipeline(settings, embedder=embedder)
    report = pipeline.ingest.sync(corpus)
    return corpus, pipeline, report


def test_every_format_is_ingested_by_content(mixed):
    _, pipeline, report = mixed
    assert report.failed == {}
    assert len(report.added) == 7
    docs = pipeline.store.documents()
    assert {d: r.format for d, r in docs.items()} == {
        "page.html": "html", "no-extension-page": "html", "guide.md": "markdown",
        "hours.txt": "text", "report.pdf": "pdf", "scan-named-as.txt": "pdf",
        "minutes.docx": "docx",
    }
    assert docs["page.html"].title == "Harbour News & Notes"
    assert docs["no-extension-page"].title == "The harbour reopens"  # from <h1>
    assert docs["guide.md"].title == "Orchard Guide"
    assert docs["hours.txt"].title == "Library hours"
    assert docs["report.pdf"].title == "Dam Inspection Report"
    assert docs["scan-named-as.txt"].title == "Disguised PDF"
    assert docs["minutes.docx"].title == "Board Minutes"
    for record in docs.values():
        assert len(record.content_hash) == 64 and record.mtime > 0 and record.source_path


def test_html_text_form_has_no_markup_scripts_or_navigation(mixed):
    _, pipeline, _ = mixed
    text = pipeline.store.document_text("page.html")
    assert "The harbour reopened on Monday after six weeks of dredging." in text
    assert "Fishing boats & ferries returned the same day." in text
    assert "Ferries: hourly" in text
    for noise in ("<", "tracking", "color: red", "Home", "Copyright"):
        assert noise not in text, noise


def test_pdf_pages_and_docx_paragraphs(mixed):
    _, pipeline, _ = mixed
    pdf_text = pipeline.store.document_text("report.pdf")
    chunks = pipeline.store.document_chunks("report.pdf")
    assert len(chunks) >= 3
    first_words = [" ".join(p.split()[:4]) for p in PDF_PAGES]
    for c in chunks:
        pages = range(c.metadata["page_start"], c.metadata["page_end"] + 1)
        assert 1 <= pages.start and pages.stop - 1 <= 3
        for number, opening in enumerate(first_words, start=1):
            if opening in " ".join(c.text.split()):
                assert number in pages, (opening, c.metadata)
    last = chunks[-1]
    assert last.metadata["page_start"] == last.metadata["page_end"] == 3
    assert "visitor centre" in " ".join(pdf_text.split())
    assert pipeline.store.document("report.pdf").extra == {"pages": 3}

    docx_text = pipeline.store.document_text("minutes.docx")
    assert docx_text.splitlines()[:3] == ["# Board Minutes", *DOCX_PARAGRAPHS]  # its heading
    # the table through index.tables: its caption the heading above, each row naming its columns
    assert "Board Minutes\nAutumn | Start: 8:30" in docx_text


def test_every_chunk_maps_back_to_its_exact_source_span(mixed):
    corpus, pipeline, _ = mixed
    checked = 0
    for doc_id, record in pipeline.store.documents().items():
        original = pipeline.store.document_text(doc_id)
        if record.format in {"text", "markdown"}:
            assert original == (corpus / doc_id).read_text()  # the file itself
        for c in pipeline.store.document_chunks(doc_id):
            assert 0 <= c.start < c.end <= len(original)
            assert source_of(c.text, original, c.start, c.end) == c.text, (doc_id, c.index)
            checked += 1
    assert checked >= 10


def test_sample_corpus_offsets_are_exact(seeded, corpus_dir: Path):
    for doc_id in seeded.store.documents():
        original = (corpus_dir / doc_id).read_text(encoding="utf-8")
        for c in seeded.store.document_chunks(doc_id):
            assert source_of(c.text, original, c.start, c.end) == c.text, (doc_id, c.index)


def test_format_is_sniffed_from_content_and_misnamed_binaries_are_named(tmp_path: Path):
    assert sniff(pdf_bytes(), ".txt") == "pdf"
    docx_path = write_docx(tmp_path / "x.bin", "T", ["p"])
    assert sniff(docx_path.read_bytes(), ".bin") == "docx"
    assert sniff(b"<!doctype html><p>x</p>", "") == "html"
    with pytest.raises(UnreadableFile, match="not a PDF"):
        sniff(b"plain words", ".pdf")
    with pytest.raises(UnreadableFile, match="PNG image"):
        sniff(b"\x89PNG\r\n\x1a\n....", ".txt")
    (tmp_path / "latin.html").write_bytes(
        '<html><head><meta charset="iso-8859-1"></head><body><p>Caf\xe9</p></body></html>'
        .encode("latin-1"))
    assert load_document(tmp_path / "latin.html", tmp_path).text == "Café"


def test_html_pre_blocks_keep_their_lines():
    extracted = extract_html(b"<html><body><pre>a  b\n  c</pre><p>x\ny</p></body></html>")
    assert extracted.text == "```\na  b\n  c\n```\n\nx y"  # fenced as Markdown writes code
