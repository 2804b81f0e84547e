"""Recognise a write that failed because the disk is full, and say so in words.

Chroma (SQLite and its segment files), the keyword index and the lock files write under
``data_dir``. When the disk fills, what surfaces is whatever the writer raised: an ``OSError``
with ``ENOSPC``, SQLite's "database or disk is full", or Chroma's own "Error in compaction: ...".
:func:`storage_full` turns such a failure into :class:`StorageFullError` when the exception says
so or the file system holding ``data_dir`` has (almost) no room left, so the CLI and the upload
route can report it plainly. A document version is committed by its manifest record, written
last (see index/store/staging.py), so what a failed write leaves is never served, and the next sync
writes what is missing and removes the orphans.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from index.errors import StorageFullError

LOW_SPACE_BYTES = 5_000_000  # below this much free space, a failed write is put down to it
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NO_SPACE_WORDS = ("no space left", "disk is full", "disk full", "quota exceeded",
                   "file too large")


def free_bytes(path: Path) -> int | None:
    """Free space on the file system holding ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def ensure_room(data_dir: Path, floor_bytes: int, need_bytes: int = 0) -> None:
    """Refuse (StorageFullError) to start a write of about ``need_bytes`` with less than
    ``floor_bytes`` besides them free on the disk holding ``data_dir``: nothing is written
    yet, so nothing is left half-done, and the embedded Chroma does not meet a full disk
    mid-write (after which it can block until the process restarts)."""
    free = free_bytes(data_dir)
    if floor_bytes <= 0 or free is None or free >= floor_bytes + need_bytes:
        return
    raise StorageFullError(
        f"the disk holding the index ({data_dir}) is full: {free / 1e6:.1f} MB free, but this "
        f"write needs about {need_bytes / 1e6:.1f} MB plus the {floor_bytes / 1e6:.0f} MB that "
        "ingest.min_free_mb keeps free; nothing was written and documents committed before are "
        "as they were. Free some space and run it again; unchanged documents are skipped")


# What an indexed document takes on disk per byte of its text, for ensure_room's estimate: the
# text itself in the version record and each chunk (chunks overlap), Chroma's full-text index
# and write-ahead log of both, the vectors and the keyword index. Measured: covidqa's 98 papers
# (2.31 MB of text) made a 58.0 MB embedded index (25 bytes per byte); rounded up.
INDEX_BYTES_PER_TEXT_BYTE = 30


def storage_full(exc: BaseException, data_dir: Path) -> StorageFullError | None:
    """The error to report if ``exc`` (raised by a write) came from a full disk, else None."""
    if isinstance(exc, StorageFullError):
        return exc
    said = (isinstance(exc, OSError) and exc.errno in _NO_SPACE_ERRNOS) or any(
        words in str(exc).lower() for words in _NO_SPACE_WORDS)
    free = free_bytes(data_dir)
    if not said and (free is None or free >= LOW_SPACE_BYTES):
        return None
    room = "no" if free is None else f"{free / 1e6:.1f} MB of"
    cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    return StorageFullError(
        f"the disk holding the index ({data_dir}) is full: {room} free space left ({cause}). "
        "Nothing half-written is served: documents committed before are as they were. Free "
        "some space and run it again; unchanged documents are skipped")
