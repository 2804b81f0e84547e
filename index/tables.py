"""Tables as tables: the one way every reader (PDF, HTML, DOCX, spreadsheets, csv) writes a table
into a document's text form.

A table's text is one line per row, each cell named by its column's header, so a row states its
own figures ("Total net sales | Three months ended July 1, 2023: $81,797 | Three months ended June
25, 2022: $82,959") and a sentence splitter, BM25 and the encoder all see the row whole. A caption
(or the heading above the table), when known, is the table's first line. The :class:`Table` record
keeps the cells and where each row's line sits in the text form, so an answer can cite the row and
the widget can show it as a small table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

CELL_SEPARATOR = " | "
MAX_CELL_CHARS = 200  # a longer cell is prose in a layout table: kept, cut in the row line
PERIOD_HEADER = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")  # a column of a year's figures


@dataclass(frozen=True)
class TableRow:
    """One body row: its cells, and ``start``/``end`` of its line in the text form."""

    cells: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Table:
    """A table of a document: its caption, header cells and rows (offsets into the text form)."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    page: int = 0  # 1-based page of formats with pages, else 0
    start: int = 0  # where the table's text (caption line first) begins in the text form
    end: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"caption": self.caption, "header": list(self.header), "page": self.page,
                "start": self.start, "end": self.end,
                "rows": [{"cells": list(r.cells), "start": r.start, "end": r.end}
                         for r in self.rows]}

    @classmethod
    def from_dict(cls, data: dict) -> "Table":
        return cls(str(data.get("caption", "")), tuple(data.get("header", ())),
                   tuple(TableRow(tuple(r["cells"]), int(r["start"]), int(r["end"]))
                         for r in data.get("rows", ())),
                   int(data.get("page", 0)), int(data.get("start", 0)), int(data.get("end", 0)))


MAX_RECORDED_ROWS = 5_000  # rows kept on a document's record (a bigger document keeps the first)


def table_records(tables: Sequence[Table], limit: int = MAX_RECORDED_ROWS) -> list[dict]:
    """The tables as a document record keeps them (JSON), at most ``limit`` rows in all."""
    out: list[dict] = []
    left = limit
    for table in tables:
        if left <= 0:
            break
        kept = Table(table.caption, table.header, table.rows[:left], table.page, table.start,
                     table.end)
        left -= len(kept.rows)
        out.append(kept.to_dict())
    return out


def clean_cell(value: object) -> str:
    """A cell as one line of text: whitespace squeezed, ``None`` empty."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def row_line(header: Sequence[str], cells: Sequence[str]) -> str:
    """A body row as one line: the first cell (the row's label) as it is, every other non-empty
    cell prefixed by its column's header ("header: value"), cells joined by `` | ``. A table
    without a label column (its first header names a year: "FY 2013 Results") names its first
    cell too."""
    first_named = bool(header) and bool(PERIOD_HEADER.search(header[0]))
    parts: list[str] = []
    for i, cell in enumerate(cells):
        if not cell:
            continue
        if len(cell) > MAX_CELL_CHARS:
            cell = cell[: MAX_CELL_CHARS - 1].rstrip() + "…"
        name = header[i] if i < len(header) else ""
        named = (i > 0 or first_named) and name and name != cell
        parts.append(f"{name}: {cell}" if named else cell)
    return CELL_SEPARATOR.join(parts)


def render(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]], at: int,
           page: int = 0) -> tuple[str, Table | None]:
    """The text of a table whose text will begin at offset ``at`` of the text form, and its
    record (None when no row has a cell: nothing to write). ``header`` names the columns
    (blank names allowed); ``rows`` are the body rows, cells already :func:`clean_cell`."""
    header = tuple(clean_cell(h) for h in header)
    lines: list[str] = []
    offset = at
    caption = clean_cell(caption)
    if caption:
        lines.append(caption)
        offset += len(caption) + 1
    kept: list[TableRow] = []
    for cells in rows:
        cells = tuple(clean_cell(c) for c in cells)
        line = row_line(header, cells)
        if not line:
            continue
        kept.append(TableRow(cells, offset, offset + len(line)))
        lines.append(line)
        offset += len(line) + 1
    if not kept:
        return "", None
    text = "\n".join(lines)
    return text, Table(caption, header, tuple(kept), page, at, at + len(text))
