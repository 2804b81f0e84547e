"""Time scopes: the period a question asks about, and which passages and documents speak of it.

"What share of claims were processed within 60 days in fiscal year 2017?" asks of one year; ten
yearly reports state the same measure, and the report *on* 2017 is the one to read (a later
one's table may repeat the 2017 figure; an earlier one cannot hold it). "Who owned the house from
1811 to 1827?" asks of a range; a page states several owners, each with the years they held it.

:func:`asked` reads the scope a question names: a year or a range of years after a preposition
or a fiscal-year mark ("in 2015", "FY 2016", "in fiscal year 2017", "from 1811 to 1827",
"between March 1990 and 1994", "as of 2010", "before 2000", "since 2019"), or the newest period
("latest", "most recent", "last quarter", "this year"). A bare year in a name ("the 2009 film")
is no scope: it carries no preposition. :func:`stated` reads the years a passage speaks of
(single years and written ranges).

:func:`prefer` reorders ranked candidates by two tiers, each stable (the reranker's order holds
within a tier):

1. the **document**: when some candidate's document covers the asked period (its own period,
   index.context.document_years, stored on its record at ingest), those documents come first and
   documents whose period lies outside it last; documents stating no period stay between;
2. the **passage**: passages stating a year inside the scope before passages stating none,
   before passages stating only years outside it.

With a "latest" scope, the documents of the newest stated period come first. A question with no
scope leaves the order untouched. The rules are written, not fitted (docs/retrieval.md says which
set was looked at when writing them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

OPEN_START = 0  # "before 2000": every year up to 1999
OPEN_END = 9999  # "since 2019": every year from 2019

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_YEAR = r"((?:1[5-9]|20)\d\d)(?!\d)"  # 1500-2099
# A year as a question dates it: "FY 2015", "fiscal year 2017", "March 3, 2015", "mid-2015".
_WHEN = (rf"(?:(?:fy|fiscal\s+years?|calendar\s+years?|(?:the\s+)?(?:end|start|beginning)\s+of"
         rf"|(?:early|late|mid)[-\s]?)\s*)*(?:{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?)?"
         rf"(?:\d{{1,2}}\s+{_MONTH}\s+)?{_YEAR}")
_RANGE = re.compile(rf"\b(?:from|between)\s+{_WHEN}\s*(?:to|and|until|till|through|[-–])\s*"
                    rf"{_WHEN}", re.IGNORECASE)
_BARE_RANGE = re.compile(rf"(?<!\d){_YEAR}\s*[-–]\s*{_YEAR}", re.IGNORECASE)
_OPEN = re.compile(rf"\b(before|prior\s+to|until|till|since|after)\s+{_WHEN}", re.IGNORECASE)
_POINT = re.compile(rf"(?:\b(?:in|during|for|of|as\s+of|by|at|on|through|throughout)\s+"
                    rf"(?:the\s+)?{_WHEN}|\b(?:fy|fiscal\s+year)\s*{_YEAR}|{_YEAR}\?)",
                    re.IGNORECASE)
_LATEST = re.compile(r"\b(?:latest|most\s+recent(?:ly)?|newest|current(?:ly)?|this\s+year|"
                     r"last\s+(?:quarter|year|fiscal\s+year|report)|(?:right\s+)?now)\b",
                     re.IGNORECASE)
_STATED_RANGE = re.compile(rf"(?<!\d){_YEAR}\s*(?:[-–—]|to|until|till|through)\s*{_YEAR}"
                           rf"|\bbetween\s+{_YEAR}\s+and\s+{_YEAR}", re.IGNORECASE)
_STATED_YEAR = re.compile(rf"(?<![\d$.,]){_YEAR}")


@dataclass(frozen=True)
class Scope:
    """The years a question asks about (both ends included), or the newest period."""

    first: int = OPEN_START
    last: int = OPEN_END
    latest: bool = False

    def overlaps(self, first: int, last: int) -> bool:
        return first <= self.last and self.first <= last


def asked(question: str) -> Scope | None:
    """The time scope ``question`` names, or None."""
    if m := _RANGE.search(question):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        return Scope(a, b)
    if m := _OPEN.search(question):
        word, year = m.group(1).lower(), int(m.group(2))
        if word.startswith(("before", "prior", "until", "till")):
            return Scope(OPEN_START, year - (0 if word.startswith(("until", "till")) else 1))
        return Scope(year + (1 if word == "after" else 0), OPEN_END)
    years = [int(g) for m in _POINT.finditer(question) for g in m.groups() if g]
    if not years and (m := _BARE_RANGE.search(question)):
        years = [int(m.group(1)), int(m.group(2))]
    if years:
        return Scope(min(years), max(years))
    if _LATEST.search(question):
        return Scope(latest=True)
    return None


def without_scope(question: str) -> str:
    """``question`` with the phrases naming its time scope blanked ("... in FY 2015?" ->
    "... ?"): the period is matched by :func:`prefer` against what documents state about
    themselves, so its words ("FY", "2015") need not occur in a passage for it to answer."""
    for pattern in (_RANGE, _OPEN, _POINT):
        question = pattern.sub(lambda m: " " * (len(m.group(0)) - m.group(0).endswith("?"))
                               + ("?" if m.group(0).endswith("?") else ""), question)
    return question


def unmet(scope: Scope | None, texts: Sequence[str],
          periods: Sequence[tuple[int, int] | None]) -> bool:
    """Whether the evidence says nothing of the asked period: a dated scope, and no passage
    states a year in it and no passage's document covers it. ("latest" is always met.)"""
    if scope is None or scope.latest or not texts:
        return False
    return not any(p is not None and scope.overlaps(*p) for p in periods) and \
        not any(passage_fit(t, scope) > 0 for t in texts)


def describe(scope: Scope) -> str:
    """The asked period in words: "2015", "1990-1994", "before 2000", "since 2019"."""
    if scope.first == OPEN_START:
        return f"before {scope.last + 1}"
    if scope.last == OPEN_END:
        return f"{scope.first} or later"
    return str(scope.first) if scope.first == scope.last else f"{scope.first}-{scope.last}"


def stated(text: str) -> list[tuple[int, int]]:
    """The years ``text`` speaks of: each written range ("1990–1994", "from 1811 to 1827") and
    each single year, as (first, last). Figures like "$2,019" or "1,998" are no years."""
    spans: list[tuple[int, int]] = []
    covered: list[tuple[int, int]] = []
    for m in _STATED_RANGE.finditer(text):
        a, b = (int(g) for g in m.groups() if g)
        if a <= b:
            spans.append((a, b))
            covered.append(m.span())
    for m in _STATED_YEAR.finditer(text):
        if not any(s <= m.start() < e for s, e in covered):
            year = int(m.group(1))
            spans.append((year, year))
    return spans


def passage_fit(text: str, scope: Scope) -> int:
    """1: ``text`` states a year inside the scope; 0: it states no year; -1: only others."""
    spans = stated(text)
    if not spans:
        return 0
    return 1 if any(scope.overlaps(a, b) for a, b in spans) else -1


def document_fits(periods: Sequence[tuple[int, int] | None], scope: Scope) -> list[int]:
    """Per candidate: 1 its document covers the scope, -1 it states another period, 0 it states
    none. All 0 when no document covers the scope (then no document can be preferred)."""
    if scope.latest:
        newest = max((p[1] for p in periods if p), default=None)
        fits = [0 if p is None else (1 if p[1] == newest else -1) for p in periods]
    else:
        fits = [0 if p is None else (1 if scope.overlaps(*p) else -1) for p in periods]
    return fits if any(f > 0 for f in fits) else [0] * len(periods)


def prefer(scope: Scope | None, texts: Sequence[str],
           periods: Sequence[tuple[int, int] | None], docs: Sequence[str]) -> list[int]:
    """The order (indices into the candidates whose ``texts``, documents' ``periods`` and
    document ids ``docs`` are given) for the question's scope; no scope: the given order.

    Documents move as wholes, stably: first by whether the document covers the scope
    (:func:`document_fits`), then by the best :func:`passage_fit` among its candidates (a
    document with a passage stating the asked period before one stating only others). Then each
    document's candidates are reordered among the places they hold, passages stating the period
    first: the order of documents is never changed by one passage's years alone."""
    n = len(texts)
    if scope is None or n < 2:
        return list(range(n))
    fits = document_fits(periods, scope)
    passages = [0] * n if scope.latest else [passage_fit(t, scope) for t in texts]
    best: dict[str, int] = {}
    for doc, fit in zip(docs, passages):
        best[doc] = max(best.get(doc, -1), fit)
    order = sorted(range(n), key=lambda i: (-fits[i], -best[docs[i]], i))
    slots: dict[str, list[int]] = {}
    for place, i in enumerate(order):
        slots.setdefault(docs[i], []).append(place)
    out = [0] * n
    for places in slots.values():
        own = sorted(places, key=lambda place: (-passages[order[place]], place))
        for place, taken in zip(places, own):
            out[place] = order[taken]
    return out
