"""Tables of PDF pages, found by pdfplumber from their ruling lines.

:func:`page_blocks` reads the pages it is given and returns, for each page that holds at least
one real table, the page in reading order as blocks: runs of text (the characters outside every
table's box, a line per text line) and tables (caption, header, body rows) at their positions.
The PDF reader (index/readers/pdf.py) renders each table with index.tables.render.

Ruled tables are sought with pdfplumber's "lines" strategy for both axes; its "text" strategy
also turns columns of prose, lists and tables of contents into "tables", so it is not used.
Unruled tables (and those whose rules box the header alone) are found from a header of period
columns by index/readers/pdf_text_tables.py, outside the ruled tables kept. A
found table stays text when it is layout rather than data: fewer than two rows or two used
columns, or fewer than half its cells filled (empty boxes, the cells of a chart). A table inside
another one is part of it. A page drawing more than ``MAX_TABLE_EDGES`` ruling segments is left
as text, which bounds the time a hostile page (10,000 ruled rows) can cost.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from pdfplumber.utils import extract_text

from index.readers.pdf_text_tables import WORDS, text_tables
from index.readers.pdf_hidden import visible
from index.tables import MAX_CELL_CHARS, clean_cell

MAX_TABLE_EDGES = 4_000
_MAX_ORPHAN_CHECKS = 2_000_000  # characters x cells: beyond it, gaps of the grid stay empty
MIN_FILL = 0.5  # share of a table's cells that must hold text for it to be data
_CAPTION = re.compile(r"^(table|exhibit|figure|chart|schedule|appendix)\b", re.I)
_NUMBER = re.compile(r"^[-+−$€£(<>≥≤~]*\d[\d.,]*%?\)?\*?$")
_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
log = logging.getLogger(__name__)

Bbox = tuple[float, float, float, float]
# caption, header, body rows, and the text of prose rows boxed below them
Shaped = tuple[str, tuple[str, ...], list[tuple[str, ...]], list[str]]


@dataclass(frozen=True)
class FoundTable:
    """A table as found on a page: cells already cleaned, rows padded to the header's width."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = str | FoundTable


def page_blocks(data: bytes, indices: list[int]) -> dict[int, list[Block]]:
    """The 0-based pages of ``indices`` that hold real tables, each as its blocks."""
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    found: dict[int, list[Block]] = {}
    if not indices:
        return found
    with pdfplumber.open(io.BytesIO(data), password="") as pdf:
        for index in indices:
            page = pdf.pages[index]
            try:
                # a heading "bolded" by drawing each letter several times over itself reads as
                # its letters once ("TTTTTTTTrrrrrrrr..." otherwise)
                # and type too small to read (index/readers/pdf_hidden.py) is not read at all
                blocks = _blocks(visible(page.dedupe_chars()), index)
            finally:
                page.close()
            if blocks is not None:
                found[index] = blocks
    return found


def _blocks(page: object, index: int) -> list[Block] | None:
    edges = len(page.lines) + len(page.rects)  # type: ignore[attr-defined]
    if edges > MAX_TABLE_EDGES:
        log.warning("page %d draws %d ruling segments (over %d): its tables are read as text",
                    index + 1, edges, MAX_TABLE_EDGES)
        return None
    tables: list[tuple[Bbox, Shaped]] = []
    found = page.find_tables(_SETTINGS)  # type: ignore[attr-defined]
    for table in sorted(found, key=lambda t: (t.bbox[1], t.bbox[0])):
        if any(_contains(box, table.bbox) for box, _ in tables):
            continue
        shaped = shape(_cells(page, table))
        if shaped is not None:
            tables.append((table.bbox, shaped))
    tables += text_tables(page, [box for box, _ in tables], index)
    tables.sort(key=lambda t: (t[0][1], t[0][0]))
    if not tables:
        return None
    boxes = [box for box, _ in tables]
    rest = page.filter(lambda obj: obj.get("object_type") != "char"  # type: ignore[attr-defined]
                       or not any(_centre_in(obj, box) for box in boxes))
    lines = [ln for ln in rest.extract_text_lines(strip=True, return_chars=False, **WORDS) if ln["text"]]
    blocks: list[Block] = []
    for box, (caption, header, body, tail) in tables:
        before = [ln for ln in lines if ln["top"] < box[1]]
        lines = [ln for ln in lines if ln["top"] >= box[1]]
        if before and _is_caption(before[-1], box):
            caption = " ".join(x for x in (before.pop()["text"], caption) if x)
        if before:
            blocks.append("\n".join(ln["text"] for ln in before))
        blocks.append(FoundTable(clean_cell(caption), header, tuple(body)))
        blocks.extend(tail)
    if lines:
        blocks.append("\n".join(ln["text"] for ln in lines))
    return blocks


def _cells(page: object, table: object) -> list[list[str | None]]:
    """The table's cells as pdfplumber reads them, and in a gap of its grid (``None``: no cell
    starts there) the text no cell took: a label whose box is drawn without its own rules."""
    rows = table.extract(**WORDS)  # type: ignore[attr-defined]
    gaps = [(r, j) for r, row in enumerate(table.rows)  # type: ignore[attr-defined]
            for j, cell in enumerate(row.cells) if cell is None]
    if not gaps:
        return rows
    cells = [c for row in table.rows  # type: ignore[attr-defined]
             for c in row.cells if c is not None]
    inside = [ch for ch in page.chars if _centre_in(ch, table.bbox)]  # type: ignore[attr-defined]
    if len(inside) * len(cells) > _MAX_ORPHAN_CHECKS:
        return rows
    orphans = [ch for ch in inside if not any(_centre_in(ch, c) for c in cells)]
    columns = table.columns  # type: ignore[attr-defined]
    for r, j in gaps:
        if not orphans or j >= len(columns):
            continue
        band = table.rows[r].bbox  # type: ignore[attr-defined]
        box = (columns[j].bbox[0], band[1], columns[j].bbox[2], band[3])
        found = [ch for ch in orphans if _centre_in(ch, box)]
        if found:
            rows[r][j] = extract_text(found, **WORDS)
    return rows


def shape(rows: list[list[str | None]]) -> Shaped | None:
    """(caption, header, body, tail) of a found table's cells (``None``: a merged cell's
    continuation), or None when the table is layout. A first row with one cell spanning the
    whole width is the caption; a second row joins the header (per column) when the first has a
    cell spanning columns and the second holds no figures. From the first row holding prose (a
    cell over ``MAX_CELL_CHARS``, a paragraph boxed with the table) on, the cells are ``tail``:
    text, as it reads."""
    raw = [row for row in rows if row]
    grid = [[None if c is None else clean_cell(c) for c in row] for row in raw]
    prose = next((i for i, row in enumerate(grid) if any(len(c or "") > MAX_CELL_CHARS
                                                         for c in row)), len(grid))
    tail = [_tidy(c) for row in raw[prose:] for c in row if c and c.strip()]
    grid = grid[:prose]
    caption = ""
    if len(grid) > 1 and len(grid[0]) > 1 and grid[0][0] and all(c is None for c in grid[0][1:]):
        caption = grid[0][0]
        grid = grid[1:]
    width = max((len(r) for r in grid), default=0)
    grid = [r + [None] * (width - len(r)) for r in grid]
    present = [c for r in grid for c in r if c is not None]
    filled = sum(1 for c in present if c)
    used = sum(1 for j in range(width) if any(r[j] for r in grid))
    if len(grid) < 2 or used < 2 or filled < MIN_FILL * len(present):
        return None
    header = [c or "" for c in grid[0]]
    body = grid[1:]
    if len(grid) > 2 and _second_header(grid[0], grid[1]):
        spanned = _fill_right(grid[0])
        header = [" ".join(x for x in (top, bottom or "") if x)
                  for top, bottom in zip(spanned, grid[1])]
        body = grid[2:]
    return caption, tuple(header), [tuple(c or "" for c in r) for r in body], tail


def _tidy(cell: str) -> str:
    return "\n".join(" ".join(line.split()) for line in cell.strip().splitlines())


def _second_header(first: list[str | None], second: list[str | None]) -> bool:
    spans = any(c is None and any(first[:j]) for j, c in enumerate(first))
    texts = [c for c in second if c]
    return spans and len(texts) >= 2 and not any(_NUMBER.match(c) for c in texts)


def _fill_right(cells: list[str | None]) -> list[str]:
    """A header row with each merged continuation named by the cell spanning it."""
    out: list[str] = []
    for cell in cells:
        out.append(out[-1] if cell is None and out else (cell or ""))
    return out


def _is_caption(line: dict, box: Bbox) -> bool:
    """The text line just above a table reads as its caption or heading: close above it, and
    "Table 3 ..." (or Exhibit, Figure, ...) or a short line that does not end a sentence."""
    height = max(line["bottom"] - line["top"], 1.0)
    if box[1] - line["bottom"] > 2.5 * height:
        return False
    text = line["text"].strip()
    if _CAPTION.match(text):
        return True
    return len(text.split()) <= 12 and not text.endswith((".", ",", ";")) and text[:1].isupper()


def _contains(outer: Bbox, inner: Bbox) -> bool:
    return (outer[0] - 1 <= inner[0] and outer[1] - 1 <= inner[1] and inner[2] <= outer[2] + 1
            and inner[3] <= outer[3] + 1)


def _centre_in(obj: dict, box: Bbox) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]
