"""Turn a draft's passage markers into a numbered citation list that the text agrees with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag import markers
from rag.types import Citation, CitedTable, Passage, Span


def assemble(draft_text: str, passages: Sequence[Passage],
             spans: Mapping[int, Sequence[Span]] | None = None,
             tables: Mapping[int, CitedTable] | None = None) -> tuple[str, list[Citation]]:
    """Renumber markers 1..m in order of first use; drop markers that point at no passage.

    Returns the rewritten text and the citations, so every ``[n]`` in the text names exactly
    one entry of the list and every entry is cited. ``spans`` gives, by the draft's passage
    number, the supporting spans found by verification.
    """
    spans = spans or {}
    tables = tables or {}
    numbering: dict[int, int] = {}
    citations: list[Citation] = []

    def renumber(original: int) -> int | None:
        if not 1 <= original <= len(passages):
            return None
        if original not in numbering:
            numbering[original] = len(numbering) + 1
            p = passages[original - 1]
            citations.append(Citation(n=numbering[original], doc_id=p.doc_id, title=p.title,
                                      text=p.text, start=p.start, end=p.end, score=p.score,
                                      chunk_id=p.chunk_id,
                                      spans=tuple(spans.get(original, ())), date=p.date,
                                      date_source=p.date_source, page_start=p.page_start,
                                      page_end=p.page_end, table=tables.get(original)))
        return numbering[original]

    text = markers.renumber(draft_text, renumber)
    return text, citations
