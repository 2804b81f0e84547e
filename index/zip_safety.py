"""Checks on a ZIP-based document (DOCX, PPTX, XLSX, ODT, ODS, EPUB) before its library reads
it, so a hostile file cannot exhaust memory.

Such a file is a ZIP of XML parts (a *package*). The readers (python-docx, python-pptx, openpyxl,
odfpy, ebooklib) read parts into memory and parse their XML; these checks run first, on the ZIP's
central directory and a streamed pass over the parts (constant memory), and raise
:class:`UnreadableFile` with the reason, the format's label first ("PPTX refused: ..."):

- *zip bomb*: more than ``MAX_PARTS`` members, declared uncompressed sizes adding up to more than
  ``MAX_UNCOMPRESSED_BYTES``, or one large member that inflates more than ``MAX_RATIO`` times.
  The declared size is a real bound: Python's ``zipfile`` never inflates a member past its
  declared size (it stops there and fails the CRC check).
- *XML bomb*: any XML part (by name or by content) with a DTD (``<!DOCTYPE`` / ``<!ENTITY``).
  Office Open XML and OpenDocument forbid DTDs, so no genuine Office file has one. An EPUB's
  XHTML chapters may open with ``<!DOCTYPE html ...>`` (``allow_doctype=True``), but never declare
  an entity, so ``<!ENTITY`` is refused there too. Behind this check the libraries parse without
  resolving entities (python-docx, python-pptx and ebooklib through lxml, whose libxml2 caps
  entity amplification; openpyxl and odfpy through defusedxml), and index/formats.py turns what
  they raise into this file's failure; the check says why in words, first.
- *not XML*: a part named as XML (``.xml .rels .opf .ncx .xhtml``) whose first character is not
  ``<`` is named (lxml would only say "Start tag expected" without saying which part).
"""

from __future__ import annotations

import io
import zipfile

from index.errors import UnreadableFile

MAX_PARTS = 5_000
MAX_UNCOMPRESSED_BYTES = 100_000_000
MAX_RATIO = 200  # for members over RATIO_FLOOR_BYTES; XML rarely compresses past 50:1
RATIO_FLOOR_BYTES = 10_000_000
_CHUNK = 64 * 1024
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# DTD markers, in the encodings an Office Open XML part may use (UTF-8, UTF-16 LE/BE).
_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
_DTD_MARKERS = tuple(m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in _ENCODINGS)
_ENTITY_MARKERS = tuple("<!ENTITY".encode(enc) for enc in _ENCODINGS)
_OVERLAP = max(len(m) for m in _DTD_MARKERS) - 1
XML_SUFFIXES = (".xml", ".rels", ".opf", ".ncx", ".xhtml")


def check_package(data: bytes, label: str, allow_doctype: bool = False) -> None:
    """Raise UnreadableFile if the package is a zip bomb, holds a DTD (with ``allow_doctype``:
    an entity declaration) or a part named as XML that is not XML. ``label`` ("DOCX", "EPUB",
    ...) starts every reason."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = zf.infolist()
        _check_sizes(members, label)
        markers = _ENTITY_MARKERS if allow_doctype else _DTD_MARKERS
        for m in members:
            if not m.is_dir():
                _check_part(zf, m, m.filename.lower().endswith(XML_SUFFIXES), label, markers)


def _check_sizes(members: list[zipfile.ZipInfo], label: str) -> None:
    if len(members) > MAX_PARTS:
        raise UnreadableFile(f"{label} refused: {len(members)} parts, over the limit of "
                             f"{MAX_PARTS} (possible zip bomb)")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableFile(
            f"{label} refused: its parts would inflate to {total / 1e6:,.1f} MB, over the "
            f"{MAX_UNCOMPRESSED_BYTES / 1e6:.0f} MB limit (possible zip bomb)")
    for m in members:
        ratio = m.file_size // max(m.compress_size, 1)
        if m.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise UnreadableFile(f"{label} refused: part {m.filename} inflates {ratio} times "
                                 f"(over {MAX_RATIO}:1; possible zip bomb)")


def _check_part(zf: zipfile.ZipFile, member: zipfile.ZipInfo, named_xml: bool, label: str,
                markers: tuple[bytes, ...]) -> None:
    """A part named as XML must be XML; any part that is XML (whatever its name, since the
    package's relationships may point anywhere) must hold no DTD. Binary parts are left after
    their first chunk."""
    with zf.open(member) as fh:
        first = True
        tail = b""
        while chunk := fh.read(_CHUNK):
            if first:
                first = False
                start = _strip_bom(chunk).lstrip(b" \t\r\n\x00")
                if not start.startswith(b"<"):
                    if named_xml and start:
                        raise UnreadableFile(f"corrupt {label}: part {member.filename} is not XML "
                                             f"(it starts with {start[:20]!r})")
                    return
            window = tail + chunk
            if any(marker in window for marker in markers):
                what = "an entity (<!ENTITY>)" if markers is _ENTITY_MARKERS else \
                    "a DTD (<!DOCTYPE>/<!ENTITY>)"
                raise UnreadableFile(
                    f"{label} refused: part {member.filename} declares {what}, which {label} "
                    "files never contain (possible XML entity bomb)")
            tail = window[-_OVERLAP:]


def _strip_bom(chunk: bytes) -> bytes:
    for bom in _BOMS:
        if chunk.startswith(bom):
            return chunk[len(bom):]
    return chunk


def malformed_part(data: bytes) -> tuple[str, str] | None:
    """The name and lxml's complaint for the first XML part that is not well-formed, else None.

    Called only after a reader failed with an XML syntax error, which does not say which part;
    the package has passed :func:`check_package`, so the parts are bounded and DTD-free.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for m in zf.infolist():
            if m.filename.lower().endswith(XML_SUFFIXES) and not m.is_dir():
                try:
                    etree.fromstring(zf.read(m), parser)
                except etree.XMLSyntaxError as exc:
                    return m.filename, exc.msg
    return None
