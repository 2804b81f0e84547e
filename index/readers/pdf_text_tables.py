"""Tables of PDF pages drawn without ruling lines (or with rules around their header only).

pdfplumber's "lines" strategy (index/readers/pdf_tables.py) finds ruled tables only, and its
"text" strategy turns any aligned text (prose columns, lists, tables of contents) into tables. This
module finds unruled tables from strong evidence instead, anchored on a **header of period
columns**: a text line holding at least ``MIN_PERIODS`` periods ("FY 2013", "2019", "Q3 2021")
at distinct column positions, with the lines stacked on it ("Results", "Target", "Met/ Not Met")
as the rest of the header. The header's words, grouped by horizontal overlap, give the columns
(their x-ranges act as explicit vertical lines); a column left of the first period column holds
the row labels. Below the header, lines a line height apart form a row (a wrapped label joins
its figures); a block of such lines with two or more figure lines is a dense table, a row per
line. The body ends at a text line that runs across a data column boundary with ordinary word
spacing (a sentence), at a block with words in the label columns only ("FY 2017 Analysis of
Results:"), at a vertical gap over ``MAX_GAP`` line heights, or at another header. The table is
kept only when at least one row has ``MIN_FIGURES`` cells that are figures ("70.1%", "≥ 90%",
"$1,234", "N/A*"). The caption is the run of short lines just above the header up to a
"TABLE ..." line (none when no such line is near).

A page with more than ``MAX_TEXT_WORDS`` words is not searched: the time a hostile page can cost
stays bounded (the search is linear in the words of a page, sorted once).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from index.tables import clean_cell

MAX_TEXT_WORDS = 6_000
MIN_PERIODS = 3  # period columns a header line must name
MIN_FIGURES = 2  # figure cells one body row at least must hold
MAX_GAP = 4.0  # line heights between the header and a row, or between two rows
MAX_CAPTION_LINES = 4
# How pdfplumber tells words apart (every text it reads off a page here and in
# index/readers/pdf_tables.py): a gap wider than 0.15 of the characters' size starts a word.
# Its default, a fixed 3 points, glues the words of small or condensed type that a PDF places
# without space characters ("networkof500,000 EVchargersby2030" in a 7-point table cell); over
# the ruled pages of agency_reports, 92.5 % of the words read so were words pypdf reads on the
# same page, 99.7 % with this ratio (docs/ingestion.md).
WORDS = {"x_tolerance_ratio": 0.15}
_PERIOD = re.compile(r"^(?:(?:FY|CY|Q[1-4]|H[12])\s?)?(?:19|20)\d\d(?:[-–/]\d{2,4})?[-–­]?$", re.I)
_PERIOD_PREFIX = re.compile(r"^(?:FY|CY|Q[1-4]|H[12])$", re.I)
_FIGURE = re.compile(r"^[-+−–$€£(<>≥≤~]*\s?(?:\d[\d.,\s]*%?|N/A|NA|n/a|–|-|—)[)*^†‡~]*$")
_CAPTION = re.compile(r"^(table|exhibit|figure|chart|schedule)\b", re.I)
log = logging.getLogger(__name__)

Bbox = tuple[float, float, float, float]
Shaped = tuple[str, tuple[str, ...], list[tuple[str, ...]], list[str]]


@dataclass
class _Line:
    top: float
    bottom: float
    words: list[dict]

    @property
    def text(self) -> str:
        return " ".join(w["text"] for w in self.words)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


def text_tables(page: object, taken: list[Bbox], index: int = 0) -> list[tuple[Bbox, Shaped]]:
    """The unruled tables of ``page`` outside the boxes ``taken`` (tables already found): each
    as its box (caption lines included) and (caption, header, body rows, no tail)."""
    words = page.extract_words(keep_blank_chars=False, **WORDS)  # type: ignore[attr-defined]
    if len(words) > MAX_TEXT_WORDS:
        log.warning("page %d holds %d words (over %d): its unruled tables are not sought",
                    index + 1, len(words), MAX_TEXT_WORDS)
        return []
    words = [w for w in words if not any(_centre_in(w, box) for box in taken)]
    lines = _lines(words)
    found: list[tuple[Bbox, Shaped]] = []
    i = 0
    while i < len(lines):
        if _period_count(lines[i]) < MIN_PERIODS:
            i += 1
            continue
        table, end = _table_at(lines, i)
        if table is not None:
            found.append(table)
        i = max(end, i + 1)
    return found


def _lines(words: list[dict]) -> list[_Line]:
    """Words grouped into text lines (tops within a third of a line height), top to bottom."""
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (round(w["top"], 1), w["x0"])):
        height = max(word["bottom"] - word["top"], 1.0)
        if lines and abs(word["top"] - lines[-1].top) <= height / 3:
            lines[-1].words.append(word)
            lines[-1].bottom = max(lines[-1].bottom, word["bottom"])
        else:
            lines.append(_Line(word["top"], word["bottom"], [word]))
    for i, line in enumerate(lines):
        line.words.sort(key=lambda w: w["x0"])
        for word in line.words:
            word["line"] = i
    return lines


def _period_count(line: _Line) -> int:
    """Periods on the line ("FY 2013" counts once: its year)."""
    return sum(1 for w in line.words if _PERIOD.match(w["text"]))


def _is_figure(text: str) -> bool:
    return bool(_FIGURE.match(text.strip())) and not _PERIOD.match(text.strip())


def _table_at(lines: list[_Line], at: int) -> tuple[tuple[Bbox, Shaped] | None, int]:
    """The table whose header holds line ``at``, and the index of the first line after it."""
    first, last = _header_band(lines, at)
    header_words = [w for line in lines[first:last + 1] for w in line.words]
    columns = _columns(header_words)
    if len(columns) < MIN_PERIODS:
        return None, last + 1
    first_period = _first_period(columns)
    bounds = _boundaries(columns, first_period)
    rows, end = _body(lines, last + 1, bounds, first_period, lines[at].height)
    if not rows:
        return None, end
    while len(rows) > 1 and not any(_is_figure(w["text"]) for c in rows[0] for w in c):
        columns = [col + cell for col, cell in zip(columns, rows.pop(0))]
    labelled = not any(_PERIOD.match(w["text"]) or _PERIOD_PREFIX.match(w["text"])
                       for w in columns[0])
    header = tuple(clean_cell(" ".join(w["text"] for w in _reading_order(col)))
                   for col in columns)
    body = [tuple(clean_cell(" ".join(w["text"] for w in _reading_order(cell))) for cell in row)
            for row in rows]
    figures = max(sum(1 for j, c in enumerate(r) if c and _is_figure(c)
                      and (j > 0 or not labelled)) for r in body)
    if figures < MIN_FIGURES:
        return None, end
    caption, top = _caption(lines, first)
    used = [w for line in lines[first:end] for w in line.words]
    box = (min(w["x0"] for w in used), top, max(w["x1"] for w in used),
           max(w["bottom"] for w in used))
    return (box, (caption, header, body, [])), end


def _header_band(lines: list[_Line], at: int) -> tuple[int, int]:
    """The first and last lines of the header around line ``at``: lines stacked on it (each
    within a line height of the next) that hold no figures."""
    first = last = at
    height = lines[at].height
    while first > 0 and lines[first].top - lines[first - 1].top <= height * 1.05 \
            and _headerish(lines[first - 1]):
        first -= 1
    while last + 1 < len(lines) and lines[last + 1].top - lines[last].top <= height * 1.05 \
            and _headerish(lines[last + 1]):
        last += 1
    return first, last


def _headerish(line: _Line) -> bool:
    return not any(_is_figure(w["text"]) for w in line.words) and len(line.text) < 200


def _columns(words: list[dict]) -> list[list[dict]]:
    """Header words grouped into columns: words overlapping horizontally (on any line), or on
    one line a word space apart, are one column's."""
    spans: list[list[float | list[dict]]] = []
    for word in sorted(words, key=lambda w: w["x0"]):
        gap = (word["bottom"] - word["top"]) * 0.5
        joined = False
        if spans:
            x0, x1, members = spans[-1]
            same_line = [m for m in members if abs(m["top"] - word["top"]) < 1]  # type: ignore
            reach = max((m["x1"] for m in same_line), default=-1e9) + gap
            if word["x0"] < x1 - 0.5 or word["x0"] <= reach:  # type: ignore[operator]
                spans[-1] = [x0, max(x1, word["x1"]), members + [word]]  # type: ignore
                joined = True
        if not joined:
            spans.append([word["x0"], word["x1"], [word]])
    return [s[2] for s in spans]  # type: ignore[misc]


def _boundaries(columns: list[list[dict]], first: int) -> list[float]:
    """x positions between consecutive columns: midway across the gap between two columns, and
    just left of the first period column (column ``first``) for the label columns before it
    (a label wraps wide, a figure sits under its header)."""
    edges = [(min(w["x0"] for w in c), max(w["x1"] for w in c)) for c in columns]
    return [b[0] - 2 if j + 1 == first else (a[1] + b[0]) / 2
            for j, (a, b) in enumerate(zip(edges, edges[1:]))]


def _first_period(columns: list[list[dict]]) -> int:
    return next((j for j, col in enumerate(columns)
                 if any(_PERIOD.match(w["text"]) for w in col)), 0)


def _column_of(word: dict, bounds: list[float]) -> int:
    centre = (word["x0"] + word["x1"]) / 2
    return sum(1 for b in bounds if centre > b)


def _phrases(line: _Line) -> list[list[dict]]:
    """The line's runs of words a word space apart (under half a line height): cells or
    sentences."""
    runs: list[list[dict]] = []
    for word in line.words:
        if runs and word["x0"] - runs[-1][-1]["x1"] < line.height * 0.5:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _crosses(run: list[dict], bounds: list[float]) -> bool:
    """A run of words across a boundary between data columns, as a sentence runs."""
    x0, x1 = run[0]["x0"], run[-1]["x1"]
    return any(x0 < b - 1 and x1 > b + 1 for b in bounds)


def _body(lines: list[_Line], start: int, bounds: list[float], first_period: int,
          height: float) -> tuple[list[list[list[dict]]], int]:
    """The body rows below a header (cells as word lists) and the index after the last line.
    Lines a line height apart form a block; a block is one row, unless two or more of its
    lines hold a figure in a data column (a dense table): then each such line is a row and the
    block's other lines join the nearest one. A block with words in the label columns only (a
    heading, "FY 2017 Analysis of Results:") ends the body."""
    blocks: list[list[tuple[_Line, list[list[dict]]]]] = []
    previous: _Line | None = lines[start - 1] if start > 0 else None
    end = start
    for line in lines[start:]:
        runs = _phrases(line)
        gap = line.top - previous.bottom if previous is not None else 0.0
        if gap > MAX_GAP * height or _period_count(line) >= MIN_PERIODS \
                or any(_crosses(run, bounds[max(first_period - 1, 0):]) for run in runs):
            break
        cells = _cells_of(runs, bounds)
        if not blocks or end == start or line.top - previous.top > 1.4 * line.height:
            blocks.append([])
        blocks[-1].append((line, cells))
        previous = line
        end += 1
    rows: list[list[list[dict]]] = []
    for number, block in enumerate(blocks):
        if not any(c for _, cells in block for c in cells[first_period:]):
            end = start + sum(len(b) for b in blocks[:number])
            break
        rows.extend(_block_rows(block, first_period))
    return rows, end


def _cells_of(runs: list[list[dict]], bounds: list[float]) -> list[list[dict]]:
    cells: list[list[dict]] = [[] for _ in range(len(bounds) + 1)]
    for run in runs:
        cells[_column_of({"x0": run[0]["x0"], "x1": run[-1]["x1"]}, bounds)].extend(run)
    return cells


def _block_rows(block: list[tuple[_Line, list[list[dict]]]],
                first_period: int) -> list[list[list[dict]]]:
    anchors = [(line, cells) for line, cells in block
               if any(_is_figure(w["text"]) for c in cells[first_period:] for w in c)]
    if len(anchors) < 2:
        merged: list[list[dict]] = [[] for _ in block[0][1]]
        for _, cells in block:
            for j, cell in enumerate(cells):
                merged[j].extend(cell)
        return [merged]
    merged_anchors = [anchors[0]]
    for line, cells in anchors[1:]:  # a row's cells set on two baselines fill other columns
        last = merged_anchors[-1][1]
        if not any(a and b for a, b in zip(last[first_period:], cells[first_period:])):
            for j, cell in enumerate(cells):
                last[j].extend(cell)
        else:
            merged_anchors.append((line, cells))
    if len(merged_anchors) < len(anchors):
        kept = {id(line) for line, _ in merged_anchors}
        absorbed = {id(line) for line, _ in anchors} - kept
        block = [(ln, c) for ln, c in block if id(ln) not in absorbed]
        anchors = merged_anchors
    for line, cells in block:  # a wrapped label or cell joins the nearest row
        if any(line is a for a, _ in anchors):
            continue
        middle = (line.top + line.bottom) / 2
        _, row = min(anchors, key=lambda a: abs((a[0].top + a[0].bottom) / 2 - middle))
        for j, cell in enumerate(cells):
            row[j].extend(cell)
    return [cells for _, cells in anchors]


def _reading_order(words: list[dict]) -> list[dict]:
    return sorted(words, key=lambda w: (w["line"], w["x0"]))


def _caption(lines: list[_Line], first: int) -> tuple[str, float]:
    """The caption above the header at ``first`` and the top of the table's box: the short
    lines just above (each within ``MAX_GAP`` line heights of the next) up to a "TABLE ..."
    line, or none when no such line is among the ``MAX_CAPTION_LINES`` above."""
    top = lines[first].top
    taken: list[_Line] = []
    below = lines[first]
    for line in reversed(lines[max(0, first - MAX_CAPTION_LINES):first]):
        if below.top - line.bottom > MAX_GAP * line.height or len(line.text) > 120:
            break
        taken.insert(0, line)
        below = line
        if _CAPTION.match(line.text):
            return " ".join(ln.text for ln in taken), line.top
    return "", top


def _centre_in(obj: dict, box: Bbox) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]
