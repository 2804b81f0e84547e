"""Explanation ("why ...", "explain ...", "what does X mean"): the best passage's consecutive
sentences that explain, 2 to 4 of them in document order, from the paragraph of the sentence the
answer reads first (the selector's choice; else the best scored one), one sentence back when it
opens with a word pointing back: "This is because ..."."""

from __future__ import annotations

import re

from rag.sentences import split_sentences
from rag.shapes.text import section_at, unwrapped
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

MAX_SENTENCES = 4
_POINTS_BACK = re.compile(r"^(?:this|that|these|those|it|they|such|however|because|so|"
                          r"therefore|thus|hence|as\s+a\s+result|for\s+this\s+reason)\b", re.I)
_PARAGRAPH = re.compile(r"\n\s*\n")


def build(inp: ShapeInput) -> Shaped | None:
    if inp.read is not None:  # the sentence the answer reads first
        n, a = inp.read
    elif inp.sentences:  # else the best scored one
        n, (a, _) = inp.sentences[0].passage, inp.where(inp.sentences[0])
    else:
        return None
    if a < 0:
        return None
    text = inp.passages[n - 1].text
    section = section_at(text, a)
    start, end = section.start, section.end
    for m in _PARAGRAPH.finditer(text, section.start, section.end):
        if m.end() <= a:
            start = m.end()
        elif m.start() >= a:
            end = m.start()
            break
    found = [s for s in split_sentences(unwrapped(text)[start:end]) if not s.text.lstrip().startswith("#")]
    here = next((i for i, s in enumerate(found) if start + s.start <= a < start + s.end), None)
    if here is None:
        return None
    first = here - 1 if here > 0 and _POINTS_BACK.match(found[here].text) else here
    chosen = found[first:first + MAX_SENTENCES]
    if len(chosen) < 2 and first > 0:
        chosen = found[max(0, first - 1):first + 1]
    if len(chosen) < 2:
        return None
    pieces = [Piece(s.text, n, start + s.start, start + s.end) for s in chosen]
    return Shaped("explanation", pieces, " ".join(cite(p.text, p.passage) for p in pieces))
