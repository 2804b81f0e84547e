"""Where two versions of one passage state different values: the statements a revision changed.

Retrieval collapses other documents' near-duplicates of a passage into ``Passage.versions``
(rag.fusion): a republished story, last year's policy beside this year's, a report and its
corrected copy. Wherever such a version reads word for word like the passage except for a short
run of words, that run is what the revision changed. :func:`changed_values` lines the two up
(difflib, word by word) and returns each changed run of the asked kind whose two readings cannot
both be true (rag.claims.rivals: measured values that conflict, names that share no word), with
the sentence it stands in, so the answer can name both readings and cite each.

The same-subject test is the alignment itself, not a rule about any corpus: CONTEXT words on each
side of the change must read the same in both (or every word there is, up to the start or the
end of both texts), a run of like words may go on past the end of the change's sentence ("...
Thomas Jefferson. Wytheville's population was 8,211 at the 2010 census."), the change stands
inside one sentence, and that sentence holds CONTEXT like words around it at least, so both
documents make the same statement about the same thing and differ only in the value. An
abbreviation or an initial ("U.S.", "E. V.") ends no sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from rag.claims import hedged_from, rivals
from rag.sentences import is_abbreviation

_TOKEN = re.compile(r"\S+")
CONTEXT = 4  # words on each side of a change that both versions must state alike, at least
MAX_CHANGE = 6  # words of a changed run, at most (a value, not a rewritten sentence)
_SENTENCE_END = re.compile(r"[.!?]$")
_EDGE = ".,;:()[]\"'“”‘’"


@dataclass(frozen=True)
class Change:
    """One value two versions state differently: offsets in each text, and the sentence of
    the passage it stands in (``sentence`` offsets in the passage's text)."""

    start: int
    end: int
    other_start: int
    other_end: int
    sentence: tuple[int, int]


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _span(text: str, words: list[tuple[int, int]], i: int, j: int) -> tuple[int, int]:
    """Offsets of words ``i``..``j`` without the punctuation at their edges."""
    a, b = words[i][0], words[j - 1][1]
    while a < b and text[a] in _EDGE:
        a += 1
    while b > a and text[b - 1] in _EDGE:
        b -= 1
    return a, b


def _ends(text: str, words: list[tuple[int, int]], k: int) -> bool:
    """Word ``k`` ends a sentence or a line: a sentence's mark ends it (not an abbreviation's
    or an initial's period), or a line break follows it."""
    s, e = words[k]
    if k + 1 < len(words) and "\n" in text[e:words[k + 1][0]]:
        return True
    word = text[s:e].rstrip(_EDGE.replace(".", ""))
    return bool(_SENTENCE_END.search(word)) and not (
        word.endswith(".") and is_abbreviation(text, s + len(word) - 1))


def _bounds(text: str, words: list[tuple[int, int]], i: int, j: int) -> tuple[int, int]:
    """Word indices of the sentence around words ``i``..``j``: back to the word after one
    ending a sentence or a line, on past the word that ends one."""
    lo = i
    while lo > 0 and not _ends(text, words, lo - 1):
        lo -= 1
    hi = j
    while hi < len(words) and not _ends(text, words, hi - 1):
        hi += 1
    return lo, min(hi, len(words))


def _sentence(text: str, words: list[tuple[int, int]], i: int, j: int) -> tuple[int, int]:
    """Offsets of the sentence around words ``i``..``j``."""
    lo, hi = _bounds(text, words, i, j)
    return words[lo][0], words[hi - 1][1]


def _stated_alike(text: str, words: list[tuple[int, int]], i: int, j: int, before: int,
                  after: int) -> bool:
    """Words ``i``..``j`` (the change) stand inside one sentence, and that sentence holds
    CONTEXT like words around them at least (``before`` and ``after``: the like words on each
    side, which may run on past the sentence)."""
    if any(_ends(text, words, k) for k in range(i, j - 1)):
        return False
    lo, hi = _bounds(text, words, i, j)
    return min(before, i - lo) + min(after, hi - j) >= CONTEXT


@lru_cache(maxsize=512)
def _read(text: str) -> tuple[list[tuple[int, int]], list[str], frozenset[tuple[str, ...]]]:
    """The words of ``text`` (offsets), their compared forms, and every run of CONTEXT of them
    (cached: a passage is compared with each of the others)."""
    words = _words(text)
    tokens = [text[s:e].strip(_EDGE).lower() for s, e in words]
    runs = frozenset(tuple(tokens[i:i + CONTEXT]) for i in range(len(tokens) - CONTEXT + 1))
    return words, tokens, runs


def changed_values(kind: str, text: str, other: str) -> Iterator[Change]:
    """Each run of words ``text`` and ``other`` state differently, of ``kind`` (an answer kind
    of rag.claims: MEASURED or NAMED), between CONTEXT words both state alike on each side,
    inside a sentence holding CONTEXT of them at least, whose readings cannot both be true."""
    a_words, a_tokens, a_runs = _read(text)
    b_words, b_tokens, b_runs = _read(other)
    # a change needs CONTEXT like words on each side: two shared runs of CONTEXT words at
    # least, a cheap test that most pairs of passages fail before any alignment
    if len(a_runs & b_runs) < 2:
        return
    matcher = SequenceMatcher(None, a_tokens, b_tokens, autojunk=False)
    blocks = matcher.get_opcodes()
    for k, (tag, i1, i2, j1, j2) in enumerate(blocks):
        if tag != "replace" or i2 - i1 > MAX_CHANGE or j2 - j1 > MAX_CHANGE:
            continue
        before = blocks[k - 1] if k > 0 else None
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        if before is None or after is None or before[0] != "equal" or after[0] != "equal":
            continue
        # like words reaching the start (the end) of both texts are as many as there can be
        if before[2] - before[1] < CONTEXT and (before[1], before[3]) != (0, 0) or \
                after[2] - after[1] < CONTEXT and (after[2], after[4]) != (len(a_tokens),
                                                                          len(b_tokens)):
            continue
        alike = before[2] - before[1], after[2] - after[1]
        if not _stated_alike(text, a_words, i1, i2, *alike) or \
                not _stated_alike(other, b_words, j1, j2, *alike):
            continue
        s, e = _span(text, a_words, i1, i2)
        x, y = _span(other, b_words, j1, j2)
        if s >= e or x >= y:
            continue
        # a bound or an estimate read with its value ("more than 200" and "more than 300"
        # can both be true); the words before it are alike in both
        h, g = hedged_from(text, s), hedged_from(other, x)
        if not rivals(kind, text[h:e], text[e:e + 60], other[g:y], other[y:y + 60]):
            continue
        yield Change(s, e, x, y, _sentence(text, a_words, i1, i2))
