"""Explanation ("why ...", "explain ...", "what does X mean"): the best passage's consecutive
sentences that explain, 2 to 4 of them in document order, from the paragraph of the sentence the
answer reads first (the selector's choice; else the best scored one), one sentence back when it
opens with a word pointing back: "This is because ...". A table is no paragraph: when that
sentence stands in a table's row, the explanation is that row, whole (its neighbours state other
cases: "no server | cannot reach ...", "401/403 | refused the API key"), or the row of the same
table holding more of the question's key terms."""

from __future__ import annotations

import re

from rag.sentences import asks, split_sentences
from rag.shapes.text import blocks, joined_coverage, section_at, unwrapped
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
    row = _row(inp, n, text, a)
    if row is not None:
        return Shaped("explanation", [row], cite(row.text, row.passage))
    section = section_at(text, a)
    start, end = section.start, section.end
    for m in _PARAGRAPH.finditer(text, section.start, section.end):
        if m.end() <= a:
            start = m.end()
        elif m.start() >= a:
            end = m.start()
            break
    # Neither a heading nor a question (an FAQ's, restated) explains anything.
    found = [s for s in split_sentences(unwrapped(text)[start:end])
             if not s.text.lstrip().startswith("#") and not asks(s.text)]
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


def _row(inp: ShapeInput, n: int, text: str, at: int) -> Piece | None:
    """The table row standing at ``at`` as a piece, or the row of its table holding more of the
    question's key terms ("rejects our API key": the 401/403 row); None when ``at`` is in no
    table's row."""
    line = text.rfind("\n", 0, at) + 1
    for block in blocks(text, rows=True):
        if block.kind != "row":
            continue
        here = next(((a, b) for a, b in block.items if line <= a and at < b), None)
        if here is None:
            continue

        def held(r: tuple[int, int]) -> tuple[float, bool]:
            return joined_coverage(inp.asked, inp.question, text[r[0]:r[1]]), r == here

        a, b = max(block.items, key=held)
        return Piece(text[a:b], n, a, b)
    return None
