"""Remove boilerplate and markup noise while keeping a map back to the original offsets.

Rules (each tested in tests/test_cleaning.py):

1. A line that matches a boilerplate pattern (``DEFAULT_BOILERPLATE`` plus any patterns from
   settings) is dropped whole. Patterns are case-insensitive regular expressions matched against
   the stripped line.
2. A line that matches a block-start pattern (``BLOCK_START``, e.g. a "## Subscribe to ..."
   heading, plus any from settings) drops everything from it to the end of the document: outlets
   append their subscription adverts after the story.
3. Inline HTML tags (``<u>``, ``</a>``, ...) are removed; backslash escapes of Markdown
   punctuation (``\\$``) become the bare character.
4. Runs of spaces and tabs become one space; trailing spaces on a line are dropped; more than one
   blank line in a row becomes one.
5. A list item's indentation is kept (a tab to the next multiple of four columns) in every format
   whose text form is written by its author: text, Markdown, HTML and the formats read through
   the HTML reader (index/readers/html_text.py writes a nested list indented), DOCX
   (index/readers/docx_lists.py does too) and PPTX (a slide's bullets by level). It says which
   item a list belongs to: a list inside a list item (sub-steps, the exceptions to a rule). Other
   lines lose theirs, as before: an indented paragraph (a FAQ's hanging "A:  ..." answer) reads
   as prose, not code. In the formats whose text form the reader lays out (``LAYOUT_FORMATS``:
   PDF, scans, ODT, sheets) every line loses it: there it is where the text stood on a page.

Every kept character remembers its position in the original text, so spans found in the clean
text map back exactly (:meth:`CleanDocument.original_span`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from index.types import CleanDocument, Document

DEFAULT_BOILERPLATE: tuple[str, ...] = (
    r"read more( news)?",
    r"leave a reply",
    r"your email address will not be published\..*",
    r"required fields are marked \*",
    r"see also\b.*",
    r"cover photo:?",
    r"the post .+ appeared first on .+",
    r"(share|share this|print|email)( article| story)?:?",
    r"(click|tap) here to subscribe.*",
    r"advertisement",
)
BLOCK_START: tuple[str, ...] = (r"#{1,6}\s*subscribe\b.*",)
LAYOUT_FORMATS = frozenset({"pdf", "image", "odt", "xlsx", "ods", "csv"})
TAB_WIDTH = 4
# A list item's line: a bullet, a number or a letter and its stop or parenthesis, then its text.
_ITEM_LINE = re.compile(r"(?:[-*+•▪◦●○■]|\d{1,3}[.)]|[A-Za-z][.)]|\([0-9A-Za-z]{1,4}\))[ \t]+\S")

_INLINE = re.compile(
    r"(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>)"
    r"|\\(?P<esc>[$%&_#*\[\]()`~>-])"
    r"|(?P<ws>[ \t\u00a0]+)"
)


class Cleaner:
    """Applies the rules above. Construct once; :meth:`clean` is pure."""

    def __init__(self, extra_boilerplate: Sequence[str] = (),
                 extra_block_start: Sequence[str] = ()) -> None:
        self._line = _compile([*DEFAULT_BOILERPLATE, *extra_boilerplate], "boilerplate")
        self._block = _compile([*BLOCK_START, *extra_block_start], "block-start")

    def is_boilerplate(self, line: str) -> bool:
        return bool(self._line.fullmatch(line.strip()))

    def clean(self, document: Document) -> CleanDocument:
        text = document.text
        out: list[str] = []
        runs: list[tuple[int, int, int]] = []  # per piece of ``out``: _Run
        removed: list[str] = []
        blank_run = 0
        line_start = 0
        indent = document.format not in LAYOUT_FORMATS
        for line in text.splitlines(keepends=True):
            start = line_start
            line_start += len(line)
            body = line.rstrip("\r\n")
            stripped = body.strip()
            pieces, piece_runs = _clean_line(body, start, indent)
            # The rules read the line as it is and as it is kept (tags and escapes gone), so
            # "<b>Read more</b>" is boilerplate too and a chunk's original span, cleaned again,
            # gives the chunk's text back.
            kept = "".join(pieces)
            if stripped and (self._block.fullmatch(stripped) or self._block.fullmatch(kept)):
                removed.extend(
                    ln for ln in text[start:].splitlines() if ln.strip()
                )
                break
            if stripped and (self._line.fullmatch(stripped) or self._line.fullmatch(kept)):
                removed.append(stripped)
                continue
            if not pieces:
                blank_run += 1
                continue
            if out:
                newline_at = start - 1 if start > 0 else 0
                sep = "\n\n" if blank_run else "\n"
                out.append(sep)
                runs.append((newline_at, len(sep), 0))
            blank_run = 0
            out.extend(pieces)
            runs.extend(piece_runs)
        clean_text = "".join(out)
        offsets = _expand(runs)
        assert len(offsets) == len(clean_text)
        return CleanDocument(document, clean_text, offsets, tuple(removed))


def _compile(patterns: Sequence[str], kind: str) -> re.Pattern[str]:
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid {kind} pattern: {exc}") from None


# The original offsets of a clean piece: (first offset, length, step), step 1 for text kept as
# it was (consecutive offsets) and 0 for characters standing for one place (a collapsed run of
# spaces, a line break). One array is built per document (_expand) rather than one per piece.
_Run = tuple[int, int, int]


def _expand(runs: Sequence[_Run]) -> np.ndarray:
    """The offset of every clean character, from the pieces' runs."""
    if not runs:
        return np.zeros(0, dtype=np.int64)
    table = np.array(runs, dtype=np.int64)
    starts, lengths, steps = table[:, 0], table[:, 1], table[:, 2]
    first = np.cumsum(lengths) - lengths  # where each run starts in the clean text
    within = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(first, lengths)
    return np.repeat(starts, lengths) + within * np.repeat(steps, lengths)


def _clean_line(body: str, base: int, indent: bool = False) -> tuple[list[str], list[_Run]]:
    """Clean one line; return its text pieces and, per piece, its original offsets. ``indent``:
    keep its indentation if it is a list item's (rule 5)."""
    lead = len(body) - len(body.lstrip(" \t\u00a0")) if indent else 0
    if lead and _ITEM_LINE.match(body, lead):
        pieces, positions = _clean_line(body[lead:], base + lead)
        if not pieces:
            return pieces, positions
        kept, runs = _indentation(body[:lead], base)
        return kept + pieces, runs + positions
    pieces = []
    positions = []
    cursor = 0
    for m in _INLINE.finditer(body):
        if m.start() > cursor:
            pieces.append(body[cursor : m.start()])
            positions.append((base + cursor, m.start() - cursor, 1))
        if m.group("esc") is not None:
            pieces.append(m.group("esc"))
            positions.append((base + m.start() + 1, 1, 1))
        elif m.group("ws") is not None:
            pieces.append(" ")
            positions.append((base + m.start(), 1, 1))
        cursor = m.end()
    if cursor < len(body):
        pieces.append(body[cursor:])
        positions.append((base + cursor, len(body) - cursor, 1))
    # Trim the spaces at either end of the line (and drop a line of only spaces/tags).
    while pieces and pieces[0].strip() == "":
        pieces.pop(0)
        positions.pop(0)
    while pieces and pieces[-1].strip() == "":
        pieces.pop()
        positions.pop()
    if pieces:
        lead = len(pieces[0]) - len(pieces[0].lstrip())
        if lead:
            at, n, step = positions[0]
            pieces[0], positions[0] = pieces[0][lead:], (at + lead * step, n - lead, step)
        trail = len(pieces[-1]) - len(pieces[-1].rstrip())
        if trail:
            at, n, step = positions[-1]
            pieces[-1], positions[-1] = pieces[-1][:-trail], (at, n - trail, step)
    return pieces, positions


def _indentation(lead: str, base: int) -> tuple[list[str], list[_Run]]:
    """A line's leading spaces and tabs as kept: a space for a space, a tab to the next multiple
    of ``TAB_WIDTH`` columns (its spaces all standing for the tab's place)."""
    pieces: list[str] = []
    positions: list[_Run] = []
    column = 0
    for i, char in enumerate(lead):
        width = TAB_WIDTH - column % TAB_WIDTH if char == "\t" else 1
        pieces.append(" " * width)
        positions.append((base + i, width, 1 if width == 1 else 0))
        column += width
    return pieces, positions
