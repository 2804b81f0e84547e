"""Yes/no ("can I ...", "is it ...", "should ..."): "Yes" or "No" first, then the sentence that
decides it; no verdict, only the sentence, when the rules cannot tell.

The deciding sentence is the one of the best few, or the one the answer reads first (the
selector's choice), that holds most of the question's key terms, the one read among equals.
Its polarity: negative when it holds a negation cue ("no", "not", "cannot", "never",
"prohibited", ...), restrictive when it says "only ... may" (negative for a question about
everyone, "for all", "any"; undecided otherwise), else affirmative. The verdict is "yes" when the
sentence's polarity is the question's, "no" when it is not (an exception the sentence names,
"except for medical reasons", follows the verdict in the sentence itself); two negations or a
sentence holding under half of the question's key terms give none."""

from __future__ import annotations

import re

from rag.shapes.text import coverage, terms
from rag.shapes.types import ShapeInput, Shaped, cite

CANDIDATES = 3  # the best sentences read for the deciding one
MIN_COVERAGE = 0.5
_NEGATION = re.compile(r"\b(?:no|not|never|cannot|none|neither|nor|nobody|nothing|prohibited|"
                       r"forbidden|banned|disallowed|ineligible|unable|may\s+not|must\s+not)\b"
                       r"|n['’]t\b", re.I)
_ONLY = re.compile(r"\bonly\b", re.I)
_UNIVERSAL = re.compile(r"\b(?:everyone|everybody|anyone|anybody|all|any|always|every|"
                        r"unlimited|whenever|whatever)\b", re.I)


def verdict(question: str, negative_question: bool, sentence: str) -> str | None:
    """"yes", "no" or None for ``sentence`` deciding ``question``."""
    if coverage(terms(question), sentence) < MIN_COVERAGE:
        return None
    negations = len(_NEGATION.findall(sentence))
    if negations > 1:
        return None
    if negations == 1:
        negative = True
    elif _ONLY.search(sentence):
        if not _UNIVERSAL.search(question):
            return None
        negative = True
    else:
        negative = False
    return "yes" if negative == negative_question else "no"


def build(inp: ShapeInput) -> Shaped | None:
    wanted = terms(inp.question)
    pool = list(inp.sentences[:CANDIDATES])
    if not pool:
        return None
    read = next((s for s in inp.sentences if inp.read is not None and s.passage == inp.read[0]
                 and inp.where(s)[0] == inp.read[1]), None)
    best = max(pool + ([read] if read is not None else []),
               key=lambda s: (coverage(wanted, s.text), s is read, s.score))
    piece = inp.piece(best)
    if piece is None:
        return None
    said = verdict(inp.question, inp.kind.negative, best.text)
    lead = {"yes": "Yes. ", "no": "No. "}.get(said or "", "")
    return Shaped("yes_no", [piece], lead + cite(piece.text, piece.passage), verdict=said)
