"""An HTML page's tables, collected cell by cell for index/formats.py's ``_TextParser``.

While the parser is inside a ``<table>``, its text goes into the table's cells (``<td>``,
``<th>``; ``colspan`` repeats a header cell over the columns it spans, at most ``MAX_SPAN``),
its ``<caption>`` into the caption. At ``</table>`` the parser writes it through index.tables
(index.readers.common.TextBuilder.add_grid): the first row is the header. A table that holds
another table is a layout table: what it collected so far is written as lines (a row per line,
cells joined by " | "), the rest of its text flows as ordinary blocks, and the inner table is
read as a table of its own. So is a table past ``MAX_GRID_CELLS`` cells: it is not held whole.
"""

from __future__ import annotations

from index.readers.common import MAX_GRID_CELLS, MAX_SPAN
from index.tables import CELL_SEPARATOR, clean_cell

CELL_BREAKS = {"br", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
               "blockquote", "dd", "dt", "dl", "hr"}


class Grid:
    """One ``<table>`` being read: its rows of cells, caption, and whether it still collects."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.span = 1
        self.caption: list[str] = []
        self.in_caption = False
        self.collecting = True
        self.cells = 0

    def start_row(self) -> None:
        self.end_row()
        self.row = []

    def start_cell(self, colspan: str | None) -> None:
        self.end_cell()
        if self.row is None:
            self.row = []
        self.cell = []
        try:
            self.span = max(1, min(int(colspan or 1), MAX_SPAN))
        except ValueError:
            self.span = 1

    def data(self, text: str) -> None:
        if self.in_caption:
            self.caption.append(text)
        elif self.cell is not None:
            self.cell.append(text)
        elif text.strip():  # text loose in a table or row: a cell of its own
            self.start_cell(None)
            self.cell.append(text)  # type: ignore[union-attr]

    def space(self) -> None:
        """A line break or block inside a cell: the words on either side stay apart."""
        self.data(" ")

    def end_cell(self) -> None:
        if self.cell is None or self.row is None:
            return
        value = clean_cell("".join(self.cell))
        fill = value if not self.rows else ""  # the header row names every column it spans
        self.row.extend([value] + [fill] * (self.span - 1))
        self.cells += self.span
        self.cell = None

    def end_row(self) -> None:
        self.end_cell()
        if self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def full(self) -> bool:
        return self.cells > MAX_GRID_CELLS

    def caption_text(self) -> str:
        return clean_cell("".join(self.caption))

    def release(self) -> str:
        """Stop collecting (a layout table): what was collected, a row per line."""
        self.end_row()
        self.collecting = False
        lines = [self.caption_text()] + [CELL_SEPARATOR.join(c for c in r if c) for r in self.rows]
        self.rows = []
        return "\n".join(line for line in lines if line)
