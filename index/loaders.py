"""Find and read the files of a corpus into :class:`Document` values."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from index.dates import document_date, front_matter, front_matter_title
from index.errors import UnreadableFile
from index.formats import extract, sniff
from index.types import Document

MAX_TITLE_CHARS = 100
_ADORNMENT = re.compile(r"([=\-~^\"'`#*+_:.])\1{2,}$")  # a heading's over- or underline
DEFAULT_MAX_BYTES = 20_000_000


def doc_id_for(path: Path, root: Path) -> str:
    """The document id: the file's path relative to the corpus root, with '/' separators."""
    return path.relative_to(root).as_posix()


def discover(root: Path) -> Iterator[Path]:
    """Yield the corpus files under ``root`` in a stable order, skipping hidden files."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def derive_title(text: str, fallback: str) -> str:
    """A title from the first Markdown heading, else the first non-empty line that is no
    heading's over- or underline ("=====") nor reStructuredText markup (".. _label:"), else
    ``fallback``."""
    first_line = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or _ADORNMENT.match(stripped) or stripped.startswith(".. "):
            continue
        if stripped.startswith("#"):
            return _shorten(stripped.lstrip("#").strip()) or fallback
        if not first_line:
            first_line = stripped
            break
    return _shorten(first_line) if first_line else fallback


def _shorten(line: str) -> str:
    if len(line) <= MAX_TITLE_CHARS:
        return line
    cut = line[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;: ") + "…"


def load_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one file into a :class:`Document`; raise :class:`UnreadableFile` (a ValueError) with
    the reason if it cannot be read, whatever its parser raised.

    The format is recognised from the content (magic bytes) first and the suffix second, so a
    PDF named ``.txt`` is read as a PDF and a text file named ``.pdf`` is refused by name.
    """
    doc_id = doc_id_for(path, root) if path != root else path.name
    try:
        info = path.stat()  # follows symlinks: a loop raises ELOOP here
    except OSError as exc:
        raise UnreadableFile(_os_reason(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile("not a regular file")
    if path != root and not _inside(path, root):
        raise UnreadableFile("symbolic link to a file outside the corpus folder (not followed)")
    if info.st_size == 0:
        raise UnreadableFile("empty file")
    if info.st_size > max_bytes:
        raise UnreadableFile(
            f"file is {info.st_size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit "
            "(raise ingest.max_file_mb to index it)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(_os_reason(exc)) from None
    extracted = extract(data, sniff(data, path.suffix))
    text = extracted.text
    if not text.strip():
        raise UnreadableFile("empty file")
    title = extracted.title.strip() or front_matter_title(text)
    title = _shorten(" ".join(title.split())) if title else ""
    dated = document_date(extracted.date, text, info.st_mtime)
    return Document(
        doc_id=doc_id,
        title=title or derive_title(text[front_matter(text)[1]:], fallback=path.stem),
        text=text,
        source_path=str(path.resolve()),
        mtime=info.st_mtime,
        content_hash=(digest := hashlib.sha256(data).hexdigest()),
        file_hash=digest,
        format=extracted.format,
        page_starts=extracted.page_starts,
        date=dated.value,
        date_source=dated.source,
        ocr_pages=extracted.ocr_pages,
        ocr_seconds=extracted.ocr_seconds,
        tables=extracted.tables,
        attachments=extracted.attachments,  # a mail's: index/attachments.py reads them
    )


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, its symbolic links followed, is still under ``root``: a link inside
    the corpus may point at another corpus file, never at /etc/passwd or a home directory."""
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve(strict=True))
    except OSError:  # vanished meanwhile: the read below names it
        return True


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link or file vanished"
    if exc.errno == errno.EACCES:
        return "permission denied"
    return f"cannot read: {exc.strerror or exc}"
