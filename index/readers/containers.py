"""Telling container formats apart by their members, for index/formats.py's ``sniff``.

- ZIP: Office Open XML has ``[Content_Types].xml`` and its main part's folder (``word/``,
  ``ppt/``, ``xl/``); OpenDocument and EPUB have a ``mimetype`` member naming the type. Only the
  ZIP's central directory and the first bytes of ``mimetype`` are read.
- OLE (compound files): an Outlook message has ``__substg1.0_`` streams; Word/Excel/PowerPoint
  97-2003 files have ``WordDocument`` / ``Workbook`` / ``PowerPoint Document`` streams, and an
  encrypted Office 2007+ file is an OLE file holding ``EncryptedPackage``. Only the directory is
  read (olefile).
- Mail: an RFC 822 message opens with header lines; an mbox with a ``From `` separator line.
"""

from __future__ import annotations

import io
import re
import zipfile

from index.errors import UnreadableFile

_ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/epub+zip": "epub",
}
_ODF_OTHER = {
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation (.odp): "
                                                       "save it as .pptx",
    "application/vnd.oasis.opendocument.graphics": "OpenDocument drawing (.odg)",
}
_OOXML_FOLDERS = (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx"))
_LEGACY = (("WordDocument", "Word 97-2003 .doc", ".docx"),
           ("Workbook", "Excel 97-2003 .xls", ".xlsx"), ("Book", "Excel 5 .xls", ".xlsx"),
           ("PowerPoint Document", "PowerPoint 97-2003 .ppt", ".pptx"))
_HEADER = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{0,76}):[ \t]*\S")
_MAIL_HEADERS = {b"from", b"to", b"subject", b"date", b"received", b"return-path", b"message-id",
                 b"mime-version", b"delivered-to", b"reply-to", b"cc"}
_MBOX_FROM = re.compile(rb"^From \S+ +\S.*\d{4}\s*$")


def zip_format(data: bytes) -> str | None:
    """"docx", "pptx", "xlsx", "odt", "ods", "epub", or None for another ZIP; raises for a ZIP
    of another document format we name but do not read, or zipfile's error for a broken ZIP."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        if "[Content_Types].xml" in names:
            for folder, fmt in _OOXML_FOLDERS:
                if any(n.startswith(folder) for n in names):
                    return fmt
        if "mimetype" in names:
            with zf.open("mimetype") as fh:
                declared = fh.read(100).decode("ascii", "replace").strip()
            if declared in _ODF_TYPES:
                return _ODF_TYPES[declared]
            if declared in _ODF_OTHER:
                raise UnreadableFile(f"unsupported file type ({_ODF_OTHER[declared]})")
    return None


def ole_format(data: bytes) -> str:
    """"msg" for an Outlook message; raises with the reason for anything else in an OLE file."""
    import olefile

    try:
        ole = olefile.OleFileIO(data)
        streams = {"/".join(path) for path in ole.listdir(streams=True, storages=True)}
    except Exception as exc:  # olefile on hostile bytes: name the failure
        raise UnreadableFile(f"corrupt OLE file (legacy Office or Outlook: {type(exc).__name__})"
                             ) from None
    if any(s.startswith("__substg1.0_") for s in streams):
        return "msg"
    if "EncryptedPackage" in streams:
        raise UnreadableFile("encrypted Office file (a password is required): save it without "
                             "a password")
    for stream, name, modern in _LEGACY:
        if stream in streams:
            raise UnreadableFile(f"legacy Office format ({name}): save it as {modern}")
    raise UnreadableFile("legacy Office format (an OLE compound file): save it as "
                         ".docx/.xlsx/.pptx")


def looks_like_mail(head: bytes) -> str | None:
    """"mbox" or "eml" when ``head`` opens like one (three known header lines), else None."""
    lines = head.lstrip(b"\r\n").splitlines()[:40]
    if not lines:
        return None
    kind = "eml"
    if _MBOX_FROM.match(lines[0]):
        kind, lines = "mbox", lines[1:]
    known = 0
    for line in lines:
        if not line.strip():
            break
        if line[:1] in b" \t":
            continue  # a folded header line
        match = _HEADER.match(line)
        if match is None:
            return None
        known += match.group(1).lower() in _MAIL_HEADERS
    return kind if known >= 3 else None
