"""The table rows an answer cites, read from the document's record (index.tables wrote them).

A table's text is one line per row, each cell named by its column (index/tables.py), and the
document record keeps every table's caption, header and rows with their offsets in the document
text (``extra["tables"]``). A citation whose supporting span falls in rows of a table carries
those rows with the caption and header, so the answer can show them as a small table rather than
as a line of ``header: value`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from index.tables import Table
from rag.types import CitedTable, Span

MAX_ROWS = 12  # rows shown for one citation (a span over a whole table shows its first rows)


class Records(Protocol):
    def document(self, doc_id: str, release: str | None = None) -> Any: ...


def cited_table(tables: Sequence[Mapping[str, Any]], spans: Sequence[Span]) -> CitedTable | None:
    """The rows of the first table that a span overlaps, with its caption and header; None when
    no span falls in a table row."""
    for data in tables:
        table = Table.from_dict(dict(data))
        rows = [r for r in table.rows
                if any(s.start < r.end and r.start < s.end for s in spans)]
        if rows:
            return CitedTable(table.caption, table.header,
                              tuple(r.cells for r in rows[:MAX_ROWS]), table.page)
    return None


class TableRows:
    """Looks up the cited rows of a passage's document (its record, cached by the store)."""

    def __init__(self, records: Records) -> None:
        self._records = records

    def of(self, doc_id: str, spans: Sequence[Span]) -> CitedTable | None:
        if not spans:
            return None
        try:
            record = self._records.document(doc_id)
        except Exception:  # deleted meanwhile, or the store is busy: the answer stands without
            return None
        tables = (getattr(record, "extra", None) or {}).get("tables") or []
        return cited_table(tables, spans) if tables else None
