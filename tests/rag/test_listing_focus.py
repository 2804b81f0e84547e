"""A list's block judged by the question's focus (rag.shapes.listing with the focus of
rag.retrieval.focus): what the question asks beyond naming its document, or the noun run it asks
for (rag.shapes.kinds.list_head, read from the real spaCy tags); PDF lists as text extraction
renders them: a second level under a first-level item, a footnote mark glued to the heading, a
list written on one line, two numbered lists one after the other; and the gate's exception for a
list whose heading is the asked one."""

from __future__ import annotations

import pytest

from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, listing
from rag.shapes.kinds import question_kind
from rag.shapes.text import blocks, stem, terms
from rag.types import Passage

AIMS = ("Protocol for the phase II study\n\nSECONDARY SPECIFIC AIMS:\nTo evaluate:\n"
        "• Overall Survival.\n• Disease-Free Survival.\n• Quality of Life.\n")
AIMS_Q = ("What are the secondary specific aims of the dendritic cell vaccine plus IL-2 trial in "
          "advanced melanoma?")


def _input(question: str, texts: list[str], kind: QuestionKind | None = None,
           focus: str = "", title: str = "Protocol version 2") -> ShapeInput:
    passages = [Passage(f"c{i}", "protocol.pdf", title, t, 0, len(t), 0.5)
                for i, t in enumerate(texts)]
    sentences = [ScoredSentence(t.splitlines()[0], i + 1, 0, 0.9 - 0.1 * i, 0.5)
                 for i, t in enumerate(texts)]
    return ShapeInput(question, kind or QuestionKind("list"), passages, sentences,
                      focus=terms(focus))


def _items(shaped) -> list[str]:
    assert shaped is not None
    return [p.text for p in shaped.pieces]


def test_the_focus_judges_the_heading_where_the_studys_name_would_keep_it_under():
    # the whole question's terms: the study's name is in no heading, the block stays under
    assert listing.build(_input(AIMS_Q, [AIMS])) is None
    shaped = listing.build(_input(AIMS_Q, [AIMS], focus="secondary specific aims"))
    assert _items(shaped) == ["Overall Survival", "Disease-Free Survival", "Quality of Life"]


@pytest.fixture(scope="module")
def nlp():
    from rag.factory import build_nlp

    return build_nlp()


def test_the_noun_run_a_list_asks_for(nlp):
    def head(q: str) -> str:
        return question_kind(q, nlp.question_tags(q)).head

    assert head("At which time points are data collected in the support group trial?") == \
        "time points"
    assert head("What are the secondary outcome measures of the rhomboid flap trial?") == \
        "secondary outcome measures"
    assert head("Which four US sites take part in the natural history study?") == "us sites"


def test_the_noun_run_judges_the_heading_when_the_focus_holds_more(nlp):
    q = "What are the secondary specific aims of the vaccine plus IL-2 trial in melanoma?"
    kind = question_kind(q, nlp.question_tags(q))
    shaped = listing.build(_input(q, [AIMS], kind=kind, focus="secondary specific aims vaccine "
                                                             "plus trial"))
    assert _items(shaped)[:2] == ["Overall Survival", "Disease-Free Survival"]


def test_a_second_level_under_an_item_is_its_list_and_a_footnote_mark_is_no_word():
    text = ("Source of Materials:\n• Electronic health records\n• Pedometer data\n"
            "• Feasibility measures7\no Recruitment rate: patients enrolled per month\n"
            "o Dropout rate: patients who leave\no Retention rate: patients who stay\n"
            "• Acceptability measures:\n")
    shaped = listing.build(_input("What feasibility measures are collected in the walking "
                                  "study?", [text], focus="feasibility measures"))
    assert [t.split(":")[0] for t in _items(shaped)] == ["Recruitment rate", "Dropout rate",
                                                         "Retention rate"]


def test_a_list_on_one_line_is_read_item_by_item():
    text = ("Study Sponsor | Example Therapeutics, San Diego\n"
            "Investigational Site | 3 US sites • University of Iowa • NIH • Stanford School "
            "of Medicine\n")
    shaped = listing.build(_input("Which US sites take part in the natural history study?",
                                  [text], QuestionKind("list", head="us sites"),
                                  focus="US sites take part"))
    assert _items(shaped) == ["University of Iowa", "NIH", "Stanford School of Medicine"]


def test_two_numbered_lists_in_a_row_are_two_lists():
    text = ("Inclusion criteria: (14)\n1. Patients aged 13-18 years.\n2. Anterior open bite.\n"
            "Exclusion criteria :(15)\n1. Uncooperative patient and parents.\n"
            "2. Previous orthodontic treatment.\n3. Class III jaw relationship.\n")
    found = [[text[a:b] for a, b in block.items] for block in blocks(text)]
    assert found == [["Patients aged 13-18 years.", "Anterior open bite."],
                     ["Uncooperative patient and parents.", "Previous orthodontic treatment.",
                      "Class III jaw relationship."]]
    # a Markdown list numbered 1. 1. 1. stays one list
    assert len(blocks("1. a\n1. b\n1. c\n")) == 1
    shaped = listing.build(_input("What are the exclusion criteria of the open bite study?",
                                  [text], focus="exclusion criteria"))
    assert _items(shaped)[0] == "Uncooperative patient and parents"


def test_of_lists_under_the_same_heading_the_longer_one_is_taken():
    synopsis = "Inclusion Criteria:\n● Adults aged 18 or over\n● Able to consent\n"
    section = ("Inclusion criteria\n• Adults aged 18\n• Treated within the past 6 weeks\n"
               "• Willing and able to consent\n• English speaking\n")
    shaped = listing.build(_input("What are the inclusion criteria of the interview study?",
                                  [synopsis, section], focus="inclusion criteria"))
    assert _items(shaped)[-1] == "English speaking"


def test_the_gate_exception_holds_for_a_list_under_the_asked_heading_only():
    assert listing.answers(_input(AIMS_Q, [AIMS], focus="secondary specific aims"))
    assert not listing.answers(_input(AIMS_Q, [AIMS], focus="tertiary endpoints"))


def test_become_and_becomes_read_alike():
    assert stem("become") == stem("becomes") and stem("rate") == stem("rates")
