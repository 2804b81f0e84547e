"""An explanation is read from the paragraph of the sentence the answer reads first (the
selector's choice, ``ShapeInput.read``), not from the best scored sentence's when they differ
(rag.shapes.explanation): covidqa's "What happens if the reproduction number is greater than
1?" scored a caveat about credible intervals first while the selector read the sentence that
says what happens."""

from __future__ import annotations

from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, explanation
from rag.types import Passage

TEXT = ("Our estimates have wide credible intervals and contain 1 for some countries. This "
        "means that the reproduction number may be above or below this value.\n\n"
        "If Rt is greater than 1, then infections will increase until the epidemic peaks. "
        "It then declines as immunity is acquired. This is why Rt matters.\n")


def _input(read: tuple[int, int] | None) -> ShapeInput:
    passage = Passage("c0", "report.txt", "Report", TEXT, 0, len(TEXT), 0.5)
    caveat = ScoredSentence("Our estimates have wide credible intervals and contain 1 for some "
                            "countries.", 1, 0, 0.9, 0.5)
    return ShapeInput("What happens if the reproduction number is greater than 1?",
                      QuestionKind("explanation"), [passage], [caveat], read=read)


def test_the_paragraph_of_the_sentence_read_first():
    shaped = explanation.build(_input((1, TEXT.index("If Rt"))))
    assert shaped is not None
    assert shaped.pieces[0].text.startswith("If Rt is greater than 1")
    assert [p.text for p in shaped.pieces][-1] == "This is why Rt matters."
    for p in shaped.pieces:
        assert TEXT[p.start:p.end] == p.text


def test_without_it_the_best_scored_sentences_paragraph():
    shaped = explanation.build(_input(None))
    assert shaped is not None and shaped.pieces[0].text.startswith("Our estimates")
