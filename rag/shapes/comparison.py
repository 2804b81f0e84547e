"""Comparison ("difference between X and Y", "X vs Y"): for each side, the best sentence that
speaks of it, cited, side by side. A sentence speaks of X when it holds X's own key terms (those
Y does not share: "Basic" of "Basic plan" against "Pro plan"), or sits under a heading that does
and names nothing of Y. A sentence naming only X is preferred to one naming both, then one
opening with X (saying what X is) to one naming it on the way."""

from __future__ import annotations

from collections.abc import Sequence

from rag.generators.extractive import ScoredSentence
from rag.sentences import asks
from rag.shapes.text import section_at, terms
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

POOL = 20  # the best sentences read for each side
OPENING = 4  # the first words of a sentence that open with a side
# Verbs saying what a side is, right after it ("means", "is", "was designed", "stands for").
_DEFINING = frozenset("is are was were means mean refers refer stands stand denotes denote "
                      "describes describe designed defined contains holds".split())
_AUX = frozenset("is are was were".split())


def own_terms(side: str, other: str) -> frozenset[str]:
    mine = terms(side, ())
    return (mine - terms(other, ())) or mine


def speaks(inp: ShapeInput, s: ScoredSentence, own: frozenset[str],
            rival: frozenset[str]) -> int:
    """2: the sentence names the side and not the other; 1: it names both, or its heading
    names the side and the sentence nothing of the other; 0: neither."""
    words = terms(s.text, ())
    if own <= words:
        return 1 if rival <= words else 2
    a, _ = inp.where(s)
    if a < 0 or rival & words:
        return 0
    passage = inp.passages[s.passage - 1]
    heading = section_at(passage.text, a).heading or passage.title
    return 1 if own <= terms(heading, ()) else 0


def speakers(inp: ShapeInput, side: str, other: str,
             pool: Sequence[ScoredSentence]) -> list[tuple[int, int, ScoredSentence]]:
    """(rank, index, sentence) for each sentence of ``pool`` that speaks of ``side`` and not
    only of ``other`` (:func:`speaks`: rank 2 names ``side`` alone). A sentence asking (an
    FAQ's own "what's the difference between ...?"), a heading ("#### Tilde Ranges") or a line
    of code says nothing of either."""
    own, rival = own_terms(side, other), own_terms(other, side)
    return [(r, i, s) for i, s in enumerate(pool)
            if not asks(s.text) and inp.said(s) and (r := speaks(inp, s, own, rival))]


def opens(text: str, own: frozenset[str]) -> bool:
    """Whether the sentence opens by saying what the side is: the side in its first
    ``OPENING`` words, a defining verb right after it ('"still reachable" means your program
    is probably ok', "The gzip format was designed to ..."), not one naming it on the way ("If
    you fix the "definitely lost" leaks") nor one saying what it does not do."""
    words = text.split()
    for k in range(1, min(OPENING, len(words)) + 1):
        if own <= terms(" ".join(words[:k]), ()):
            after = [w.lower().strip(",;:") for w in words[k:k + 2]]
            return bool(after) and (after[0] in _DEFINING or (
                len(after) == 2 and after[0] in _AUX and after[1] in _DEFINING))
    return False


def side_by_side(pieces: Sequence[Piece], missing: Sequence[str]) -> tuple[list[str], str]:
    """The answer's lines ``side: sentence [n]`` and the note naming each side the documents
    say nothing of."""
    lines = [f"{p.label}: {cite(p.text, p.passage)}" for p in pieces]
    return lines, "".join(f"The documents say nothing of {m}." for m in missing)


def build(inp: ShapeInput) -> Shaped | None:
    assert inp.kind.sides is not None
    x, y = inp.kind.sides
    pool = list(inp.sentences[:POOL])
    pieces: list[Piece] = []
    missing = []
    for side, other in ((x, y), (y, x)):
        own = own_terms(side, other)
        ranked = [(r, opens(s.text, own), -i, s) for r, i, s in speakers(inp, side, other, pool)
                  if all(p.text != s.text for p in pieces)]
        if not ranked:
            missing.append(side)
            continue
        *_, best = max(ranked, key=lambda t: t[:3])
        piece = inp.piece(best, label=side)
        if piece is not None:
            pieces.append(piece)
    if not pieces:
        return None
    lines, note = side_by_side(pieces, missing)
    if note:
        lines.append(note)
    return Shaped("comparison", pieces, "\n".join(lines), note=note)
