"""Map a span of a passage's cleaned text back to character offsets in the original document.

Passages carry cleaned text but document offsets (``passage.start``/``end`` index the original
text the store keeps). The store's original text is cleaned again with the same
:class:`~index.cleaning.Cleaner`, which records for every kept character where it came from, so a
span found in the passage maps back exactly, markup and squeezed whitespace included. When the
re-cleaned text does not line up with the passage (the cleaning rules changed since ingest), the
span's words are searched in the original passage range with any whitespace or markup between
them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Protocol

from index.cleaning import Cleaner
from index.types import CleanDocument, Document
from rag.types import Passage


class DocumentTexts(Protocol):
    def document_text(self, doc_id: str) -> str: ...


class SpanLocator:
    """Turns (passage, clean span) into original-document offsets; caches a few documents."""

    def __init__(self, texts: DocumentTexts, cleaner: Cleaner | None = None,
                 cache_size: int = 64) -> None:
        self._texts = texts
        self._cleaner = cleaner or Cleaner()
        self._cache: OrderedDict[str, CleanDocument] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def locate(self, passage: Passage, start: int, end: int) -> tuple[int, int]:
        """Document offsets of ``passage.text[start:end]``; the passage's own range if lost."""
        if not 0 <= start < end <= len(passage.text):
            return passage.start, passage.end
        clean = self._clean(passage)
        if clean is not None:
            base = _passage_base(clean, passage)
            if base is not None:
                return clean.original_span(base + start, base + end)
            original = clean.document.text
        else:
            return passage.start, passage.end
        found = _fuzzy_find(passage.text[start:end], original, passage.start, passage.end)
        return found or (passage.start, passage.end)

    def in_document(self, passage: Passage) -> tuple[CleanDocument, int] | None:
        """The passage's document, cleaned, and where the passage's text starts in it (None when
        the document is gone or the passage does not line up with it)."""
        clean = self._clean(passage)
        base = None if clean is None else _passage_base(clean, passage)
        return None if clean is None or base is None else (clean, base)

    def document_text(self, passage: Passage) -> str | None:
        """The original text of the passage's document (cached), None if it is gone."""
        clean = self._clean(passage)
        return None if clean is None else clean.document.text

    def _clean(self, passage: Passage) -> CleanDocument | None:
        # The chunk id names the document version, so a cached entry is never stale.
        key = passage.chunk_id.rsplit("#", 1)[0]  # "<doc_id>#<content hash>"
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            text = self._texts.document_text(passage.doc_id)
        except Exception:  # the document was deleted since retrieval: keep the passage range
            return None
        doc = Document(doc_id=passage.doc_id, title=passage.title, text=text, source_path="",
                       mtime=0.0, content_hash="", format=self._format(passage.doc_id))
        clean = self._cleaner.clean(doc)
        with self._lock:
            self._cache[key] = clean
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return clean


    def _format(self, doc_id: str) -> str:
        """The document's format as its record says (the cleaner keeps indentation in some
        formats only: index.cleaning rule 5); "text" when the texts have no records."""
        records = getattr(self._texts, "records", None)
        if records is None:
            return "text"
        try:
            record = records([doc_id]).get(doc_id)
        except Exception:  # the document was deleted since retrieval
            return "text"
        return record.format if record is not None else "text"


def _passage_base(clean: CleanDocument, passage: Passage) -> int | None:
    """Where the passage's text starts in the re-cleaned document text, if it lines up."""
    import numpy as np

    head = int(np.searchsorted(clean.offsets, passage.start))
    if clean.text.startswith(passage.text, head):
        return head
    found = clean.text.find(passage.text)
    return found if found >= 0 else None


def _fuzzy_find(needle: str, original: str, lo: int, hi: int) -> tuple[int, int] | None:
    words = [re.escape(w) for w in needle.split() if w]
    if not words:
        return None
    gap = r"(?:\s|<[^<>]*>|\\)+"
    pattern = re.compile(gap.join(words), re.IGNORECASE)
    m = pattern.search(original, max(0, lo - 50), min(len(original), hi + 50)) or \
        pattern.search(original)
    return (m.start(), m.end()) if m else None
