"""List items (rag.shapes.listing) over hand-made passages: the question's own words are its
subject, never its items."""

from __future__ import annotations

from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, listing
from rag.types import Passage


def _input(question: str, text: str, short: tuple[str, int] | None = None) -> ShapeInput:
    passage = Passage("c0", "protocol.pdf", "Protocol", text, 0, len(text), 0.5)
    sentences = [ScoredSentence(s.strip() + ".", 1, i, 0.9 - i * 0.1, 0.5)
                 for i, s in enumerate(text.split(".")) if s.strip()]
    return ShapeInput(question, QuestionKind("list"), [passage], sentences, short)


QUESTION = "What are the inclusion criteria for the patient interview study on TURBT, TURP and TUEP?"


def test_items_the_question_names_are_not_its_answer():
    text = ("Is day-case surgery acceptable for patients having TURBT, TURP and TUEP. "
            "Inclusion criteria for the patient interview study: adults, treated within the past 6 weeks, willing to consent.")
    shaped = listing.build(_input(QUESTION, text, short=("TURBT, TURP and TUEP", 1)))
    assert shaped is not None
    assert [p.text for p in shaped.pieces] == ["adults", "treated within the past 6 weeks",
                                               "willing to consent"]


def test_only_restated_items_give_no_list():
    text = "Is day-case surgery acceptable for patients having TURBT, TURP and TUEP."
    assert listing.build(_input(QUESTION, text, short=("TURBT, TURP and TUEP", 1))) is None
