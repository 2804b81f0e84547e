"""The original files of indexed documents, as ``GET /v1/files/{doc_id}`` serves them.

A document synced from a folder (``rag ingest``, ``rag serve --corpus``, ``rag watch``) is read
where it was indexed from, its record's ``source_path``. An upload has no such place (it is
loaded from a temporary folder), so the upload route keeps its bytes under
``DATA_DIR/originals/<sha256>``, named by content so that every version a retained release holds
stays servable after a re-upload. Either way the bytes are hashed and served only when they are
the indexed version (the record's ``file_hash``, the sha256 of the bytes it was read from): a file changed or replaced since indexing
is refused, never shown as if it were what the citations point into.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from index.errors import NotFoundError
from index.store import DocumentRecord

UPLOAD_PREFIX = "upload:"  # the source_path of an uploaded document (service/routes/documents.py)
_HASH = re.compile(r"[0-9a-f]{64}")
# The media types of the formats ingest reads (index/formats.py, index/readers/); any other is
# served as bytes (application/octet-stream).
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "text": "text/plain",
    "markdown": "text/markdown",
    "html": "text/html",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "epub": "application/epub+zip",
}


def originals_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "originals"


def keep_upload(data_dir: Path, data: bytes) -> str:
    """Store an upload's bytes by their sha256 (once; atomically) and return the hash."""
    digest = hashlib.sha256(data).hexdigest()
    folder = originals_dir(data_dir)
    target = folder / digest
    if target.is_file():
        return digest
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def original_bytes(record: DocumentRecord, data_dir: Path, max_bytes: int) -> bytes:
    """The bytes of the version ``record`` describes; NotFoundError saying why when the file is
    gone, unreadable, or no longer that version."""
    mail = (record.extra or {}).get("attachment")
    if isinstance(mail, dict):  # index/attachments.py: its bytes are inside the mail's
        raise NotFoundError(f"this document is the attachment {mail.get('name')!r} of the mail "
                            f"{mail.get('parent')!r}: its original is not served on its own; "
                            "open the mail's original instead")
    if not _HASH.fullmatch(record.file_hash):
        raise NotFoundError("the original file of this document cannot be served: its record "
                            "names no file hash (re-index it)")
    if record.source_path.startswith(UPLOAD_PREFIX):
        path = originals_dir(data_dir) / record.file_hash
        where = "the uploaded file was not kept on this server (upload it again)"
    else:
        path = Path(record.source_path)
        where = ("the file it was indexed from is no longer on this server (moved or deleted "
                 "since indexing; re-run 'rag ingest')")
    try:
        if path.stat().st_size > max_bytes:
            raise NotFoundError(_changed())
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        raise NotFoundError(f"the original file of this document is not available: {where}"
                            ) from None
    if hashlib.sha256(data).hexdigest() != record.file_hash:
        raise NotFoundError(_changed())
    return data


def _changed() -> str:
    return ("the original file of this document has changed since it was indexed, so it is not "
            "the version the citations point into; it is not served (re-run 'rag ingest' to "
            "index the new version)")


OCTET_STREAM = "application/octet-stream"


def media_type(record: DocumentRecord) -> str:
    return MEDIA_TYPES.get(record.format, OCTET_STREAM)


def download_name(record: DocumentRecord) -> str:
    """The file name for Content-Disposition: the id's last segment."""
    return record.doc_id.rsplit("/", 1)[-1].rsplit("::", 1)[-1] or "document"
