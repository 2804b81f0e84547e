"""DOCX (python-docx): paragraphs one per line (empty ones left out), headings and list items
marked as Markdown marks them (index/readers/docx_lists.py), tables through index.tables.

A table's header is its first row and its caption the nearest heading (Title/Heading style)
or Caption-styled paragraph above it; a layout table (one row or column, or a cell too long for
a row line) is written a line per row as before (index.readers.common.TextBuilder.add_grid).
"""

from __future__ import annotations

import io

from index.dates import parse_metadata
from index.errors import UnreadableFile
from index.formats import Extracted
from index.readers.common import TextBuilder
from index.readers.docx_lists import Structure
from index.zip_safety import check_package, malformed_part


def extract_docx(data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    from lxml.etree import XMLSyntaxError

    check_package(data, "DOCX")  # zip bombs, DTDs and non-XML parts, before python-docx reads it
    try:
        document = docx.Document(io.BytesIO(data))
    except XMLSyntaxError:
        found = malformed_part(data)
        if found is None:
            raise
        raise UnreadableFile(f"corrupt DOCX: part {found[0]} is not well-formed XML "
                             f"({found[1]})") from None
    out = TextBuilder("DOCX")
    title = (document.core_properties.title or "").strip()
    heading = ""
    structure = Structure(document)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            out.add_grid("", [[c.text for c in row.cells] for row in block.rows],
                          heading=heading)
            continue
        text = block.text.strip()
        style = ((block.style.name if block.style is not None else "") or "").lower()
        if text and style.startswith(("title", "heading", "caption")):
            heading = text
            if not title and not style.startswith("caption"):
                title = text
        out.add(structure.line(block, text) if text else text)  # one line each; empty: none
    text = out.text()
    if not text.strip():
        raise UnreadableFile("DOCX has no text")
    core = document.core_properties
    stated = parse_metadata(core.modified) or parse_metadata(core.created)
    return Extracted("docx", text, title, date=stated or "", tables=tuple(out.tables))
