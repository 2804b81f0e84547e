"""List items (rag.shapes.listing) over hand-made passages: the question's own words are its
subject, never its items; and over a real index, a list that chunking cut is read whole."""

from __future__ import annotations

import pytest

from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, listing
from rag.shapes.text import blocks
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


def test_numbering_that_goes_back_opens_another_list():
    text = ("Secondary endpoints:\n1. Muscle strength at follow up.\n2. Circumference at follow "
            "up.\n3. Satisfaction survey.\n2. STUDY DESIGN\nOpen-label study of 60 subjects.\n")
    found = blocks(text)
    assert [[text[a:b] for a, b in block.items] for block in found] == [
        ["Muscle strength at follow up.", "Circumference at follow up.", "Satisfaction survey."],
        ["STUDY DESIGN\nOpen-label study of 60 subjects."]]


MEASURES = [f"{name} measured at week {week} by the blinded assessor on the standard form"
            for week, name in enumerate(["Knee flexion range", "Knee extension range",
                                         "Quadriceps strength", "Hamstring strength",
                                         "Timed up and go test", "Six minute walk distance",
                                         "Pain at rest", "Pain on stairs", "Sleep quality score",
                                         "Return to work", "Patient satisfaction rating",
                                         "Analgesic use diary"], start=2)]
KNEE_PROTOCOL = ("# Knee rehabilitation trial protocol\n\n## Background\n\n"
                 + "Knee replacement is followed by months of rehabilitation at home. " * 12
                 + "\n\n## Secondary outcome measures\n\nThe secondary outcome measures of the "
                 "knee rehabilitation trial are:\n\n"
                 + "".join(f"- {m}\n" for m in MEASURES)
                 + "\n## Data management\n\n"
                 + "Forms are kept in a locked cabinet and entered twice by two clerks. " * 12
                 + "\n")


@pytest.mark.slow  # the real model and Chroma
def test_a_list_cut_by_chunking_is_read_whole(tmp_path, embedder):
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "knee-protocol.md").write_text(KNEE_PROTOCOL)
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest.sync(corpus)
    chunks = pipeline.store.document_chunks("knee-protocol.md")
    assert not any(MEASURES[0] in c.text and MEASURES[-1] in c.text for c in chunks)  # cut
    answer = pipeline.answers.answer(
        "What are the secondary outcome measures of the knee rehabilitation trial?")
    assert not answer.refused and answer.shape.kind == "list"
    assert [item.text for item in answer.shape.items] == MEASURES
    text = pipeline.store.document_text("knee-protocol.md")
    for item in answer.shape.items:  # each item cited as its place in the document
        assert text[item.start:item.end] == item.text

