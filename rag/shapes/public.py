"""A built shape as the public :class:`~rag.types.AnswerShape`, its pieces numbered as the
answer's citations."""

from __future__ import annotations

from collections.abc import Sequence

from rag.shapes.types import Shaped
from rag.types import AnswerShape, Citation, Passage, ShapeItem

TABLE_HEADER = ["period", "value", "citation"]


def public_shape(shaped: Shaped, passages: Sequence[Passage],
                 citations: Sequence[Citation]) -> AnswerShape:
    """Pieces whose passage the answer does not cite are left out (an LLM's answer that the
    shape stands beside)."""
    number = {c.chunk_id: c.n for c in citations}
    items = []
    for p in shaped.pieces:
        n = number.get(passages[p.passage - 1].chunk_id)
        if n is not None:
            items.append(ShapeItem(text=p.text, citation=n, start=p.start, end=p.end,
                                   label=p.label, value=p.value))
    table = None
    if shaped.table:
        table = {"header": list(TABLE_HEADER),
                 "rows": [[i.label, i.value, i.citation] for i in items]}
    return AnswerShape(kind=shaped.kind, items=tuple(items), table=table,
                       verdict=shaped.verdict, note=shaped.note)
