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

:func:`prefer` reorders ranked candidates (see its steps): within a **series** (one
organisation's reports, year after year: index.context.document_series, kept on the record at
ingest with the document's own period, index.context.document_years) the documents covering
the period first; within a document that does not cover it, its passages stating the period
first.

With a "latest" scope, the series' documents of the newest stated period come first. A question
with no scope leaves the order untouched. :func:`unmet` says when the evidence speaks of no
part of the asked period (the gate refuses with reason ``period``). The rules are written, not
fitted; docs/time.md says which set was looked at when writing each and what the others show.
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
# A year as a question dates it: "FY 2015", "fiscal year 2017", "March 3, 2015", "mid-2015",
# "25 October , 2004" (a tokenised page's comma).
_WHEN = (rf"(?:(?:fy|fiscal\s+years?|calendar\s+years?|(?:the\s+)?(?:end|start|beginning)\s+of"
         rf"|(?:early|late|mid)[-\s]?)\s*)*(?:{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\s*,?\s+)?)?"
         rf"(?:\d{{1,2}}\s+{_MONTH}\s*,?\s+)?{_YEAR}")
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
                           rf"|\bbetween\s+{_YEAR}\s+and\s+{_YEAR}"
                           # "from November 2002 to July 2003", "between March 3, 2015 and ..."
                           rf"|\b(?:from|between)\s+{_WHEN}\s*(?:to|and|until|till|through|"
                           rf"[-–—])\s*{_WHEN}", re.IGNORECASE)
# Two full dates joined by a dash: a list's period ("Yuri Puntus ( 1 March 1996 – 30 November
# 2004 )") as often as a life's ("Ivan Kozhedub ( 8 June 1920 – 8 August 1991 ) was ..."), so it
# states the asked period only when its years are the asked ones (EXACT); otherwise its two
# years are read one by one, as before.
_DATES_RANGE = re.compile(rf"(?<![\w,])(?=\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d){_WHEN}\s*[-–—]\s*"
                          rf"{_WHEN}", re.IGNORECASE)
RANGE_STATED = _STATED_RANGE  # a range of years as a text writes it


def written_ranges(text: str) -> list[tuple[int, int, int, int]]:
    """Each range ``text`` writes, of years or of full dates: (start, end, first year, last
    year)."""
    return [(m.start(), m.end(), *sorted(int(g) for g in m.groups() if g))
            for pattern in (_STATED_RANGE, _DATES_RANGE) for m in pattern.finditer(text)]
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


def year_mentions(text: str, scope: Scope) -> list[tuple[int, int, bool]]:
    """Each year or range of years ``text`` writes: (start, end, whether it overlaps the
    scope), in text order."""
    found: list[tuple[int, int, bool]] = []
    for m in _STATED_RANGE.finditer(text):
        a, b = (int(g) for g in m.groups() if g)
        found.append((m.start(), m.end(), scope.overlaps(min(a, b), max(a, b))))
    for m in _STATED_YEAR.finditer(text):
        if not any(s <= m.start() < e for s, e, _ in found):
            found.append((m.start(), m.end(), scope.overlaps(int(m.group(1)), int(m.group(1)))))
    return sorted(found)


def covers_first(mention: str, scope: Scope) -> bool:
    """Whether a year or range of years as a text writes it (``mention``) holds the first year
    of the scope."""
    years = [int(y) for y in _STATED_YEAR.findall(mention)]
    return bool(years) and min(years) <= scope.first <= max(years)


def passage_fit(text: str, scope: Scope) -> int:
    """1: ``text`` states a year inside the scope; 0: it states no year; -1: only others."""
    spans = stated(text)
    if not spans:
        return 0
    return 1 if any(scope.overlaps(a, b) for a, b in spans) else -1


EXACT, BOUND, INSIDE, NONE, OTHER = 3, 2, 1, 0, -1


def period_fit(text: str, scope: Scope) -> int:
    """How closely ``text`` states the asked period, for a dated scope: EXACT it states the
    asked range itself ("( 1943–1951 )", "from 2015 to 2018" for "from 2015 to 2018"), BOUND
    it states a year that begins or ends it (the year asked, for a single year: "On 12 June
    2014 ... was appointed", "... until 1827"), INSIDE a year within it, NONE no year, OTHER
    only years outside it. A period is stated where it begins or ends: a year inside a long
    range is more often another event of it."""
    spans = stated(text)
    if not spans:
        return NONE
    if scope.first < scope.last and ((scope.first, scope.last) in spans or any(
            r[2:] == (scope.first, scope.last) for r in written_ranges(text))):
        return EXACT
    ends = {scope.first, scope.last} - {OPEN_START, OPEN_END}
    if any(a in ends or b in ends for a, b in spans):
        return BOUND
    return INSIDE if any(scope.overlaps(a, b) for a, b in spans) else OTHER


def document_fit(text: str, scope: Scope, period: tuple[int, int] | None) -> int:
    """:func:`period_fit` of a sentence of a document covering ``period`` (its own, a yearly
    report's; None when it states none): a sentence stating no year in a document of the asked
    period speaks of that period, as one stating a year that bounds it does (BOUND)."""
    fit = period_fit(text, scope)
    if fit == NONE and period is not None and scope.overlaps(*period):
        return BOUND
    return fit


_UNTIL = re.compile(rf"\b(?:until|till|to|through)\s+(?:{_MONTH}\s+)?(?:\d{{1,2}},?\s+)?{_YEAR}",
                    re.IGNORECASE)


def begins(text: str, scope: Scope) -> bool:
    """Whether ``text`` dates the start of an asked range of years: it states the range itself,
    its first year ("On 10 June 2010, Pioli was named head coach of Chievo" for "from June 2010
    to June 2011"), or "until" its last year ("... lived there until 1827"). A sentence dated
    only at the range's last year more often tells what came next ("On 2 June 2011, Pioli was
    named head coach of Palermo")."""
    if scope.latest or not scope.first < scope.last or OPEN_START == scope.first or \
            scope.last == OPEN_END:
        return False
    spans = stated(text)
    if (scope.first, scope.last) in spans or any(a == scope.first for a, _ in spans):
        return True
    return any(int(m.group(1)) == scope.last for m in _UNTIL.finditer(text))


def document_fits(periods: Sequence[tuple[int, int] | None], scope: Scope) -> list[int]:
    """Per candidate: 1 its document covers the scope, -1 it states another period, 0 it states
    none. All 0 when no document covers the scope (then no document can be preferred)."""
    if scope.latest:
        newest = max((p[1] for p in periods if p), default=None)
        fits = [0 if p is None else (1 if p[1] == newest else -1) for p in periods]
    else:
        fits = [0 if p is None else (1 if scope.overlaps(*p) else -1) for p in periods]
    return fits if any(f > 0 for f in fits) else [0] * len(periods)


def _permute(order: list[int], group: Sequence[str], key: Sequence[int]) -> list[int]:
    """``order`` with each group's members reordered among the places the group holds: higher
    ``key`` first, else as they were. A group named "" is no group (its members stay)."""
    slots: dict[str, list[int]] = {}
    for place, i in enumerate(order):
        if group[i]:
            slots.setdefault(group[i], []).append(place)
    out = list(order)
    for places in slots.values():
        for place, taken in zip(places, sorted(places, key=lambda p: (-key[order[p]], p))):
            out[place] = order[taken]
    return out


def prefer(scope: Scope | None, texts: Sequence[str],
           periods: Sequence[tuple[int, int] | None], docs: Sequence[str],
           series: Sequence[str] | None = None) -> list[int]:
    """The order (indices into the candidates whose ``texts``, documents' ``periods``, document
    ids ``docs`` and documents' ``series`` are given) for the question's scope; no scope: the
    given order. Two steps, each stable:

    1. within a **series** (documents about one organisation: the same report year after year,
       index.context.document_series), the documents covering the scope take the places of the
       series' others: a period chooses between versions of one report, never between reports
       on different subjects (a plan for 2022-2026 may be the one that states a 2021 figure);
    2. each document's candidates are reordered among the places they hold, passages stating
       the period first, unless the document's own period covers the scope.

    Documents are never moved past others by the years their passages state: on timeqa_train
    (400 questions) that moved another page above the asked one for 7 questions and the asked
    one up for none."""
    n = len(texts)
    if scope is None or n < 2:
        return list(range(n))
    passages = [0] * n if scope.latest else [passage_fit(t, scope) for t in texts]
    order = _permute(list(range(n)), series or [""] * n,
                     _series_fits(periods, series or [""] * n, scope))
    # A document covering the period speaks of it throughout: a passage naming the year (its
    # cover, say) is no likelier to answer than the others, so its order stays.
    within = [0 if p is not None and scope.overlaps(*p) else f for p, f in zip(periods, passages)]
    return _permute(order, docs, within)


def _series_fits(periods: Sequence[tuple[int, int] | None], series: Sequence[str],
                 scope: Scope) -> list[int]:
    """:func:`document_fits` within each series (a series none of whose documents covers the
    scope keeps its order)."""
    fits = [0] * len(periods)
    members: dict[str, list[int]] = {}
    for i, name in enumerate(series):
        if name:
            members.setdefault(name, []).append(i)
    for idx in members.values():
        for i, fit in zip(idx, document_fits([periods[i] for i in idx], scope)):
            fits[i] = fit
    return fits
