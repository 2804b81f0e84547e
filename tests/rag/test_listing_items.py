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


def _titled(question: str, title: str, text: str) -> ShapeInput:
    passage = Passage("c0", "protocol.pdf", title, text, 0, len(text), 0.5)
    first = text.splitlines()[0]
    return ShapeInput(question, QuestionKind("list"), [passage],
                      [ScoredSentence(first, 1, 0, 0.9, 0.5)])


def test_a_block_is_judged_by_the_terms_its_documents_title_does_not_hold():
    title = "Rhomboid flap versus deep suturing in recurrent pilonidal sinus"
    text = ("b. Secondary outcome measures:\n1. Operative time.\n2. Postoperative pain.\n"
            "3. Postoperative cosmetic outcome.\n")
    q = ("What are the secondary outcome measures of the rhomboid flap versus deep suturing "
         "pilonidal sinus trial?")
    shaped = listing.build(_titled(q, title, text))
    assert shaped is not None
    assert [p.text for p in shaped.pieces] == ["Operative time", "Postoperative pain",
                                               "Postoperative cosmetic outcome"]


def test_a_pdfs_second_level_bullets_are_items():
    text = ("Feasibility measures for the walking study:\no Recruitment rate: patients enrolled "
            "per month\no Dropout rate: patients who leave\no Retention rate: patients who stay\n")
    q = "What feasibility measures are collected in the walking study?"
    shaped = listing.build(_titled(q, "Postprandial walking", text))
    assert shaped is not None
    assert [p.text.split(":")[0] for p in shaped.pieces] == ["Recruitment rate", "Dropout rate",
                                                             "Retention rate"]
