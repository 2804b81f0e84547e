"""Trend rows read from a table row's period columns.

A report's table states one measure over several years in one row ("Average number of days to
process retirement cases | FY 2018 Results: 58.6 | FY 2019 Results: 55.7 | ... | FY 2022
Target: 60"): the trend is that row's cells, one per year, not one sentence per document. A
row qualifies when its measure (the row and its document's title) holds most of the question's
measure terms; each cell whose header names one year gives that year's figure, a result or an
actual before a target or goal of the same year, and never a "met / not met" verdict. When the
question names a period ("from FY 2018 to FY 2022"), years outside it are left out. Rows of the
same measure in other reports (a later report restates later years) fill the years the best
row lacks; a year the best row states keeps its value. Each figure is cited as its cell."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.selection import is_table_row
from rag.shapes.text import coverage, terms
from rag.shapes.types import Piece, ShapeInput
from rag.table_cells import SEPARATOR, cells
from rag.time_scope import Scope, stated, without_scope

MIN_COVERAGE = 0.5
SAME_MEASURE = 0.6  # the share of the best row's measure terms another row must hold
_ACTUAL = re.compile(r"\b(?:results?|actuals?|outcomes?)\b", re.I)
_PLANNED = re.compile(r"\b(?:targets?|goals?|planned|plan|estimates?|projected)\b", re.I)
_VERDICT = re.compile(r"\b(?:met|not\s+met|status)\b", re.I)
_DIGIT = re.compile(r"\d")
_SPLIT_POINT = re.compile(r"(?<=\d)\s*\.\s*(?=\d)")  # a PDF's "58 .60" is 58.60


@dataclass(frozen=True)
class _Cell:
    year: int
    label: str  # the header without its result word: "FY 2018"
    value: str
    start: int  # the cell's offsets in the passage text (header and value)
    end: int
    planned: bool


def _line(inp: ShapeInput, passage: int, at: int) -> tuple[str, int]:
    text = inp.passages[passage - 1].text
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start: end if end >= 0 else len(text)], start


def _measure(line: str) -> str:
    """The row's own words: its cells before the first named one ("7.03C | Performance Measure:
    Percent of retirement claims processed within 60 days")."""
    parts = line.split(SEPARATOR)
    named = [p for p in parts if stated(p.split(": ", 1)[0])]
    return SEPARATOR.join(p for p in parts if p not in named)


def _year_cells(line: str, offset: int) -> list[_Cell]:
    found = []
    for header, start, end in cells(line):
        years = {y for y in stated(header)}
        value = _SPLIT_POINT.sub(".", line[start:end].strip())
        if len(years) != 1 or _VERDICT.search(header) or not _DIGIT.search(value):
            continue
        (first, last), = years
        if first != last:
            continue
        label = " ".join(_ACTUAL.sub(" ", header).split())
        planned = bool(_PLANNED.search(header))
        head_start = offset + start - len(header) - 2
        found.append(_Cell(first, label, value, head_start, offset + end, planned))
    return found


def _by_year(found: list[_Cell], scope: Scope | None) -> dict[int, _Cell]:
    """One cell a year, the first; targets only in a row without results; only years of the
    asked period."""
    chosen: dict[int, _Cell] = {}
    if any(not c.planned for c in found):
        found = [c for c in found if not c.planned]
    for cell in found:
        if scope is not None and not scope.overlaps(cell.year, cell.year):
            continue
        held = chosen.get(cell.year)
        if held is None:
            chosen[cell.year] = cell
    return chosen


def rows(inp: ShapeInput, scope: Scope | None, pool: int,
         min_coverage: float = MIN_COVERAGE) -> list[Piece]:
    """The trend's rows (year order) from the best table row of the measure and rows of the same
    measure elsewhere; [] when no row gives two years."""
    wanted = terms(without_scope(inp.question))
    years: dict[int, tuple[_Cell, int]] = {}
    measure: frozenset[str] | None = None
    seen: set[tuple[int, int]] = set()
    for s in inp.sentences[:pool]:
        at, _ = inp.where(s)
        if at < 0:
            continue
        line, offset = _line(inp, s.passage, at)
        if (s.passage, offset) in seen or not is_table_row(line):
            continue
        seen.add((s.passage, offset))
        title = inp.passages[s.passage - 1].title
        own = terms(_measure(line))
        if coverage(wanted, f"{title} {line}") < min_coverage:
            continue
        if measure is not None and len(measure & own) < SAME_MEASURE * len(measure):
            continue
        chosen = _by_year(_year_cells(line, offset), scope)
        if measure is None and len(chosen) < 2:
            continue
        measure = own if measure is None else measure
        for year, cell in chosen.items():
            years.setdefault(year, (cell, s.passage))
    if len(years) < 2:
        return []
    out = []
    for year in sorted(years):
        cell, passage = years[year]
        text = inp.passages[passage - 1].text[cell.start:cell.end]
        out.append(Piece(text, passage, cell.start, cell.end, cell.label, cell.value))
    return out
