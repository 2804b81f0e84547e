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
    "some such only own same other just".split()
)


@functools.lru_cache(maxsize=1 << 16)
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
