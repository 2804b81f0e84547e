"""Recognise a file's format from its bytes and extract its text form.

The *text form* of a document is the string every stored offset points into: a text or Markdown
file's decoded contents, an HTML page's visible text, a PDF's pages joined by a blank line (text
layers, ruled tables and OCR'd scans: index/readers/pdf.py), an image's OCR text, a DOCX's
paragraphs and table cells one per line. Each extractor raises
:class:`UnreadableFile` with the reason in words (encrypted, corrupt, no text, ...), and
:func:`extract`, the one place that calls them, turns any other exception of a parser into an
``UnreadableFile`` naming the format, so one hostile file fails alone. Limits bound what a file may
cost: ``MAX_TEXT_CHARS`` here, the PDF and OCR limits of index/readers/ and the DOCX package
checks of index/docx_safety.py.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

from index.dates import parse_metadata
from index.docx_safety import check_docx_package, malformed_part
from index.errors import UnreadableFile
from index.tables import Table

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".rst", ".csv", ".log", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}  # read by OCR
# Images read by OCR, by their magic bytes (a GIF is refused: logos and animations, not scans).
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
                (b"II*\x00", "TIFF image"), (b"MM\x00*", "TIFF image"))
FORMAT_BY_SUFFIX = {
    **{s: "text" for s in TEXT_SUFFIXES},
    ".md": "markdown", ".markdown": "markdown",
    **{s: "html" for s in HTML_SUFFIXES},
    ".pdf": "pdf", ".docx": "docx",
    **{s: "image" for s in IMAGE_SUFFIXES},
}
# Binary formats we recognise only to name them in the failure reason.
_OTHER_MAGIC = (
    (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
    (b"II*\x00", "TIFF image"), (b"MM\x00*", "TIFF image"),
    (b"\x1f\x8b", "gzip archive"), (b"\x7fELF", "ELF executable"), (b"PK\x03\x04", "ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "legacy Office (OLE) file"), (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"), (b"RIFF", "RIFF audio/video"), (b"OggS", "Ogg media"),
)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.I)
SECTION_BREAK = "\n\n"
MAX_TEXT_CHARS = 50_000_000  # a text form larger than this is refused (a 20 MB file gives less)
_LABELS = {"pdf": "PDF", "image": "image", "docx": "DOCX", "html": "HTML", "markdown": "Markdown",
           "text": "text"}

__all__ = ["Extracted", "UnreadableFile", "decode_text", "extract", "sniff"]


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


def sniff(data: bytes, suffix: str) -> str:
    """The format of ``data``: by magic bytes first, by the file name's suffix second."""
    head = data[:2048]
    declared = FORMAT_BY_SUFFIX.get(suffix.lower())
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            if _is_docx(data):
                return "docx"
        except Exception as exc:  # zipfile on hostile bytes: any error means "not readable"
            if declared == "docx":
                raise UnreadableFile("corrupt DOCX (not a readable ZIP archive, truncated or "
                                     f"damaged: {_brief(exc)})") from None
    image = next((name for magic, name in _IMAGE_MAGIC if head.startswith(magic)), "")
    if image and declared == "image":
        return "image"
    if declared in {"pdf", "docx", "image"}:
        kind = "an image" if declared == "image" else f"a {declared.upper()}"
        magic = "PNG, JPEG or TIFF" if declared == "image" else declared.upper()
        raise UnreadableFile(f"named {suffix} but the content is not {kind} file"
                             f" ({_describe_binary(head) or 'no ' + magic + ' header'})")
    binary = _describe_binary(head)
    if image:
        named = f"named {suffix}" if suffix else "without a suffix"
        raise UnreadableFile(f"unsupported file type ({binary}) {named}: images are read by OCR"
                             f" when named {', '.join(sorted(IMAGE_SUFFIXES))}")
    if binary:
        raise UnreadableFile(f"unsupported file type ({binary})")
    if declared == "html" or _HTML_START.match(head):
        return "html"
    if declared is None:
        # Unknown suffix: accept it only if it reads as text (decided by decode_text later).
        return "text"
    return declared


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

    pages, kind = read(data)
    starts, at = [], 0
    for text in pages:
        starts.append(at)
        at += len(text) + len(SECTION_BREAK)
    text = SECTION_BREAK.join(pages)
    if not text.strip():
        raise UnreadableFile(f"{kind} has no text: OCR found no words")
    return Extracted("image", text, page_starts=tuple(starts),
                     ocr_pages=tuple(range(1, len(pages) + 1)))


# ---- DOCX -----------------------------------------------------------------------------------

def _is_docx(data: bytes) -> bool:
    """True for a readable ZIP holding ``word/document.xml``; raises if the ZIP is unreadable."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "word/document.xml" in zf.namelist()


def extract_docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    from lxml.etree import XMLSyntaxError

    check_docx_package(data)  # zip bombs, DTDs and non-XML parts, before python-docx reads it
    try:
        document = docx.Document(io.BytesIO(data))
    except XMLSyntaxError:
        found = malformed_part(data)
        if found is None:
            raise
        raise UnreadableFile(f"corrupt DOCX: part {found[0]} is not well-formed XML "
                             f"({found[1]})") from None
    lines: list[str] = []
    title = (document.core_properties.title or "").strip()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append(" | ".join(c for c in cells if c))
            continue
        text = block.text.strip()
        style = (block.style.name if block.style is not None else "") or ""
        if not title and text and style.lower().startswith(("title", "heading")):
            title = text
        lines.append(text)
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        raise UnreadableFile("DOCX has no text")
    core = document.core_properties
    stated = parse_metadata(core.modified) or parse_metadata(core.created)
    return Extracted("docx", text, title, date=stated or "")


# ---- HTML -----------------------------------------------------------------------------------

def extract_html(data: bytes) -> Extracted:
    declared = _META_CHARSET.search(data[:4096])
    try:
        text = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    except UnreadableFile as exc:
        raise UnreadableFile(f"HTML page: {exc}") from None
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    body = parser.text()
    title = parser.title or parser.h1
    return Extracted("html", body, " ".join(title.split()), date=parser.date())


_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "footer", "head", "iframe"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "aside", "blockquote", "li", "ul",
          "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figure",
          "figcaption", "dl", "dt", "dd", "form", "hr", "address", "details", "summary", "body"}
# <meta> names and properties that date a page, the newer statement first; then <time datetime>.
_DATE_META = ("article:modified_time", "og:updated_time", "last-modified", "dcterms.modified",
              "datemodified", "article:published_time", "datepublished", "date", "dc.date",
              "dcterms.date", "dcterms.created", "pubdate", "publishdate")
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source",
         "track", "wbr"}


class _TextParser(HTMLParser):
    """Visible text of an HTML page: one line per block element, inline whitespace squeezed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.title = ""
        self.h1 = ""
        self._in: str | None = None  # "title" or "h1" while inside one
        self.dates: dict[str, str] = {}  # _DATE_META name (or "time") -> its value, first kept

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "time"):
            self._note_date(tag, dict(attrs))
        if tag == "title":
            self._in = "title"
        elif tag in _SKIP and tag not in _VOID:
            self.skip_depth += 1
        elif tag == "br":
            self.current.append("\n")
        elif tag in _BLOCK:
            self._flush()
            if tag == "pre":
                self.pre_depth += 1
            if tag == "h1" and not self.h1:
                self._in = "h1"
        elif tag in {"td", "th"}:
            self.current.append(" | " if self.current else "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" or (tag == "h1" and self._in == "h1"):
            self._in = None
        if tag == "title":
            return
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self._flush()
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
            return
        if self.skip_depth:
            return
        if self._in == "h1":
            self.h1 += data
        self.current.append(data if self.pre_depth else re.sub(r"\s+", " ", data))

    def _flush(self) -> None:
        raw = "".join(self.current)
        self.current = []
        lines = raw.split("\n") if self.pre_depth else [ln.strip() for ln in raw.split("\n")]
        block = "\n".join(lines).strip("\n")
        if block.strip():
            self.blocks.append(block)

    def text(self) -> str:
        self._flush()
        return SECTION_BREAK.join(self.blocks)

    def _note_date(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "time":
            name, value = "time", attrs.get("datetime")
        else:
            name = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
                    or attrs.get("http-equiv") or "").strip().lower()
            value = attrs.get("content")
        if value and (name == "time" or name in _DATE_META) and name not in self.dates:
            self.dates[name] = value

    def date(self) -> str:
        """The page's date from its meta tags (the newest statement first), else its first
        ``<time datetime>``; empty if none reads as a date."""
        for name in (*_DATE_META, "time"):
            if name in self.dates and (value := parse_metadata(self.dates[name])) is not None:
                return value
        return ""


def _describe_binary(head: bytes) -> str:
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith(b"MZ") and b"\x00" in head[:64]:  # "MZ" alone could start a sentence
        return "Windows executable"
    return ""


_EXTRACTORS: dict[str, Callable[[bytes], Extracted]] = {
    "pdf": extract_pdf, "image": extract_image, "docx": extract_docx, "html": extract_html,
}
