"""Typed values that flow through ingestion: Document -> CleanDocument -> Chunk."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from index.tables import Table


@dataclass(frozen=True)
class AttachedTo:
    """What a document read from a mail's attachment knows of the mail (index/attachments.py)."""

    parent: str  # the mail's document id (its key in the collection)
    name: str  # the attachment's file name
    sha256: str  # of the attachment's bytes (its version hash also covers title and context)


@dataclass(frozen=True)
class Document:
    """A source file as read from disk, before cleaning.

    ``text`` is the document's text form (for a text file, its decoded contents); every offset
    stored anywhere in the index points into this string.
    """

    doc_id: str  # path relative to the corpus root, POSIX separators
    title: str
    text: str
    source_path: str
    mtime: float
    content_hash: str  # sha256 of the file's bytes (index.ingest: then the version hash)
    format: str = "text"  # text, markdown, html, pdf, docx or image
    page_starts: tuple[int, ...] = ()  # PDF: where each page begins in ``text``
    date: str = ""  # ISO 8601: when it was published or last updated (index.dates)
    date_source: str = ""  # where ``date`` came from: metadata, text or file
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text OCR read (an image's: 1, ...)
    ocr_seconds: float = 0.0  # time OCR took to read them
    tables: tuple[Table, ...] = ()  # the tables written into ``text`` (index.tables)
    # a mail's attached files (index.formats.Attachment), each indexed as a document of its own
    attachments: tuple = field(default=(), repr=False, compare=False)
    attached_to: AttachedTo | None = None  # set on a document read from a mail's attachment
    # what its container says of it, the first part of its chunks' context header in place of
    # the title (an attachment: its mail's subject, sender and date); empty for a file
    context: str = ""
    # sha256 of the file's bytes, kept when ingest replaces ``content_hash`` with the version
    # hash (which folds in the chunker's signature and the reader's version); empty when the
    # document is no file of its own (an attachment)
    file_hash: str = ""

    def page_at(self, offset: int) -> int:
        """The 1-based page holding ``offset`` (0 when the format has no pages)."""
        if not self.page_starts:
            return 0
        return bisect.bisect_right(self.page_starts, offset)


@dataclass(frozen=True)
class CleanDocument:
    """A document with boilerplate removed, plus the map from clean to original offsets.

    ``offsets[i]`` is the index in ``document.text`` of the character ``text[i]`` came from, so a
    clean span ``[s, e)`` covers ``document.text[offsets[s] : offsets[e - 1] + 1]``.
    """

    document: Document
    text: str
    offsets: np.ndarray
    removed_lines: tuple[str, ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the clean span ``[start, end)`` (non-empty) to a span of the original text."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"bad clean span [{start}, {end}) for text of {len(self.text)}")
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


@dataclass(frozen=True)
class Chunk:
    """One indexed passage. ``start``/``end`` index the original document text."""

    chunk_id: str
    doc_id: str
    doc_hash: str
    title: str
    text: str  # cleaned text that was embedded
    start: int
    end: int
    index: int  # position of the chunk within its document
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)
