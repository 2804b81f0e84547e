"""Recognise a file's format from its bytes and extract its text form.

The *text form* of a document is the string every stored offset points into: a text or Markdown
file's decoded contents, an HTML page's visible text, a PDF's pages joined by a blank line (text
layers, ruled tables and OCR'd scans: index/readers/pdf.py), an image's OCR text
(index/readers/ocr.py), a DOCX's paragraphs one per line; tables, in every format, written by
index.tables (a row per line, each cell named by its column). The readers of the other formats
(presentations, spreadsheets, OpenDocument, EPUB, mail) are in index/readers/ too and are imported
when first used. Each extractor raises
:class:`UnreadableFile` with the reason in words (encrypted, corrupt, no text, ...), and
:func:`extract`, the one place that calls them, turns any other exception of a parser into an
``UnreadableFile`` naming the format, so one hostile file fails alone. Limits bound what a file may
cost: ``MAX_TEXT_CHARS`` here, the PDF and OCR limits of index/readers/, the package checks of
index/zip_safety.py for every ZIP-based format, and each reader's own (rows, cells, attachments).
"""

from __future__ import annotations

import importlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from index.errors import UnreadableFile
from index.readers.common import SECTION_BREAK
from index.readers.containers import looks_like_mail, ole_format, zip_format
from index.readers.html_text import HtmlText
from index.tables import Table

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".rst", ".log", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}  # read by OCR
# Images read by OCR, by their magic bytes (a GIF is refused: logos and animations, not scans).
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
                (b"II*\x00", "TIFF image"), (b"MM\x00*", "TIFF image"))
FORMAT_BY_SUFFIX = {
    **{s: "text" for s in TEXT_SUFFIXES},
    ".md": "markdown", ".markdown": "markdown",
    **{s: "html" for s in HTML_SUFFIXES},
    ".pdf": "pdf", ".docx": "docx", ".pptx": "pptx", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".ods": "ods", ".odt": "odt", ".epub": "epub", ".csv": "csv", ".tsv": "csv",
    ".eml": "eml", ".mbox": "mbox", ".msg": "msg",
    **{s: "image" for s in IMAGE_SUFFIXES},
}
# What, besides a file's bytes, decides the text its reader gives, per format: a format's entry
# changes when its reader reads the same bytes otherwise, so that a sync re-reads (and
# re-embeds) the files of that format instead of keeping text the reader no longer gives
# (index/ingest.py folds it into the version hash). A format absent here keeps the hash of
# its bytes alone, so the versions indexed before stay as they are.
# pdf: word gaps by type size (index/readers/pdf_text_tables.WORDS), glued pages read by PDFium
# (index/readers/pdf_glued.py), letters drawn over themselves once; pdf-3: type under 2 points
# dropped (index/readers/pdf_hidden.py). "indent-3": the cleaner keeps a list item's indentation
# (index.cleaning rule 5); the HTML, DOCX and PPTX readers write headings and lists (and HTML's
# code) as Markdown does (index/readers/html_text.py, docx_lists.py, office.py).
_INDENTED = "indent-3"
READER_VERSIONS = {"pdf": "pdf-3", "text": _INDENTED, "markdown": _INDENTED, "html": _INDENTED,
                   "epub": _INDENTED, "eml": _INDENTED, "mbox": _INDENTED, "msg": _INDENTED,
                   "docx": _INDENTED, "pptx": _INDENTED}


def reader_version(fmt: str) -> str:
    """The version of the reader of format ``fmt`` ("" for a format never re-read)."""
    return READER_VERSIONS.get(fmt, "")


def format_of_name(name: str) -> str:
    """The format a file's name announces (before its bytes are sniffed)."""
    dot = name.rfind(".")
    return FORMAT_BY_SUFFIX.get(name[dot:].lower() if dot > 0 else "", "text")


_ZIP_FORMATS = {"docx", "pptx", "xlsx", "odt", "ods", "epub"}
_BINARY_FORMATS = {"pdf", "msg", *_ZIP_FORMATS}  # a file named so must hold the format's bytes
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Binary formats we recognise only to name them in the failure reason.
_OTHER_MAGIC = (
    (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
    (b"II*\x00", "TIFF image"), (b"MM\x00*", "TIFF image"),
    (b"\x1f\x8b", "gzip archive"), (b"\x7fELF", "ELF executable"), (b"PK\x03\x04", "ZIP archive"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"), (b"RIFF", "RIFF audio/video"), (b"OggS", "Ogg media"),
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.I)
MAX_TEXT_CHARS = 50_000_000  # a text form larger than this is refused (a 20 MB file gives less)
_LABELS = {"pdf": "PDF", "image": "image", "docx": "DOCX", "html": "HTML",
           "markdown": "Markdown", "text": "text",
           "pptx": "PPTX", "xlsx": "XLSX", "ods": "ODS", "odt": "ODT", "epub": "EPUB",
           "csv": "CSV", "eml": "mail (.eml)", "mbox": "mailbox (.mbox)",
           "msg": "Outlook message (.msg)"}

__all__ = ["SECTION_BREAK", "Attachment", "Extracted", "UnreadableFile", "decode_text", "extract",
           "sniff"]


class Attachment(NamedTuple):
    """A file attached to a mail (index/readers/mail.py), with what its message says about it:
    the message's sender, subject and date (ISO 8601 via index.dates, empty if none)."""

    name: str
    data: bytes
    sender: str = ""
    subject: str = ""
    date: str = ""


@dataclass(frozen=True)
class Extracted:
    """A file's text form and what the format says about it."""

    format: str
    text: str
    title: str = ""  # empty: derive from the text
    page_starts: tuple[int, ...] = ()  # PDF: offset in ``text`` where each page begins
    date: str = ""  # the date the format's metadata gives (index.dates), empty if none
    tables: tuple[Table, ...] = ()  # the tables written into ``text`` (index.tables)
    ocr_pages: tuple[int, ...] = ()  # 1-based pages (or 1 for an image) whose text is OCR's
    ocr_seconds: float = 0.0  # time spent in OCR (rasterising and tesseract)
    # a mail's attached files, bounded (index/readers/mail.py); the ingest step indexes them
    # as documents of their own (index/attachments.py)
    attachments: tuple[Attachment, ...] = ()


def sniff(data: bytes, suffix: str) -> str:
    """The format of ``data``: by magic bytes first (a ZIP or OLE file by its members), by the
    file name's suffix second."""
    head = data[:2048]
    declared = FORMAT_BY_SUFFIX.get(suffix.lower())
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and (found := _sniff_zip(data, declared)):
        return found
    if head.startswith(_OLE_MAGIC):
        return ole_format(data)  # an Outlook message, or the reason (legacy Office, encrypted)
    image = next((name for magic, name in _IMAGE_MAGIC if head.startswith(magic)), "")
    if image and declared == "image":
        return "image"
    if declared == "image":
        binary = _describe_binary(head)
        if binary.endswith(("PNG image", "JPEG image", "TIFF image")):  # its magic cut short
            raise UnreadableFile(f"corrupt {binary} (its header is truncated or damaged)")
        raise UnreadableFile(f"named {suffix} but the content is not an image file"
                             f" ({binary or 'no PNG, JPEG or TIFF header'})")
    if declared in _BINARY_FORMATS:
        label = "Outlook .msg" if declared == "msg" else _LABELS[declared]
        raise UnreadableFile(f"named {suffix} but the content is not a {label} file"
                             f" ({_describe_binary(head) or 'no ' + label + ' header'})")
    binary = _describe_binary(head)
    if image:
        named = f"named {suffix}" if suffix else "without a suffix"
        raise UnreadableFile(f"unsupported file type ({binary}) {named}: images are read by OCR"
                             f" when named {', '.join(sorted(IMAGE_SUFFIXES))}")
    if binary:
        raise UnreadableFile(f"unsupported file type ({binary})")
    if declared == "html" or _HTML_START.match(head):
        return "html"
    if declared in {"eml", "mbox"} or declared is None or suffix == "":
        mail = looks_like_mail(head)
        if mail or declared in {"eml", "mbox"}:
            return mail or _not_mail(suffix)
    if declared is None:
        # Unknown suffix: accept it only if it reads as text (decided by decode_text later).
        return "text"
    return declared


def _sniff_zip(data: bytes, declared: str | None) -> str | None:
    """The ZIP-based format of ``data`` (index.readers.containers), None for another ZIP."""
    try:
        return zip_format(data)
    except UnreadableFile:
        raise
    except Exception as exc:  # zipfile on hostile bytes: any error means "not readable"
        if declared in _ZIP_FORMATS:
            raise UnreadableFile(f"corrupt {_LABELS[declared]} (not a readable ZIP archive, "
                                 f"truncated or damaged: {_brief(exc)})") from None
        return None


def _not_mail(suffix: str) -> str:
    raise UnreadableFile(f"named {suffix} but the content is not a mail message (it does not "
                         "open with header lines such as From:, To:, Subject:, Date:)")


def extract(data: bytes, fmt: str) -> Extracted:
    """The text form of ``data`` read as ``fmt`` (from :func:`sniff`).

    Raises only :class:`UnreadableFile`: an extractor's own reasons pass through, and any other
    exception of its parser (lxml, pypdf, zipfile, a MemoryError or RecursionError on a hostile
    file, ...) becomes "corrupt FORMAT (ExceptionType: message)".
    """
    extractor = _EXTRACTORS.get(fmt) or (lambda raw: Extracted(fmt, decode_text(raw)))
    label = _LABELS.get(fmt, fmt)
    try:
        extracted = extractor(data)
    except UnreadableFile:
        raise
    except Exception as exc:  # one file's failure, whatever its parser raised
        raise UnreadableFile(f"corrupt {label} ({_brief(exc)})") from exc
    if len(extracted.text) > MAX_TEXT_CHARS:
        raise UnreadableFile(f"{label} refused: its text is over the limit of "
                             f"{MAX_TEXT_CHARS:,} characters")
    return extracted


def _brief(exc: BaseException, limit: int = 200) -> str:
    """``Type: first line of the message``, cut to ``limit`` characters."""
    message = " ".join(str(exc).split("\n", 1)[0].split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def decode_text(data: bytes, fallback_encoding: str | None = None) -> str:
    """Decode UTF-8 (BOM allowed) or BOM-marked UTF-16; else ``fallback_encoding`` if given."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile("not valid UTF-16 despite its byte-order mark") from None
    if b"\x00" in data:
        raise UnreadableFile("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if fallback_encoding:
            try:
                return data.decode(fallback_encoding)
            except (LookupError, ValueError):  # unknown or non-text codec, or bytes it rejects
                raise UnreadableFile(f"not valid UTF-8 (bad byte at offset {exc.start}), nor "
                                     f"{fallback_encoding} as it declares") from None
        raise UnreadableFile(f"not valid UTF-8 (bad byte at offset {exc.start})") from None


# ---- PDF and images (index/readers/) ------------------------------------------------------

def extract_pdf(data: bytes) -> Extracted:
    """A PDF's text layers, ruled tables and OCR'd scans (index/readers/pdf.py)."""
    from index.readers.pdf import extract_pdf as read

    return read(data)


def extract_image(data: bytes) -> Extracted:
    """A PNG, JPEG or TIFF image read by OCR, each TIFF frame a page (index/readers/ocr.py)."""
    from index.readers.ocr import extract_image as read

    started = time.perf_counter()
    pages, kind = read(data)
    seconds = time.perf_counter() - started
    starts, at = [], 0
    for text in pages:
        starts.append(at)
        at += len(text) + len(SECTION_BREAK)
    text = SECTION_BREAK.join(pages)
    if not text.strip():
        raise UnreadableFile(f"{kind} has no text: OCR found no words")
    return Extracted("image", text, page_starts=tuple(starts),
                     ocr_pages=tuple(range(1, len(pages) + 1)), ocr_seconds=seconds)


# ---- HTML -----------------------------------------------------------------------------------

def extract_html(data: bytes) -> Extracted:
    declared = _META_CHARSET.search(data[:4096])
    try:
        text = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    except UnreadableFile as exc:
        raise UnreadableFile(f"HTML page: {exc}") from None
    parser = HtmlText()
    parser.feed(text)
    parser.close()
    body = parser.text()
    title = parser.title or parser.h1
    return Extracted("html", body, " ".join(title.split()), date=parser.date(),
                     tables=tuple(parser.out.tables))


def _describe_binary(head: bytes) -> str:
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"MZ") and b"\x00" in head[:64]:  # "MZ" alone could start a sentence
        return "Windows executable"
    return ""


def _reader(module: str, name: str) -> Callable[[bytes], Extracted]:
    """An extractor of index/readers/, imported on first use (its library with it)."""
    def read(data: bytes) -> Extracted:
        return getattr(importlib.import_module(f"index.readers.{module}"), name)(data)
    read.__name__ = name
    return read


_EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    "pdf": extract_pdf, "image": extract_image, "html": extract_html,
    "docx": _reader("docx", "extract_docx"),
    "pptx": _reader("office", "extract_pptx"), "odt": _reader("office", "extract_odt"),
    "epub": _reader("office", "extract_epub"),
    "xlsx": _reader("sheets", "extract_xlsx"), "ods": _reader("sheets", "extract_ods"),
    "csv": _reader("sheets", "extract_csv"),
    "eml": _reader("mail", "extract_eml"), "mbox": _reader("mail", "extract_mbox"),
    "msg": _reader("mail", "extract_msg"),
}
