"""Sentence segmentation with character offsets (deterministic, no downloaded data), stopwords,
and the content words of a text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gov", "sen", "rep", "gen", "col", "lt",
    "sgt", "capt", "vs", "etc", "inc", "ltd", "co", "corp", "no", "fig", "al", "approx", "dept",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g",
    "i.e", "u.s", "u.k", "u.n", "d.c", "maj", "adm", "cmdr", "brig", "cpl", "pvt", "rev", "hon",
}
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by whitespace, or at a newline.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*")
_FAQ_Q = re.compile(r"(?:Q|Question)\s*[:.]\s", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offset in the text it was split from
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; offsets satisfy ``text[s.start:s.end] == s.text``."""
    sentences: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(0)[0] == "." and is_abbreviation(text, m.start()):
            continue
        if m.group(0)[0] != "\n":
            nxt = text[m.end() : m.end() + 1]
            if nxt and nxt.islower():
                continue
        end = m.start() + len(m.group(0).rstrip())
        _append(sentences, text, start, end)
        start = m.end()
    _append(sentences, text, start, len(text))
    return sentences


# Reading a line break as a paragraph's wrap (``reflowed``): a line that ends a sentence or
# introduces a list, a table row, a list item, a heading, a fence or an indented (code) line
# keeps its break.
_ENDS = re.compile(r"[.!?:;][\"'”’)\]]*$")
_MARKER = re.compile(r"[ \t]*(?:[-*•+▪◦]|\d{1,3}[.)]|[a-z][.)]|\(?[ivx]{1,4}\))\s"
                     r"|#|```|~~~|    |\t")
_ITEM = re.compile(r" *(?:[-*•+▪◦]|#\.|\d{1,3}[.)]|[a-z][.)]|\(?[ivx]{1,4}\)) +(?=\S)")
_JOINING = re.compile(r"(?:[,&(–—-]|\b(?:a|an|the|of|to|in|on|at|by|for|from|with|and|or|"
                      r"nor|as|than|that|which|who|whose|its|their|his|her|our|is|are|was|"
                      r"were|be|been|has|have|had|will|would|into|per|about|approximately|"
                      r"including|between|over|under|nearly|almost|some))$")
_WRAPPED_SHARE = 0.7  # a line this share of the widest prose line long ends with a wrap
_WRAPPED_MIN = 30


@functools.lru_cache(maxsize=1 << 12)
def reflowed(text: str) -> str:
    """``text`` with each line break that only wraps a paragraph (a PDF's or a mail's
    hard-wrapped lines) read as a space: same length, same offsets, so a sentence split from it
    is a sentence, not a line. A break is a wrap when the line before does not end a sentence
    and is no table row or heading (a list item's line goes on only in a line indented to its
    text), the next line starts no list item, heading, table row or code, and either the next
    line goes on in lower case, the line before ends in a word or mark that cannot end a
    sentence ("of", ",", "approximately"), or the line before runs near the width of the
    text's widest prose line (``_WRAPPED_SHARE``) and is not in capitals (a heading). Fenced
    code keeps its lines. Cached: the answer path looks the same
    passage's sentences up several times (scoring, shapes, the other side of a conflict)."""
    if "\n" not in text:
        return text
    rows = text.split("\n")
    width = max((len(r.rstrip()) for r in rows if " | " not in r), default=0)
    out = list(text)
    at, in_code = 0, False
    column = None  # the text column of the list item the row belongs to
    for i, row in enumerate(rows[:-1]):
        at += len(row)
        item = _ITEM.match(row)
        if item is not None:
            column = item.end()
        elif row.strip() and _indent(row) < (column or 0):
            column = None
        if row.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif not in_code and _wraps(row.rstrip(), rows[i + 1], width, column):
            out[at] = " "
        at += 1
    return "".join(out)


_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


def one_spaced(text: str) -> str:
    """``text`` with each run of spaces between two words one space (a wrapped line's kept
    indentation, read into its sentence); a line's own indentation stays."""
    return _INNER_SPACES.sub(" ", text)


def _indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def _wraps(line: str, nxt: str, width: int, column: int | None = None) -> bool:
    if not line.strip() or not nxt.strip() or _ENDS.search(line) or " | " in line \
            or " | " in nxt:
        return False
    head = nxt.lstrip()[0]
    if column is not None and not _ITEM.match(nxt) and _indent(nxt) != column and \
            not _MARKER.match(nxt) and (_MARKER.match(line) or _indent(line) >= column):
        # a list item's text goes on unindented (as the cleaner leaves it) only in lower case
        # or after a joining word: "- ... in the" / "Django ecosystem", never into "Economy"
        return head.islower() or bool(_JOINING.search(line))
    if column is not None and not _ITEM.match(nxt) and _indent(nxt) == column:
        pass  # a list item's text goes on, indented to it ("* The ...\n  Django.")
    elif _MARKER.match(line) or _MARKER.match(nxt):
        return False
    if head.islower() or _JOINING.search(line):
        return True
    long = len(line) >= max(_WRAPPED_MIN, _WRAPPED_SHARE * width)
    return long and not line.isupper() and (head.isalnum() or head in "(\"'“‘$€£")


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(text[start:end], start, end))


def is_abbreviation(text: str, dot: int) -> bool:
    """The word before the period at ``dot`` is an abbreviation or an initial. Text tokenised
    before it was stored writes the period apart ("Newton D . Baker", "Maj . George Peter"):
    the word before the space is read then."""
    i = dot
    if 0 < i and text[i - 1] == " " and (i < 2 or text[i - 2] != " "):
        i -= 1
        dot = i
    while i > 0 and (text[i - 1].isalpha() or text[i - 1] == "."):
        i -= 1
    token = text[i:dot].lower()
    if token in _ABBREVIATIONS:
        return True
    return len(token) == 1 and token.isalpha()  # initials: "John F. Kennedy"


STOPWORDS = frozenset(
    "a an and are as at be been but by did do does for from had has have how i in is it its of "
    "on or that the their there these they this to was were what when where which who whom why "
    "will with would you your he she his her them we our us not no so than then also into about "
    "after before over under said says say can could should may might more most many much any all "
    "some such only own same other just must shall".split()
)


@functools.lru_cache(maxsize=1 << 16)
def asks(text: str) -> bool:
    """A sentence that asks rather than tells: it ends with "?" or opens an FAQ's "Q:"."""
    return text.rstrip(" *_\"'’”)").endswith("?") or _FAQ_Q.match(text.lstrip()) is not None


def content_words(text: str) -> frozenset[str]:
    """Lower-cased words of ``text`` without stopwords and trailing punctuation. Cached (like
    the other per-text analyses of the answer path): the same passages and sentences come back
    question after question."""
    words = (w.lower().strip(".'’-") for w in _WORD.findall(text))
    return frozenset(w for w in words if w and w not in STOPWORDS)


# Questions whose answer is a number or a date ("how many", "what year", "when").
WANTS_NUMBER = re.compile(
    r"\b(?:how (?:many|much|long|old|far|large|big|high|often)|what (?:year|date|percentage|"
    r"percent|number|proportion|share|rate)|when|which year|in what year)\b", re.IGNORECASE)


@functools.cache
def _stemmer() -> object:
    import Stemmer  # PyStemmer: the Snowball English stemmer

    return Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=1 << 14)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a word, lower case, without the dots, quotes and
    hyphens round it: "approved" and "approval" read as "approv", "location" and "located" as
    "locat", "caching" and "cache" as "cach"."""
    return _stemmer().stemWord(word.lower().strip(".'’-"))  # type: ignore[attr-defined]
