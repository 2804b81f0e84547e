"""The cell a question asks for, in a table row that answers it.

A row as index/tables.py writes it names each cell by its column ("Total net sales | Quarter ended
July 1, 2023: $54,024 | Quarter ended June 25, 2022: $50,325"). When the question names one
column (a period, a year, a measure: "... in the quarter ended July 1, 2023?"), the exact answer is
that column's cell. The column is the one whose header shares the most words with the question,
figures counting double (a year or a day decides between periods). Between columns the question
names as much ("FY 2015" names "FY 2015 Results", "FY 2015 Target" and "FY 2011- FY 2015
Trend"), the column of what was (Results, Result, Actual) wins unless the question asks for the
target or goal, and then the Target column wins; then the header with fewer words the question
does not name ("FY 2015 Target" over "FY 2015 Target Met/ Not Met"); a tie still left names no
column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from index.tables import PERIOD_HEADER
from rag.selection import is_table_row
from rag.sentences import STOPWORDS

_WORD = re.compile(r"[^\W_]+")
_ACTUAL = {"result", "results", "actual", "actuals"}
_PLANNED = {"target", "targets", "goal", "goals", "plan", "planned"}
SEPARATOR = " | "


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def cells(row: str) -> Iterable[tuple[str, int, int]]:
    """Each named cell of ``row``: (header, start, end) with ``row[start:end]`` the value."""
    at = 0
    for i, part in enumerate(row.split(SEPARATOR)):
        colon = part.find(": ")
        first_named = i == 0 and bool(PERIOD_HEADER.search(part[:max(colon, 0)]))
        if (i > 0 or first_named) and colon > 0 and part[colon + 2:].strip():
            yield part[:colon], at + colon + 2, at + len(part)
        at += len(part) + len(SEPARATOR)


def cell_for(row: str, question: str) -> tuple[int, int] | None:
    """Offsets in ``row`` of the value in the column the question names, or None (not a table
    row, no column named, or two named as much)."""
    if not is_table_row(row):
        return None
    asked = _words(question)
    scored = []
    for header, start, end in cells(row):
        named = _words(header)
        shared = named & asked
        score = sum(2 if w.isdigit() else 1 for w in shared)
        scored.append(((score, _kind(named, asked), -len(named - asked)), start, end))
    scored.sort(reverse=True)
    if not scored or scored[0][0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1], scored[0][2]


def _kind(header: set[str], asked: set[str]) -> int:
    """1 for the column the question's kind of figure reads (a target when it asks for one,
    else a result), -1 for the other kind, 0 for neither."""
    wants_plan = bool(asked & _PLANNED)
    if header & (_PLANNED if wants_plan else _ACTUAL) and not (header & _ACTUAL
                                                                 and header & _PLANNED):
        return 1
    if header & (_ACTUAL if wants_plan else _PLANNED):
        return -1
    return 0
