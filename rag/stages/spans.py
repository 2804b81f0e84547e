"""Stage 8: the exact text supporting each kept sentence, as offsets into the original document
(rag.span_locator maps the cleaned passage's offsets back through the cleaning)."""

from __future__ import annotations

from collections.abc import Iterable

from rag.pages import page_of
from rag.span_locator import SpanLocator
from rag.stages.state import AnswerState
from rag.table_rows import TableRows
from rag.types import Passage, Span


class Spans:
    name = "spans"

    def __init__(self, locator: SpanLocator, tables: TableRows | None = None) -> None:
        self._locator = locator
        self._tables = tables

    def run(self, state: AnswerState) -> Iterable[str]:
        assert state.verified is not None
        out: dict[int, list[Span]] = {}
        for sentence in state.verified.kept:
            for sup in sentence.supports:
                passage = state.passages[sup.passage - 1]
                a, b = sup.span
                start, end = self._locator.locate(passage, a, b)
                span = Span(start=start, end=end, text=passage.text[a:b], support=sup.score,
                            page=self._page(passage, start))
                if all((s.start, s.end) != (start, end) for s in out.get(sup.passage, [])):
                    out.setdefault(sup.passage, []).append(span)
        state.spans = out
        if self._tables is not None:
            for n, spans in out.items():
                if (table := self._tables.of(state.passages[n - 1].doc_id, spans)) is not None:
                    state.tables[n] = table
        return ()

    def _page(self, passage: Passage, offset: int) -> int:
        """The span's PDF page (rag.pages); the document text is read only for a passage that
        crosses pages (the locator has it cached)."""
        if passage.page_end <= passage.page_start:
            return passage.page_start
        return page_of(passage, offset, self._locator.document_text(passage))
