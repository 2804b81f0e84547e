"""Sentence segmentation with character offsets (deterministic, no downloaded data)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gov", "sen", "rep", "gen", "col", "lt",
    "sgt", "capt", "vs", "etc", "inc", "ltd", "co", "corp", "no", "fig", "al", "approx", "dept",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g",
    "i.e", "u.s", "u.k", "u.n", "d.c",
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
        if m.group(0)[0] == "." and _is_abbreviation(text, m.start()):
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


def _is_abbreviation(text: str, dot: int) -> bool:
    i = dot
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


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` without stopwords and trailing punctuation."""
    words = (w.lower().strip(".'’-") for w in _WORD.findall(text))
    return {w for w in words if w and w not in STOPWORDS}


_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,30}\b(?:instructions|prompts?|"
    r"system messages?)\b"
    r"|\bsystem (?:prompt|message|notice|instruction)s?\b"
    r"|\b(?:you are now|pretend to be|from now on,? you)\b"
    r"|\b(?:reveal|print|repeat|output|show)\b[^.!?\n]{0,30}\b(?:prompt|instructions)\b"
    r"|\b(?:respond|reply|answer|output)\b[^.!?\n]{0,10}\b(?:only|exactly)\s+(?:with\s+)?"
    r"(?:the\s+)?(?:words?|phrase|text|string)\b",
    re.IGNORECASE,
)


def instruction_like(text: str) -> bool:
    """Whether ``text`` reads as an instruction aimed at the model (a prompt injection).

    Documents are data: such sentences are never used as evidence or as support.
    """
    return bool(_INSTRUCTION.search(text))


# C0 control characters other than tab, newline and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(text: str) -> str | None:
    """What makes ``text`` unacceptable as user input, or None.

    JSON may carry unpaired surrogates (``"\\ud800"``) that no encoder, tokenizer or database
    takes, and control characters that no question or comment needs.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (f"holds an unpaired surrogate (U+{ord(text[exc.start]):04X}) at character "
                f"{exc.start}: send valid Unicode")
    bad = _CONTROL.search(text)
    if bad:
        return (f"holds a control character (U+{ord(bad.group()):04X}) at character "
                f"{bad.start()}: remove it")
    return None


# Questions whose answer is a number or a date ("how many", "what year", "when").
WANTS_NUMBER = re.compile(
    r"\b(?:how (?:many|much|long|old|far|large|big|high|often)|what (?:year|date|percentage|"
    r"percent|number|proportion|share|rate)|when|which year|in what year)\b", re.IGNORECASE)
