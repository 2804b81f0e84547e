"""Answer shapes: the kind of answer a question asks for (rag.shapes.kinds) and, for each kind
but the factoid, the answer built from the retrieved passages, one module each:

- procedure: the steps in order from one section, the document's list kept;
- explanation: the best passage's consecutive sentences that explain;
- yes_no: "Yes" / "No" (or no verdict) and the deciding sentence;
- comparison: each side's best sentence, side by side;
- list (``listing``): every item, and "Only N found" when fewer than asked;
- trend: one figure per document or period, in date order, with the change stated;
- changes: what two versions of one document state differently (changed, added, removed).

Every piece is cited. The stage rag.stages.shape runs them; docs/answers.md describes them.
"""

from __future__ import annotations

from collections.abc import Callable

from rag.shapes import changes, comparison, explanation, listing, procedure, trend, yes_no
from rag.shapes.kinds import KINDS, QuestionKind, question_kind
from rag.shapes.types import Piece, ShapeInput, Shaped

BUILDERS: dict[str, Callable[[ShapeInput], Shaped | None]] = {
    "procedure": procedure.build,
    "explanation": explanation.build,
    "yes_no": yes_no.build,
    "comparison": comparison.build,
    "list": listing.build,
    "trend": trend.build,
    "changes": changes.build,
}


def build(inp: ShapeInput) -> Shaped | None:
    """The shape of ``inp.kind``'s answer, or None (a factoid, or nothing of the shape found)."""
    builder = BUILDERS.get(inp.kind.kind)
    return None if builder is None else builder(inp)


__all__ = ["BUILDERS", "KINDS", "Piece", "QuestionKind", "ShapeInput", "Shaped", "build",
           "question_kind"]
