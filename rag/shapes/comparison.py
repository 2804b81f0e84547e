"""Comparison ("difference between X and Y", "X vs Y"): for each side, the best sentence that
speaks of it, cited, side by side. A sentence speaks of X when it holds X's own key terms (those
Y does not share: "Basic" of "Basic plan" against "Pro plan"), or sits under a heading that does
and names nothing of Y. A sentence naming only X is preferred to one naming both."""

from __future__ import annotations

from collections.abc import Sequence

from rag.generators.extractive import ScoredSentence
from rag.shapes.text import section_at, terms
from rag.shapes.types import Piece, ShapeInput, Shaped, cite

POOL = 20  # the best sentences read for each side


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
    only of ``other`` (:func:`speaks`: rank 2 names ``side`` alone)."""
    own, rival = own_terms(side, other), own_terms(other, side)
    return [(r, i, s) for i, s in enumerate(pool) if (r := speaks(inp, s, own, rival))]


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
        ranked = [(r, -i, s) for r, i, s in speakers(inp, side, other, pool)
                  if all(p.text != s.text for p in pieces)]
        if not ranked:
            missing.append(side)
            continue
        _, _, best = max(ranked, key=lambda t: (t[0], t[1]))
        piece = inp.piece(best, label=side)
        if piece is not None:
            pieces.append(piece)
    if not pieces:
        return None
    lines, note = side_by_side(pieces, missing)
    if note:
        lines.append(note)
    return Shaped("comparison", pieces, "\n".join(lines), note=note)
