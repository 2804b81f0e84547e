"""Pages whose words pypdf glued together, read again by PDFium.

pypdf infers the spaces between words from the gaps a page's text operators leave; on some PDFs
(written by tools that place every word, or every few letters, on their own) it misses most of
them: "pain.Atpresent,thetreatmentoforalcGVHDisbasedon". PDFium (pypdfium2, the renderer the OCR
already uses; a wheel, no extra program) reads the same page with its words apart. A page is read
again when PDFium finds at least ``GLUED`` times the words pypdf found (words: runs of two
letters or more, so dot leaders and figures do not count); only then is its text PDFium's. Over
agency_reports and trial_protocols, 1,814 pages of 30 words or more: every page is within 0.8 to
1.05 times, except the five pages of one protocol PDF (1.25 to 1.7: pypdf glued them) and one
table page of another (1.2).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from index.readers.pdf_hidden import drop_words

GLUED = 1.15  # PDFium's word count over pypdf's from which a page counts as glued
MIN_WORDS = 20  # pypdf's count is taken as at least this (a page of a few words is not judged)
_WORD = re.compile(r"[^\W\d_]{2,}")


def words(text: str) -> int:
    return len(_WORD.findall(text))


def unglued(data: bytes, pages: list[str], hidden: Sequence[Counter[str]] = ()) -> list[str]:
    """``pages`` (pypdf's text of each page), each page pypdf glued replaced by PDFium's text
    (all of pypdf's when PDFium cannot open the file: it is never refused for that), less the
    words ``hidden`` names for that page (type too small to read: index/readers/pdf_hidden.py)."""
    import pypdfium2

    out = list(pages)
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:  # a file pypdf reads and PDFium does not: pypdf's text stays
        return out
    try:
        for i, text in enumerate(pages):
            if i >= len(document):
                break
            page = document[i]
            try:
                textpage = page.get_textpage()
                try:
                    other = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            other = drop_words(_tidy(other), hidden[i]) if i < len(hidden) else _tidy(other)
            if words(other) >= GLUED * max(MIN_WORDS, words(text)):
                out[i] = other
    finally:
        document.close()
    return out


def _tidy(text: str) -> str:
    """PDFium ends lines with "\\r\\n" and pads them with spaces: lines as pypdf's are given."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()
