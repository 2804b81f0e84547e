"""Presentations (PPTX), OpenDocument text (ODT) and e-books (EPUB).

- PPTX (python-pptx): each slide opens with a heading line "Slide N: <title>" (its title
  placeholder; "Slide N" without one), then its shapes' text in the slide's order (groups
  opened), tables through index.tables with the slide's title as caption, and the speaker notes
  last ("Notes: ..."). Slides are joined by a blank line.
- ODT (odfpy): headings and paragraphs one per line, lists item by item, tables through
  index.tables (caption: the heading above), footnotes after their paragraph ("Note: ...").
- EPUB (ebooklib): the chapters in spine order, each chapter's XHTML read by the HTML reader
  (index/formats.py), chapters joined by a blank line.

Every package passes index/zip_safety.py first. Title and date come from the format's metadata
(core properties, meta.xml, the OPF's dc:title and dc:date).
"""

from __future__ import annotations

import io
import zipfile

from index.dates import parse_metadata
from index.errors import UnreadableFile
from index.formats import SECTION_BREAK, Extracted, decode_text
from index.readers.common import MAX_SPAN, TextBuilder, count_cells, shifted
from index.readers.html_text import HtmlText
from index.zip_safety import check_package

# Titles the tools write when the author gave none: not the document's title.
_GENERIC_TITLES = {"powerpoint presentation", "presentation", "untitled"}
MAX_ODF_CONTENT_BYTES = 30_000_000  # odfpy holds content.xml as a tree of Python objects
MAX_SPACES = 100  # <text:s text:c="N"/> writes N spaces: a hostile N is cut here


# ---- PPTX -----------------------------------------------------------------------------------

def extract_pptx(data: bytes) -> Extracted:
    from pptx import Presentation

    check_package(data, "PPTX")
    deck = Presentation(io.BytesIO(data))
    out = TextBuilder("PPTX")
    first_title = ""
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
        first_title = first_title or title
        out.add(f"Slide {number}: {title}" if title else f"Slide {number}", SECTION_BREAK)
        for shape in _shapes(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            _add_shape(out, shape, title)
        notes = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
        if notes is not None and notes.text.strip():
            out.add("Notes: " + notes.text.replace("\v", "\n").strip())
    if not out.size:
        raise UnreadableFile("PPTX has no slides")
    core = deck.core_properties
    title = (core.title or "").strip()
    title = first_title if not title or title.lower() in _GENERIC_TITLES else title
    stated = parse_metadata(core.modified) or parse_metadata(core.created)
    return Extracted("pptx", out.text(), title, date=stated or "", tables=tuple(out.tables))


def _shapes(shapes):  # type: ignore[no-untyped-def]
    """The shapes in the slide's order, a group's members in place of the group."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _add_shape(out: TextBuilder, shape, caption: str) -> None:  # type: ignore[no-untyped-def]
    if getattr(shape, "has_table", False):
        rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
        count_cells(rows, "PPTX")
        out.add_grid("", rows, heading=caption)
    elif getattr(shape, "has_text_frame", False):
        out.add("\n".join(_lines(shape)))


_BULLETED_PLACEHOLDERS = {2, 7}  # PP_PLACEHOLDER.BODY, OBJECT: bulleted unless a paragraph says no
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def _lines(shape) -> list[str]:  # type: ignore[no-untyped-def]
    """A text frame's paragraphs, a line each; a bulleted or numbered one with its marker ("- ",
    "1. " counted per level) and indented by its level, as a Markdown list writes them. A body
    placeholder's paragraphs are bullets unless one says ``a:buNone``; a text box's only when
    one says ``a:buChar`` or ``a:buAutoNum``."""
    bulleted = shape.is_placeholder and \
        int(shape.placeholder_format.type or 0) in _BULLETED_PLACEHOLDERS
    counts: dict[int, int] = {}
    out = []
    for paragraph in shape.text_frame.paragraphs:
        text = paragraph.text.replace("\v", "\n").strip()
        if not text:
            continue
        ppr = paragraph._p.pPr
        kinds = {child.tag for child in ppr} if ppr is not None else set()
        level = paragraph.level
        for deeper in [k for k in counts if k > level]:
            del counts[deeper]
        if f"{_A}buAutoNum" in kinds:
            counts[level] = counts.get(level, 0) + 1
            out.append(f"{'   ' * level}{counts[level]}. {text}")
        elif f"{_A}buChar" in kinds or (bulleted and f"{_A}buNone" not in kinds):
            out.append(f"{'   ' * level}- {text}")
        else:
            out.append(text)
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---- ODT ------------------------------------------------------------------------------------

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CONTAINERS = {(_TEXT_NS, n) for n in ("list", "list-item", "list-header", "section",
                                       "index-body", "index-title")}
_ROW_GROUPS = {(_TABLE_NS, n) for n in ("table-header-rows", "table-rows", "table-row-group")}
_SKIPPED = {(_TEXT_NS, "note-citation"), (_OFFICE_NS, "annotation"),
            (_TEXT_NS, "tracked-changes")}


def extract_odt(data: bytes) -> Extracted:
    from odf.opendocument import load

    check_package(data, "ODT")
    _check_content_size(data, "ODT")
    document = load(io.BytesIO(data))
    out = TextBuilder("ODT")
    state = {"heading": "", "first": ""}
    for node in document.text.childNodes:
        _odt_block(out, node, state)
    if not out.text().strip():
        raise UnreadableFile("ODT has no text")
    title, stated = _odf_meta(document)
    return Extracted("odt", out.text(), title or state["first"], date=stated,
                     tables=tuple(out.tables))


def _check_content_size(data: bytes, label: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        size = zf.getinfo("content.xml").file_size if "content.xml" in zf.namelist() else 0
    if size > MAX_ODF_CONTENT_BYTES:
        raise UnreadableFile(f"{label} refused: content.xml is {size / 1e6:,.1f} MB, over the "
                             f"{MAX_ODF_CONTENT_BYTES / 1e6:.0f} MB this reader holds in memory")


def _odt_block(out: TextBuilder, node, state: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    name = getattr(node, "qname", None)
    if name in ((_TEXT_NS, "h"), (_TEXT_NS, "p")):
        notes: list[str] = []
        text = _one_line(odf_text(node, notes))
        out.add(text)
        for note in notes:
            out.add("Note: " + note)
        if name == (_TEXT_NS, "h") and text:
            state["heading"] = text
            state["first"] = state["first"] or text
    elif name == (_TABLE_NS, "table"):
        rows = list(_odt_rows(node))
        count_cells(rows, "ODT")
        out.add_grid("", rows, heading=state["heading"])
    elif name in _CONTAINERS:
        for child in node.childNodes:
            _odt_block(out, child, state)


def _odt_rows(table):  # type: ignore[no-untyped-def]
    for node in table.childNodes:
        if node.qname in _ROW_GROUPS:
            yield from _odt_rows(node)
        elif node.qname == (_TABLE_NS, "table-row"):
            cells: list[str] = []
            for cell in node.childNodes:
                if cell.qname in ((_TABLE_NS, "table-cell"), (_TABLE_NS, "covered-table-cell")):
                    repeat = _repeat(cell.attributes.get((_TABLE_NS, "number-columns-repeated")))
                    cells.extend([_one_line(odf_text(cell, []))] * repeat)
            repeat = _repeat(node.attributes.get((_TABLE_NS, "number-rows-repeated")))
            for _ in range(repeat if any(cells) else 1):
                yield cells


def _repeat(value: object) -> int:
    try:
        return max(1, min(int(str(value or 1)), MAX_SPAN))
    except ValueError:
        return 1


def odf_text(node, notes: list[str]) -> str:  # type: ignore[no-untyped-def]
    """The text of an ODF element: spans and links unwrapped, ``<text:s>``, tabs and line
    breaks as whitespace (at most ``MAX_SPACES``), a footnote's body into ``notes``."""
    parts: list[str] = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(child.data)
            continue
        name = getattr(child, "qname", None)
        if name == (_TEXT_NS, "s"):
            parts.append(" " * _repeat_spaces(child.attributes.get((_TEXT_NS, "c"))))
        elif name in ((_TEXT_NS, "tab"), (_TEXT_NS, "line-break")):
            parts.append(" ")
        elif name == (_TEXT_NS, "note"):
            body = [c for c in child.childNodes if c.qname == (_TEXT_NS, "note-body")]
            notes.extend(_one_line(odf_text(b, notes)) for b in body)
        elif name == (_TEXT_NS, "p"):
            parts.append(" " + odf_text(child, notes) + " ")
        elif name not in _SKIPPED:
            parts.append(odf_text(child, notes))
    return "".join(parts)


def _repeat_spaces(value: object) -> int:
    try:
        return max(1, min(int(str(value or 1)), MAX_SPACES))
    except ValueError:
        return 1


def _odf_meta(document) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(title, ISO date) from meta.xml: dc:title; dc:date, else meta:creation-date."""
    from odf import dc
    from odf import meta as odf_meta

    def first(kind) -> str:  # type: ignore[no-untyped-def]
        found = document.meta.getElementsByType(kind)
        return odf_text(found[0], []).strip() if found else ""

    stated = parse_metadata(first(dc.Date)) or parse_metadata(first(odf_meta.CreationDate))
    return _one_line(first(dc.Title)), stated or ""


# ---- EPUB -----------------------------------------------------------------------------------

def extract_epub(data: bytes) -> Extracted:
    from ebooklib import ITEM_DOCUMENT, epub

    check_package(data, "EPUB", allow_doctype=True)  # XHTML may say <!DOCTYPE html>
    book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    out = TextBuilder("EPUB")
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT:
            continue
        parser = HtmlText()
        parser.feed(decode_text(item.get_content()))
        parser.close()
        chapter = parser.text()
        at = out.add(chapter, SECTION_BREAK)
        if chapter.strip():
            out.tables.extend(shifted(t, at) for t in parser.out.tables)
    if not out.text().strip():
        raise UnreadableFile("EPUB has no text (no chapter in its spine holds any)")
    title = _one_line(str(_dc(book, "title")))
    return Extracted("epub", out.text(), title, date=parse_metadata(_dc(book, "date")) or "",
                     tables=tuple(out.tables))


def _dc(book, name: str) -> str:  # type: ignore[no-untyped-def]
    found = book.get_metadata("DC", name)
    return str(found[0][0] or "") if found else ""
