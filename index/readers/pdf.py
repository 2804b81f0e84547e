"""The PDF reader: text layers by pypdf, ruled tables by pdfplumber, scans by OCR.

pypdf reads every page's text layer (fast, in the order the page draws its text, which keeps
columns apart), less type too small to read (index/readers/pdf_hidden.py); a page whose words
it glued together is PDFium's text instead (index/readers/pdf_glued.py). Pages whose content stream draws ruling lines are then read again by pdfplumber
(index/readers/pdf_tables.py), and so are pages with a line naming three periods (the header of
an unruled table: index/readers/pdf_text_tables.py); a page where it finds a real table is written as its text outside
the tables and each table, at its position, rendered by index.tables.render (a row per line, cells
named by their headers) and recorded in ``Extracted.tables``. A page with no text layer (under
``MIN_TEXT_CHARS`` characters) that shows an image is rasterised and read by tesseract
(index/readers/ocr.py) and listed in ``Extracted.ocr_pages``. Pages are joined by a blank line and
``page_starts`` says where each begins.

Limits, each refused with its reason: ``MAX_PDF_PAGES`` (the declared count before walking the page
tree, then the real count), encrypted files, no pages, ``MAX_TEXT_CHARS`` of text, and for OCR the
limits of index/readers/ocr.py (pages per file, pixels per embedded image).
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections import Counter

from index.dates import parse_metadata
from index.errors import UnreadableFile
import index.formats as formats
from index.formats import SECTION_BREAK, Extracted
from index.readers import ocr
from index.readers.pdf_glued import unglued
from index.readers.pdf_hidden import drop_words, page_text
from index.readers.pdf_tables import FoundTable, page_blocks
from index.tables import Table, render

MAX_PDF_PAGES = 2_000
MIN_TEXT_CHARS = 20  # a page with fewer non-blank characters and an image is a scan
MIN_RULES = 6  # rectangles and straight rules a page must draw to be searched for tables
_NUM = rb"(-?[\d.]+)\s+(-?[\d.]+)\s+"
_RECT = re.compile(rb"(?<![A-Za-z*'\"])re(?=[\s\[(/<]|$)")
_SEGMENT = re.compile(_NUM + rb"m\s+" + _NUM + rb"l(?=[\s\[(/<]|$)")
_MAX_FORM_DEPTH = 3
_PERIODS = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def extract_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader

    # pypdf logs every repair it attempts ("EOF marker not found"); the reason we raise says it.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise UnreadableFile("encrypted PDF (a password is required)")
    _check_page_count(_declared_page_count(reader))  # before walking a page tree of that size
    _check_page_count(len(reader.pages))
    texts, hidden = _text_layers(reader)
    if not texts:
        raise UnreadableFile("corrupt PDF (no pages)")
    texts = unglued(data, texts, hidden)  # pages whose words pypdf glued: PDFium's text
    scanned = [i for i, page in enumerate(reader.pages)
               if len("".join(texts[i].split())) < MIN_TEXT_CHARS and _images(page)]
    ocr.check_page_count(len(scanned), "PDF")
    for i in scanned:
        for width, height in _images(reader.pages[i]):
            ocr.check_pixels(width, height, f"PDF page {i + 1}")
    ruled = [i for i, page in enumerate(reader.pages)
             if i not in scanned and (_draws_rules(page) or _names_periods(texts[i]))]
    blocks: dict[int, list[str | FoundTable]] = {i: [t] for i, t in enumerate(texts)}
    blocks.update(page_blocks(data, ruled))
    started = time.perf_counter()
    blocks.update({i: [text] for i, text in ocr.ocr_pdf_pages(data, scanned).items()})
    ocr_seconds = time.perf_counter() - started if scanned else 0.0
    full, starts, tables = _assemble([blocks[i] for i in range(len(texts))])
    if len(full) > formats.MAX_TEXT_CHARS:
        raise UnreadableFile("PDF refused: its text is over the limit of "
                             f"{formats.MAX_TEXT_CHARS:,} characters")
    if not full.strip():
        if scanned:
            raise UnreadableFile("PDF has no text: OCR found no words on its scanned pages")
        raise UnreadableFile("PDF has no text (no text layer and no scanned page images)")
    info = reader.metadata or {}
    title = metadata_title(str(info.get("/Title") or ""))
    stated = parse_metadata(info.get("/ModDate")) or parse_metadata(info.get("/CreationDate"))
    return Extracted("pdf", full, title, starts, stated or "", tables,
                     tuple(i + 1 for i in scanned), ocr_seconds)


# A PDF's /Title that its producer wrote rather than its author: "Microsoft Word - null.doc",
# "Untitled", "Document1", a file name. Such a title names no document: the text's is used.
_PRODUCER_TITLE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint|excel)\b.*|untitled\b.*|document\s*\d*|"
    r"slide\s*\d*|presentation\s*\d*|book\s*\d*|\S+\.(?:docx?|rtf|odt|pptx?|xlsx?|pdf|"
    r"tex|indd|qxd|pages))$", re.I)


def metadata_title(title: str) -> str:
    """The PDF's /Title, or "" when it is the producer's placeholder, not the document's."""
    title = " ".join(title.split())
    return "" if _PRODUCER_TITLE.match(title) else title


def _text_layers(reader: object) -> tuple[list[str], list[Counter[str]]]:
    """Each page's text, type too small to read taken out (index/readers/pdf_hidden.py), and
    the words of that type per page."""
    pages: list[str] = []
    hidden: list[Counter[str]] = []
    size = 0
    for page in reader.pages:  # type: ignore[attr-defined]
        text, tiny = page_text(page)
        pages.append(_tidy_pdf_text(drop_words(text, tiny)))
        hidden.append(tiny)
        size += len(pages[-1])
        if size > formats.MAX_TEXT_CHARS:
            raise UnreadableFile("PDF refused: its text is over the limit of "
                                 f"{formats.MAX_TEXT_CHARS:,} characters")
    return pages, hidden


def _assemble(pages: list[list[str | FoundTable]]
              ) -> tuple[str, tuple[int, ...], tuple[Table, ...]]:
    """The text form of pages given as blocks, where each page begins, and the tables written."""
    starts: list[int] = []
    tables: list[Table] = []
    parts: list[str] = []
    at = 0
    for number, page in enumerate(pages, start=1):
        starts.append(at)
        pieces: list[str] = []
        offset = at
        for block in page:
            if isinstance(block, FoundTable):
                text, table = render(block.caption, block.header, block.rows, offset, number)
                if table is not None:
                    tables.append(table)
            else:
                text = block
            if text:
                pieces.append(text)
                offset += len(text) + len(SECTION_BREAK)
        text = SECTION_BREAK.join(pieces)
        parts.append(text)
        at += len(text) + len(SECTION_BREAK)
    return SECTION_BREAK.join(parts), tuple(starts), tuple(tables)


def _declared_page_count(reader: object) -> int:
    """The page tree root's /Count (what the file claims), 0 if absent or not a number."""
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]  # type: ignore[attr-defined]
        return int(count)
    except Exception:  # a missing or odd /Count: the real count is checked next
        return 0


def _check_page_count(count: int) -> None:
    if count > MAX_PDF_PAGES:
        raise UnreadableFile(f"PDF refused: {count:,} pages, over the limit of "
                             f"{MAX_PDF_PAGES:,} pages")


def _tidy_pdf_text(text: str) -> str:
    # pypdf ends lines with spaces and pages with a newline; keep the words, drop the padding.
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _xobjects(resources: object, depth: int = 0) -> list[object]:
    """The image and form XObjects a page (or form) uses, forms' own followed a few levels."""
    try:
        table = resources.get("/XObject") if resources else None  # type: ignore[attr-defined]
        found = [x.get_object() for x in (table.get_object().values() if table else ())]
    except Exception:  # an odd resource dictionary: nothing to follow
        return []
    for x in list(found):
        if depth < _MAX_FORM_DEPTH and x.get("/Subtype") == "/Form":
            found += _xobjects(x.get("/Resources"), depth + 1)
    return found


def _images(page: object) -> list[tuple[int, int]]:
    """(width, height) in pixels of each image XObject the page shows."""
    sizes = []
    for x in _xobjects(page.get("/Resources")):  # type: ignore[attr-defined]
        if x.get("/Subtype") == "/Image":
            try:
                sizes.append((int(x.get("/Width", 0)), int(x.get("/Height", 0))))
            except (TypeError, ValueError):
                sizes.append((0, 0))
    return sizes


def _names_periods(text: str) -> bool:
    """Whether the page's text names three periods within 200 characters ("FY 2013 FY 2014 FY
    2015", one per line as a header's cells come): the header of an unruled table
    (index/readers/pdf_text_tables.py) may be there."""
    at = [m.start() for m in _PERIODS.finditer(text)]
    return any(b - a < 200 for a, b in zip(at, at[2:]))


def _draws_rules(page: object) -> bool:
    """Whether the page's content (its forms' too) draws enough rectangles and horizontal or
    vertical lines (``x y m x y l``) to hold a ruled table: a cheap screen that spares the other
    pages pdfplumber's slower parse."""
    streams = [page.get_contents()]  # type: ignore[attr-defined]
    streams += [x for x in _xobjects(page.get("/Resources"))  # type: ignore[attr-defined]
                if x.get("/Subtype") == "/Form"]
    count = 0
    for stream in streams:
        if stream is None:
            continue
        content = stream.get_data()
        count += len(_RECT.findall(content))
        count += sum(1 for x0, y0, x1, y1 in _SEGMENT.findall(content) if x0 == x1 or y0 == y1)
        if count >= MIN_RULES:
            return True
    return False
