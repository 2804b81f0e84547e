"""A document's context, put before each of its chunks where they are embedded and indexed.

A later chunk of a filing says "the Company" and "the three months ended July 1": its words match
a question about any company's quarter as well as its own. The header is what the document states
about itself on its first page(s) (the first :data:`OPENING` characters of its clean text): its
title, its subject (the company or agency it names, e.g. "U.S. Department of Labor", "Acme
Robotics, Inc."), its period ("quarter ended July 1, 2023", "Fiscal Year 2015") and an
identifier (a trial's NCT number, a policy or protocol number), followed by the path of headings
above the chunk. Pure functions over text: patterns, no model (index/ needs no NER to find what
a first page states in these fixed forms).

The header is never passage text: :class:`index.types.Chunk` keeps the document's own text and
offsets; the header rides in ``metadata["context"]`` and only the embedded text
(:func:`embedded_text`) and the keyword index read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

OPENING = 3000  # characters of clean text read for the subject, period and identifier
HEADER_PIECES = 40  # most word pieces a header may take
ENCODER_PIECES = 254  # MiniLM reads 256 word pieces, two of them [CLS] and [SEP]
HEADING_WORDS = 6  # words kept of each heading of the path
HEADING_LEVELS = 2  # headings kept on the path (the deepest ones)
VERSION = "context-v1"  # part of the chunking signature: a change re-embeds (index/ingest.py)

_NAME = r"[A-Z][\w&'.-]*"
_AGENCY = re.compile(  # "U.S. Department of Labor", "United States Office of Personnel Management"
    r"\b(?:U\.\s?S\.|United\s+States)\s+(?:Department|Office|Agency|Bureau)\s+of\s+"
    r"(?:[A-Za-z&]+[ \t]+){0,4}[A-Za-z&]+", re.IGNORECASE)
_ORG = re.compile(
    # a company: "Acme Robotics, Inc.", "Globex Corporation"
    rf"\b{_NAME}(?:[ \t]+{_NAME}){{0,3}},?[ \t]+(?:Inc\.|Incorporated|Corporation|Corp\.|"
    r"Ltd\.|Limited|LLC|plc|N\.V\.|S\.A\.|AG)(?!\w)"
    # a named body: "Environmental Protection Agency", "Qianfoshan Hospital"
    rf"|\b(?!The\b){_NAME}(?:[ \t]+(?:of|and|for|the|{_NAME})){{0,5}}[ \t]+(?:Agency|Administration|"
    r"Commission|Hospital|University|Institute|Department|Service|Authority)\b")
_LABELLED = re.compile(r"^(?:sponsor|company|agency|registrant|issuer|insurer)\s*[:：]\s*"
                       r"([^\n]{2,60})$", re.IGNORECASE | re.MULTILINE)
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
          r"December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|"
          r"Dec\.?)")
_PERIOD = re.compile(
    rf"\b(?:(?:fiscal\s+)?(?:quarter|three\s+months|six\s+months|nine\s+months|twelve\s+months|"
    rf"(?:fiscal\s+)?year|period)\s+ended\s+{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})"
    r"|\b(?:first|second|third|fourth|Q[1-4])\s+quarter(?:\s+of)?(?:\s+fiscal(?:\s+year)?)?"
    r"\s+(?:19|20)\d\d\b"
    r"|\bQ[1-4]\s+(?:FY\s?)?(?:19|20)\d\d\b"
    r"|\bfiscal\s+years?\s+(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)?\d\d)?\b"
    r"|\bFY\s?(?:19|20)\d\d(?:\s*[-–]\s*(?:FY\s?)?(?:19|20)?\d\d)?\b"
    r"|\b(?:annual|quarterly)\s+(?:performance\s+)?report\s+(?:for\s+)?(?:19|20)\d\d\b"
    r"|\b(?:19|20)\d\d\s+annual\s+(?:performance\s+)?report\b",
    re.IGNORECASE)
_IDENTIFIER = re.compile(
    r"\bNCT\d{8}\b"
    r"|\b(?:policy|protocol|project|study|contract)\s+(?:no\.?|number|id|#)\s*[:：]?\s*"
    r"[A-Z0-9][A-Z0-9./-]{2,24}",
    re.IGNORECASE)
_TRIM = {"fy", "fiscal", "annual", "strategic", "plan", "report", "performance", "page",
         "and", "of", "the", "for"}
_GLUE = {"of", "and", "for", "the", "on", "in"}


@dataclass(frozen=True)
class DocumentContext:
    """What a document states about itself: each part empty when it does not say."""

    title: str = ""
    subject: str = ""
    period: str = ""
    identifier: str = ""

    def parts(self) -> list[str]:
        """The parts worth saying, each once (a title that already names the period or the
        subject is not repeated by them)."""
        out: list[str] = []
        for part in (self.title, self.subject, self.period, self.identifier):
            if part and not any(part.lower() in said.lower() for said in out):
                out.append(part)
        return out


def document_context(title: str, clean_text: str, doc_id: str = "") -> DocumentContext:
    """The context stated in the opening of ``clean_text``; ``title`` is kept when the
    opening bears it out (a PDF's metadata title is often a template's: "data analysis plan"),
    else the first heading-like line stands for it. ``doc_id``: its file name may carry the
    identifier (a registry's files are named by it)."""
    opening = clean_text[:OPENING]
    ident = _first(_IDENTIFIER, opening) or _first(re.compile(r"NCT\d{8}"), doc_id)
    return DocumentContext(title=_title(title, opening), subject=_subject(opening),
                           period=_period(opening), identifier=ident)


def _first(pattern: re.Pattern[str], text: str) -> str:
    m = pattern.search(text)
    return " ".join(m.group(0).split()) if m else ""


def _title(title: str, opening: str) -> str:
    # A title the loader took from a first line of running text (two sentences or more) is
    # no title.
    words = _words(title) if not re.search(r"[a-z]{2}[.!?]\s+[A-Z]", title) else []
    if words:
        said = set(_words(opening))
        if sum(w in said for w in words) * 2 >= len(words):
            return _clip(title, 12)
    for line in opening.splitlines():
        if _looks_like_heading(line) and len(line.split()) >= 2:
            return _clip(line, 12)
    return ""


def _subject(opening: str) -> str:
    """The organisation the opening names most often (the first named on a tie)."""
    found: list[str] = [m.group(1) for m in _LABELLED.finditer(opening)]
    found += [m.group(0) for m in _AGENCY.finditer(opening)]
    found += [m.group(0) for m in _ORG.finditer(opening)]
    names = [n for n in (_tidy(f) for f in found) if n]
    if not names:
        return ""
    counts = Counter(n.lower() for n in names)
    best = max(counts.values())
    return next(n for n in names if counts[n.lower()] == best)


def _tidy(name: str) -> str:
    """One line, trailing words that are not the name dropped ("... of Labor FY" -> "... of
    Labor"), odd capitals ("OffiCe Of PerSOnnel") made title case."""
    words = name.split()
    while words and words[-1].lower() in _TRIM:
        words.pop()
    if len(words) < 2:
        return ""
    if any(w[1:] != w[1:].lower() and not w.isupper() for w in words if len(w) > 1) or \
            all(w.isupper() for w in words if w.isalpha() and len(w) > 3):
        words = [w if w.lower() in _GLUE or "." in w else w.capitalize() for w in words]
        words = [w.lower() if w.lower() in _GLUE and i else w for i, w in enumerate(words)]
    return " ".join(words)


def _period(opening: str) -> str:
    """The first period the opening states, as written ("quarter ended July 1, 2023")."""
    return _first(_PERIOD, opening)


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_SHORT_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-–/]\s*(\d\d)(?!\d)")  # "FY 2022-26"


def period_years(period: str) -> tuple[int, int] | None:
    """The years a stated period spans: "Fiscal Year 2015" -> (2015, 2015), "FY 2022 – 2026"
    and "FY 2022-26" -> (2022, 2026), "quarter ended July 1, 2023" -> (2023, 2023)."""
    years = [int(y) for y in _YEAR.findall(period)]
    years += [int(m.group(1)[:2] + m.group(2)) for m in _SHORT_RANGE.finditer(period)]
    years = [y for y in years if 1900 <= y <= 2099]
    return (min(years), max(years)) if years else None


def document_years(title: str, text: str, doc_id: str = "") -> tuple[int, int] | None:
    """The years of the period a document states about itself (its opening first, then its
    title and file name: "2013-annual-performance-report.pdf"), or None when it states none.
    A report on fiscal year 2015 published in 2016 is (2015, 2015): the period it covers, not
    its date (index/dates.py)."""
    period = _period(text[:OPENING])
    if not period:
        period = _period(f"{title}\n{re.sub(r'[-_./]+', ' ', doc_id)}")
    return period_years(period) if period else None


_COUNTRY = re.compile(r"^(?:the\s+)?(?:u\.\s?s\.|united\s+states|us)\s+", re.IGNORECASE)


def document_series(title: str, text: str) -> str:
    """The series a document belongs to: the organisation it is about, as a key ("office of
    personnel management" for every year's report of the United States Office of Personnel
    Management, however its cover spells it); "" when its opening names none. Documents of one
    series are the ones a question's period chooses between (rag.time_scope)."""
    subject = _subject(text[:OPENING])
    return " ".join(_COUNTRY.sub("", subject).lower().split()) if subject else ""


def same_series(a: str, b: str) -> bool:
    """Whether two series keys (:func:`document_series`) name one organisation: equal, or one
    is the other cut short (a name broken over two lines of a copy's opening reads "office of
    personnel", the report's own "office of personnel management")."""
    x, y = sorted((a.split(), b.split()), key=len)
    return x == y[:len(x)] and len(x) >= 2 if x != y else True


def record_facts(title: str, text: str, doc_id: str = "") -> dict[str, object]:
    """What a document's record keeps of its context for retrieval: ``period`` (its years) and
    ``series`` (:func:`document_series`), each only when the document states it."""
    facts: dict[str, object] = {}
    if (years := document_years(title, text, doc_id)) is not None:
        facts["period"] = list(years)
    if series := document_series(title, text):
        facts["series"] = series
    return facts


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _clip(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words]).rstrip(",;:")


# ---- headings ------------------------------------------------------------------------------

_MARKDOWN = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED = re.compile(r"^((?:\d{1,2}\.){0,3}\d{1,2})\.?\s+([A-Z][^\n]*)$")
_LEADER = re.compile(r"(?:\.\s?){4,}|…|\s\d+$|:")  # a table of contents' dot leaders, page numbers


def _looks_like_heading(line: str) -> bool:
    """A short line, no final stop, mostly capitalised words: "Eligibility Criteria",
    "RESULTS OF OPERATIONS"."""
    text = line.strip()
    words = text.split()
    if not 1 <= len(words) <= 10 or len(text) > 90 or text[-1] in ".,;:!?)" or \
            not text[0].isalnum() or _LEADER.search(text):
        return False
    letters = [w for w in words if w[0].isalpha()]
    if len(letters) * 2 < len(words):
        return False
    capital = [w for w in letters if w[0].isupper() or w.lower() in _GLUE]
    return len(capital) == len(letters) and any(len(w) > 3 for w in letters)


def headings(clean_text: str) -> list[tuple[int, int, str]]:
    """The heading-like lines of ``clean_text``: (offset of the line, level, heading) in order.
    Markdown ``#`` headings take their level, numbered ones ("3.2 Eligibility") their depth,
    other heading-like lines the deepest level (each replaces the one before it)."""
    out: list[tuple[int, int, str]] = []
    at = 0
    for line in clean_text.split("\n"):
        text = line.strip()
        if (m := _MARKDOWN.match(text)) is not None:
            out.append((at, len(m.group(1)), m.group(2)))
        elif (m := _NUMBERED.match(text)) is not None and _looks_like_heading(m.group(2)):
            out.append((at, m.group(1).count(".") + 1, text))
        elif _looks_like_heading(text) and at > 0:
            out.append((at, 9, text))
        at += len(line) + 1
    return out


def heading_path(found: list[tuple[int, int, str]], offset: int) -> list[str]:
    """The headings in force at ``offset``: the most recent one of each level (a heading
    closes the deeper ones before it), the deepest :data:`HEADING_LEVELS` of them."""
    path: dict[int, str] = {}
    for at, level, text in found:
        if at > offset:
            break
        path = {k: v for k, v in path.items() if k < level}
        path[level] = _clip(text, HEADING_WORDS)
    return [path[k] for k in sorted(path)][-HEADING_LEVELS:]


# ---- the header ------------------------------------------------------------------------------

Count = Callable[[str], int]  # word pieces of a text


def header(context: DocumentContext, path: list[str], count: Count, room: int) -> str:
    """The header of one chunk: the document's context, then its heading path, in at most
    ``min(room, HEADER_PIECES)`` word pieces; the heading path goes first when it does not fit,
    then the document's parts from the last."""
    budget = min(room, HEADER_PIECES)
    parts = context.parts()
    trail = [h for h in path if not any(h.lower() in p.lower() for p in parts)]
    while parts or trail:
        text = " | ".join(parts + ([" > ".join(trail)] if trail else []))
        if count(text) <= budget:
            return text
        if trail:
            trail.pop(0)
        else:
            parts.pop()
    return ""


def embedded_text(text: str, metadata: dict[str, object]) -> str:
    """What is embedded for a chunk: its header (``metadata["context"]``) on a line before its
    text, or the text alone."""
    context = metadata.get("context")
    return f"{context}\n{text}" if context else text
