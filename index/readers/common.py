"""What every reader of index/readers/ shares: a text form built piece by piece with its tables'
offsets (:class:`TextBuilder`), the choice between a data table and a layout grid, and the
reading of a package's XML parts.

A reader appends blocks (a paragraph, a heading, a slide's text) and tables; the builder keeps
the running length, so each table is rendered by index.tables at the offset it will have in the
finished text form, and refuses a text form over ``MAX_TEXT_CHARS`` as it grows (a reader never
holds more than that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from index.errors import UnreadableFile
from index.tables import CELL_SEPARATOR, MAX_CELL_CHARS, Table, TableRow, clean_cell, render

MAX_TEXT_CHARS = 50_000_000  # as index/formats.py: a larger text form is refused
MAX_GRID_CELLS = 200_000  # cells of one table in a document (not a spreadsheet)
SECTION_BREAK = "\n\n"  # between two blocks of a text form: a paragraph, a page, a table
MAX_SPAN = 64  # a cell spanning more columns repeats its value this many times at most


class TextBuilder:
    """A text form under construction: blocks joined by a separator, tables with offsets."""

    def __init__(self, label: str, limit: int = MAX_TEXT_CHARS) -> None:
        self.label = label
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0
        self.tables: list[Table] = []

    def next_offset(self, sep: str = "\n") -> int:
        """Where a block appended now with ``sep`` would begin."""
        return self.size + (len(sep) if self.parts else 0)

    def add(self, text: str, sep: str = "\n") -> int:
        """Append ``text`` (nothing if blank); returns where it begins (or would have)."""
        at = self.next_offset(sep)
        if not text.strip():
            return at
        if self.parts:
            self.parts.append(sep)
        self.parts.append(text)
        self.size = at + len(text)
        if self.size > self.limit:
            raise UnreadableFile(f"{self.label} refused: its text is over the limit of "
                                 f"{self.limit:,} characters")
        return at

    def add_table(self, caption: str, header: Sequence[str], rows: Sequence[Sequence[str]],
                  sep: str = "\n", page: int = 0) -> bool:
        """Render a table (index.tables) as the next block; False if it had no body cell."""
        text, table = render(caption, header, rows, self.next_offset(sep), page)
        if table is None:
            return False
        self.add(text, sep)
        self.tables.append(table)
        return True

    def add_grid(self, caption: str, grid: Sequence[Sequence[str]], sep: str = "\n",
                 heading: str = "") -> None:
        """A table of a document (HTML, DOCX, ODT, PPTX): a data table when it has a header row
        and a body row of at least two columns and no cell too long for a row line (index.tables
        cuts those), rendered with the first row as header and ``caption`` (else the ``heading``
        above it) as caption; else a layout grid, written as it was before tables were rendered:
        its own caption, then a line per row, its non-empty cells joined by " | "."""
        rows = [row for row in (trim(r) for r in grid) if row]
        if not rows:
            return
        width = max(len(r) for r in rows)
        long_cell = any(len(c) > MAX_CELL_CHARS for r in rows for c in r)
        if len(rows) >= 2 and width >= 2 and not long_cell:
            if self.add_table(caption or heading, rows[0], rows[1:], sep):
                return
        lines = [CELL_SEPARATOR.join(c for c in r if c) for r in rows]
        self.add("\n".join(([clean_cell(caption)] if caption.strip() else []) + lines), sep)

    def text(self) -> str:
        return "".join(self.parts)


def trim(cells: Sequence[object]) -> list[str]:
    """Cells cleaned (index.tables.clean_cell), trailing empty ones dropped."""
    out = [clean_cell(c) for c in cells]
    while out and not out[-1]:
        out.pop()
    return out


def shifted(table: Table, by: int) -> Table:
    """``table`` with every offset moved ``by`` characters (a part placed later in a text)."""
    rows = tuple(TableRow(r.cells, r.start + by, r.end + by) for r in table.rows)
    return replace(table, rows=rows, start=table.start + by, end=table.end + by)


def count_cells(grid: Sequence[Sequence[str]], label: str) -> None:
    """Refuse a document table of more than ``MAX_GRID_CELLS`` cells."""
    if sum(len(r) for r in grid) > MAX_GRID_CELLS:
        raise UnreadableFile(f"{label} refused: a table of over {MAX_GRID_CELLS:,} cells")
