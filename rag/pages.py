"""The PDF page an offset of a cited passage lies on.

A chunk of a PDF carries the pages it starts and ends on (``page_start``/``page_end``,
index/chunking.py), so a span inside a one-page passage is on that page. For a passage that
crosses pages, the store keeps only the document text, not where its pages begin; but the PDF
reader joins pages with :data:`index.formats.SECTION_BREAK`, so when the passage's original text
holds exactly as many of those as it crosses page boundaries, they are the boundaries and the
span's page is counted from them. Otherwise (a page's own text holds a blank line too) the page
is not known: 0.
"""

from __future__ import annotations

from index.formats import SECTION_BREAK
from rag.types import Passage


def page_of(passage: Passage, offset: int, document: str | None) -> int:
    """The 1-based page holding document offset ``offset`` of ``passage``; 0 when the document
    has no pages or the page cannot be told (``document``: its original text, None if gone)."""
    first, last = passage.page_start, passage.page_end
    if first <= 0:
        return 0
    if last <= first:
        return first
    if document is None or not passage.start <= offset < passage.end:
        return 0
    breaks = _breaks(document, passage.start, passage.end)
    if len(breaks) != last - first:
        return 0
    return first + sum(1 for at in breaks if at + len(SECTION_BREAK) <= offset)


def _breaks(text: str, start: int, end: int) -> list[int]:
    out = []
    at = text.find(SECTION_BREAK, start, end)
    while at >= 0:
        out.append(at)
        at = text.find(SECTION_BREAK, at + len(SECTION_BREAK), end)
    return out
