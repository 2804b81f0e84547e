"""Trend ("how has X changed", "in each fiscal year ..."): one cited figure per document or
period, in date order, as a small table (period, value, citation), with the change stated
("It rose from 58.6 in 2018 to 88.41 in 2022.").

A table row stating the measure for several years gives the rows when there is one
(rag.shapes.trend_rows: one cell a year). Otherwise passages are grouped by document. A
document's period is the years its title or id states
(rag.time_scope.stated: "2019-annual-performance-report.pdf"), else its stated date's year,
else the one year the sentence states. From each document, the best sentence (or table row)
holding a figure that is no year and most of the question's measure terms (the question
without its time scope and shape words) gives the figure: the one after the last measure word,
else the first. Two documents of one period: the better scored is kept. The figures come from
the best figure's series (documents sharing a title but for its years, :func:`series_of`), or
from documents of no series when it has none: the expenses handbook's limit and the travel
policy's are no trend."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from index.dates import STATED
from rag.shapes import trend_rows
from rag.shapes.text import coverage, terms
from rag.shapes.versions import series_key
from rag.shapes.types import Piece, ShapeInput, Shaped, cite
from rag.time_scope import asked, stated, without_scope
from rag.types import Passage

MIN_COVERAGE = 0.5
POOL = 60  # the best sentences read
_FIGURE = re.compile(r"(?<![\w.,])[$€£]?\d[\d,]*(?:\s?\.\s?\d+)?(?:\s?(?:%|percent|per\s+cent|"
                     r"million|billion|thousand|bn|m)\b|%)?")
_YEAR = re.compile(r"^(?:1[5-9]|20)\d\d$")


def period_of(inp: ShapeInput, n: int, sentence: str) -> tuple[int, str] | None:
    """(sort key, label) of the period passage ``n``'s figure in ``sentence`` speaks of."""
    passage = inp.passages[n - 1]
    named = sorted(set(stated(f"{passage.title} {passage.doc_id}")))
    if len(named) == 1:
        a, b = named[0]
        return b, str(a) if a == b else f"{a}–{b}"
    if passage.date and passage.date_source in STATED:
        year = int(passage.date[:4])
        return year, str(year)
    own = sorted(set(stated(sentence)))
    if len(own) == 1 and own[0][0] == own[0][1]:
        return own[0][0], str(own[0][0])
    return None


def figure(sentence: str, wanted: frozenset[str]) -> str | None:
    """The figure of ``sentence`` for the measure: the first after the last measure word, else
    the first; years are no figures."""
    found = [m for m in _FIGURE.finditer(sentence)
             if not _YEAR.match(m.group(0).strip()) and any(c.isdigit() for c in m.group(0))]
    if not found:
        return None
    lower = sentence.lower()
    last = max((lower.rfind(w) for w in wanted), default=-1)
    after = [m for m in found if m.start() > last] if last >= 0 else []
    return (after or found)[0].group(0).strip()


def number(value: str) -> float | None:
    digits = re.sub(r"(?<=\d)\s+(?=\.)|(?<=\.)\s+(?=\d)|[,$€£%]", "", value).split()
    try:
        return float(digits[0]) if digits else None
    except ValueError:
        return None


def build(inp: ShapeInput) -> Shaped | None:
    from_table = trend_rows.rows(inp, asked(inp.question), POOL)
    if from_table:
        return shaped(from_table)
    wanted = terms(without_scope(inp.question))
    rows: dict[int, Piece] = {}
    seen_docs: set[str] = set()
    series = series_of(inp.passages)
    first: list[str | None] = []  # the series of the best row
    for s in inp.sentences[:POOL]:
        doc = inp.passages[s.passage - 1].doc_id
        if doc in seen_docs or coverage(wanted, s.text) < MIN_COVERAGE or \
                first and series[doc] != first[0]:
            continue
        value = figure(s.text, wanted)
        period = period_of(inp, s.passage, s.text) if value else None
        if value is None or period is None or period[0] in rows:
            continue
        piece = inp.piece(s, label=period[1], value=value)
        if piece is not None:
            rows[period[0]] = piece
            seen_docs.add(doc)
            first[:] = first or [series[doc]]
    if not rows:
        return None
    return shaped([rows[k] for k in sorted(rows)])


def series_of(passages: Sequence[Passage]) -> dict[str, str | None]:
    """Each document's series (rag.shapes.versions.series_key) when another document
    among the passages and their versions shares it ("Travel policy 2024" and "Travel policy
    2025"), else None. A trend's figures come from one series, or from documents of none (news
    stories of one subject): a figure of another series is of another measure."""
    docs = {p.doc_id: p for passage in passages for p in (passage, *passage.versions)}
    keys = {doc: series_key(p) for doc, p in docs.items()}
    shared = Counter(k for k in keys.values() if k)
    return {doc: key if shared[key] >= 2 else None for doc, key in keys.items()}


def shaped(ordered: list[Piece]) -> Shaped:
    """The trend of ``ordered`` rows: each "period: figure [n]", then the change."""
    note = change(ordered)
    body = "\n".join(f"{p.label}: {p.value} [{p.passage}]" for p in ordered)
    return Shaped("trend", ordered, f"{body}\n{note}" if note else body, note=note, table=True)


def change(rows: list[Piece]) -> str:
    """"It rose from A in P1 to B in P2." over the first and last rows ("" for one row)."""
    if len(rows) < 2:
        return f"Only one period found: {rows[0].label}." if rows else ""
    first, last = rows[0], rows[-1]
    a, b = number(first.value), number(last.value)
    if a is None or b is None:
        return ""
    if a == b:
        return f"It was unchanged at {first.value} from {first.label} to {last.label}."
    verb = "rose" if b > a else "fell"
    return f"It {verb} from {first.value} in {first.label} to {last.value} in {last.label}."
