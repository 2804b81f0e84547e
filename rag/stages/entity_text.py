"""What the short-answer stage and its disagreement finder share: the content words of a text,
whether the question names an entity already, and the value an entity states (a figure without
its hedge)."""

from __future__ import annotations

import re
import unicodedata

from rag.question_typing import Entity
from rag.sentences import STOPWORDS

_WORD = re.compile(r"[^\W_]+")
# "more than 191,000", "nearly $50 million": the figure is the answer, the hedge stays in the
# sentence that follows it (durations and dates keep theirs: "more than two hours").
_HEDGE = re.compile(r"^(?:(?:just|well|an|some)\s+)?(?:about|around|approximately|roughly|nearly|"
                    r"almost|over|under|more than|less than|fewer than|at least|at most|up to|"
                    r"as many as|as much as|close to|upwards of|estimated|some)\s+(?=[$€£]?\d)",
                    re.IGNORECASE)
_FIGURES = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})
# Capitalised words in a row, small joining words allowed between them.
_NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|the|for|de|du|&)\s+)*[A-Z][\w'’-]*)+")
_CURRENCY = frozenset("$€£¥")


def content(text: str) -> list[str]:
    """The words of ``text`` that carry content, lower case, accents folded ("Conceição" and
    "Conceicao" are one word: questions are often typed without them)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return [w for w in _WORD.findall(folded) if w not in STOPWORDS]


def named_in(entity: Entity, question: set[str]) -> bool:
    """The question already names it (all its words, or a person's surname), also as a
    possessive whose apostrophe was lost ("Piolis appointment")."""
    words = content(entity.text)
    if not words:
        return False
    asked = [w in question or (w.endswith("s") and w[:-1] in question) for w in words]
    return all(asked) or (entity.label == "PERSON" and asked[-1])


def acronyms(text: str) -> set[str]:
    """The initials of each name of two or more capitalised words in ``text``, lower-cased:
    "Pakistan Football Federation" -> pff, "London Fire and Civil Defence Authority" -> lfcda,
    and also with the small words' initials ("Bank of England" -> be, boe), so a passage calling
    it "PFF" names what the question names."""
    found = set()
    for run in _NAME_RUN.finditer(text):
        words = run.group().split()
        if words[0] in ("The", "A", "An"):
            words = words[1:]
        for initials in ("".join(w[0] for w in words if w[:1].isupper()),  # "PFF"
                         "".join(w[0] for w in words if w[0] != "&")):  # "BoE"
            if len(initials) >= 2:
                found.add(initials.lower())
    return found


def trim(one: Entity, text: str) -> tuple[int, int]:
    """Offsets in ``text`` of the value ``one`` states: a figure without its hedge ("more than
    191,000" -> "191,000"), an amount with its sign ("$15", which the recogniser leaves out)."""
    start = one.start
    if one.label in _FIGURES:
        hedge = _HEDGE.match(one.text)
        start += hedge.end() if hedge else 0
    if one.label == "MONEY" and start == one.start and start > 0 and \
            text[start - 1] in _CURRENCY:
        start -= 1
    return start, one.end
