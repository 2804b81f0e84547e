"""List items (rag.shapes.listing) over hand-made passages: the question's own words are its
subject, never its items; an enumeration is read in its whole sentence, which opens the answer;
and over a real index, a list that chunking cut is read whole."""

from __future__ import annotations

from dataclasses import replace

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


def _wrapped(question: str, text: str, best: list[str]) -> ShapeInput:
    """A PDF passage whose sentences the evidence stage cut at its line breaks: ``best`` are
    those lines, best first."""
    passage = Passage("c0", "protocol.pdf", "Protocol", text, 0, len(text), 0.5)
    return ShapeInput(question, QuestionKind("list"), [passage],
                      [ScoredSentence(line, 1, i, 0.9 - i * 0.1, 0.5)
                       for i, line in enumerate(best)])


def test_an_enumeration_is_read_from_the_whole_sentence_a_line_break_cut():
    text = ("The flap will be mobilized from the gluteal\nfascia and sutured without tension in "
            "three layers (gluteal fascia with 2/0 Vicryl, subcutaneous fat with 3/0 Vicryl, "
            "and\nthe skin with 4/0 Prolene).\nA suction drain will be left behind.")
    q = "Which sutures are used for the three layers when closing the flap?"
    shaped = listing.build(_wrapped(q, text, ["A suction drain will be left behind.",
                                              "The flap will be mobilized from the gluteal"]))
    assert shaped is not None and shaped.text == ""  # the items ride beside the answer
    # the brackets hold the enumeration
    assert [p.text for p in shaped.pieces] == ["gluteal fascia with 2/0 Vicryl",
                                               "subcutaneous fat with 3/0 Vicryl",
                                               "skin with 4/0 Prolene"]
    lead = shaped.lead  # the whole sentence opens the answer
    assert lead is not None and lead.text.startswith("The flap will be mobilized")
    assert lead.text.endswith("4/0 Prolene).") and "\n" not in lead.text
    assert text[lead.start:lead.end].replace("\n", " ") == lead.text
    for p in shaped.pieces:
        assert text[p.start:p.end].replace("\n", " ") == p.text


def test_a_separator_inside_a_word_cuts_no_item():
    sentence = ("Have two or more high-risk abnormalities: t(4;14), t(14;16), del(17p), "
                "gain/amp(1q) in 1,000 cells")
    assert [t for _, t in listing.enumeration(sentence)] == [
        "t(4;14)", "t(14;16)", "del(17p)", "gain/amp(1q) in 1,000 cells"]


def test_a_sentence_of_the_passages_holding_the_asked_noun_run_gives_the_items():
    text = ("The offline group met weekly.\n\nData collection and analysis\n    Data collection "
            "occurred at three time points: before the intervention, immediately\nafter the "
            "intervention, and at a three-month follow-up. Data were stored in Excel.")
    q = "At which time points are data collected in the support group trial?"
    passage = Passage("c0", "protocol.pdf", "Protocol", text, 0, len(text), 0.5)
    inp = ShapeInput(q, QuestionKind("list", head="time points"), [passage],
                     [ScoredSentence("The offline group met weekly.", 1, 0, 0.9, 0.5)])
    shaped = listing.build(inp)
    assert shaped is not None and shaped.lead is not None
    assert [p.text for p in shaped.pieces] == ["before the intervention",
                                               "immediately after the intervention",
                                               "three-month follow-up"]
    assert "Data collection occurred at three time points: before" in shaped.lead.text
    assert shaped.lead.text.endswith("three-month follow-up.")
    # without the noun run it asks for, or with one word of it, no sentence of the passages is
    # read
    assert listing.build(replace(inp, kind=QuestionKind("list"))) is None
    assert listing.build(replace(inp, kind=QuestionKind("list", head="points"))) is None


def test_the_enumerating_sentence_opens_the_answer_in_place_of_its_pieces():
    from rag.grounding import CheckedSentence, Support, VerifiedDraft
    from rag.shapes.types import Piece
    from rag.stages.assemble import with_lead

    def checked(text: str, passage: int) -> CheckedSentence:
        return CheckedSentence(text, (Support(passage, 0.8, 0.8, True, (0, 1), True),), True)

    verified = VerifiedDraft([
        checked("Data Collection: Both patient groups will be asked to complete the following "
                "strength and performance", 1),  # a PDF line of the sentence
        checked("Assessments will be carried out by an independent therapist.", 2)])
    lead = Piece("Data Collection: Both patient groups will be asked to complete the following "
                 "strength and performance measures at baseline, and subsequent visits at week "
                 "6, and week 12.", 1, 0, 10)
    assert with_lead(verified, lead) == (
        f"{lead.text} [1] Assessments will be carried out by an independent therapist. [2]")


def test_an_empty_fenced_block_is_no_block_and_breaks_no_list():
    # MyST's directives in pip's own docs ("```{versionadded} 6.0", a blank line, "```"): an
    # empty fence was kept as a block of no items, and the list builder failed on it (a 500).
    text = ("# Caching\n\n```{versionadded} 6.0\n\n```\n\npip caches these kinds of files:\n\n"
            "- HTTP responses\n- locally built wheels\n")
    assert [b.kind for b in blocks(text)] == ["bulleted"]
    shaped = listing.build(_input("Which kinds of files does pip cache?", text))
    assert shaped is not None
    assert [p.text for p in shaped.pieces] == ["HTTP responses", "locally built wheels"]
