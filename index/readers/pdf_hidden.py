"""Type too small to read: text a PDF carries for machines, not for its readers.

Some report generators stamp every section with a tag in 1-point white type
("_9cdf804c-c003-4ebd-8997-69fb44b7fda2", the 2022 agency reports of agency_reports: 29 to
1,301 such lines per file). A text layer holds it like any other words, so the index held lines
of hexadecimal that no reader of the page sees, and passages and answers opened with them. Type
under ``MIN_POINTS`` (its size with the page's and the text's scaling applied) is dropped: from
pypdf's text (its runs collected while it reads the page, then those words taken out of the
lines that hold them), from PDFium's text of a glued page (the same words) and from
pdfplumber's characters on the pages it reads (index/readers/pdf_tables.py). A page whose
type is all that small keeps it: then it is what the page says.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

MIN_POINTS = 2.0  # type smaller than this (after scaling) is not read


def page_text(page: object) -> tuple[str, Counter[str]]:
    """pypdf's text of ``page`` and the words it drew in type under ``MIN_POINTS`` (none when
    the page draws no other text: a page of tiny type only, a register shrunk to one sheet, is
    what the page says, not a tag hidden among what it says)."""
    hidden: Counter[str] = Counter()
    shown = [0]

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], _font: object,
              size: float) -> None:
        if not text.strip():
            return
        if size * _scale(cm) * _scale(tm) < MIN_POINTS:
            hidden.update(text.split())
        else:
            shown[0] += 1

    text = page.extract_text(visitor_text=visit) or ""  # type: ignore[attr-defined]
    return text, hidden if shown[0] else Counter()


def drop_words(text: str, hidden: Counter[str]) -> str:
    """``text`` without the words ``hidden`` counts, as many times as it counts each: a line of
    them only is dropped; in a line that also holds other words only those that are not a plain
    word of letters are taken out (a tag stamped beside a heading), so the page's own words stay
    even when the hidden type repeats one of them."""
    if not hidden:
        return text
    left = Counter(hidden)
    lines = []
    for line in text.split("\n"):
        words = line.split()
        if words and all(left[w] > 0 for w in words) and _take(left, words):
            continue
        if any(left[w] > 0 and not w.isalpha() for w in words):
            kept = []
            for w in words:
                if left[w] > 0 and not w.isalpha():
                    left[w] -= 1
                else:
                    kept.append(w)
            line = " ".join(kept)
        lines.append(line)
    return "\n".join(lines)


def visible(page: Any) -> Any:
    """A pdfplumber page without its characters in type under ``MIN_POINTS`` (the page as it
    is when it has no other characters: see :func:`page_text`)."""
    if not any(_readable(c) for c in page.chars):
        return page
    return page.filter(lambda obj: obj.get("object_type") != "char" or _readable(obj))


def _readable(char: dict) -> bool:
    return float(char.get("size") or MIN_POINTS) >= MIN_POINTS


def _take(left: Counter[str], words: list[str]) -> bool:
    need = Counter(words)
    if any(left[w] < n for w, n in need.items()):
        return False
    left.subtract(need)
    return True


def _scale(matrix: Sequence[float]) -> float:
    """The vertical scale of a PDF matrix (a, b, c, d, e, f): how much taller it draws type."""
    try:
        return math.hypot(float(matrix[2]), float(matrix[3])) or 1.0
    except (IndexError, TypeError, ValueError):
        return 1.0
