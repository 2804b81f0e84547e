"""Find and read the files of a corpus into :class:`Document` values."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.types import Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ""}
MAX_TITLE_CHARS = 100


@dataclass(frozen=True)
class LoadFailure:
    """A file that could not be read, with the reason in words."""

    doc_id: str
    reason: str


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
    """A title from the first Markdown heading, else the first non-empty line, else ``fallback``."""
    first_line = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
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


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8 (BOM allowed), else UTF-16 with a BOM; raise ValueError otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None


def load_document(path: Path, root: Path) -> Document:
    """Read one file into a :class:`Document`; raise ValueError with the reason if unreadable."""
    doc_id = doc_id_for(path, root) if path != root else path.name
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise ValueError(f"unsupported file type {path.suffix!r}")
    data = path.read_bytes()
    text = decode_text(data)
    if not text.strip():
        raise ValueError("empty file")
    return Document(
        doc_id=doc_id,
        title=derive_title(text, fallback=path.stem),
        text=text,
        source_path=str(path.resolve()),
        mtime=path.stat().st_mtime,
        content_hash=hashlib.sha256(data).hexdigest(),
        format="markdown" if path.suffix.lower() in {".md", ".markdown"} else "text",
    )
