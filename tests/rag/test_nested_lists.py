"""Lists inside list items (a help page's sub-steps, a rule's exceptions): the list block keeps
them in their item's text and apart (rag.shapes.text.Block.nested), so a procedure's step keeps
its sub-steps and the steps after them, and a list question can be answered by the inner list
alone; question kinds read "What kinds of X" as asking for X and "Which exploits does ..." as a
list. The pipeline tests read tests/rag/nested_corpus (an HTML help page, a Markdown policy), a
Word policy and a slide deck written here, through the real encoder, spaCy and Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.cleaning import Cleaner
from index.types import Document
from rag.question_typing import Nlp
from rag.shapes.kinds import question_kind
from rag.shapes.text import blocks
from rag.span_locator import SpanLocator
from rag.types import Passage
from tests.helpers import make_settings

CORPUS = Path(__file__).parent / "nested_corpus"

STEPS = ("Intro:\n\n"
         "1. Open the email.\n"
         "   - on a phone, tap Confirm;\n"
         "   - on a computer, copy the\n"
         "     code into the page.\n"
         "2. Type the new password.\n")


def test_a_nested_list_is_its_items_text_and_a_list_of_its_own():
    [block] = blocks(STEPS)
    assert block.kind == "numbered" and len(block.items) == 2
    first = STEPS[block.items[0][0]:block.items[0][1]]
    assert first.startswith("Open the email.") and first.endswith("into the page.")
    assert [STEPS[a:b] for a, b in block.nested[0]] == [
        "on a phone, tap Confirm;", "on a computer, copy the\n     code into the page."]
    assert STEPS[slice(*block.items[1])] == "Type the new password."


def test_a_list_after_a_blank_line_under_an_item_is_nested_too():
    text = ("* Up to five days.\n* More need approval. The following cannot be carried\n"
            "at all:\n\n  * bought leave, and\nleave given as an award,\n  * overtime days\n")
    [block] = blocks(text)  # as the cleaner leaves it: the wrapped lines flush
    assert text[slice(*block.items[1])].endswith("overtime days")
    assert [text[a:b] for a, b in block.nested[1]] == [
        "bought leave, and\nleave given as an award,", "overtime days"]


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return Nlp()


def test_kinds_of_x_asks_for_x_and_a_noun_before_an_auxiliary_is_a_noun(nlp):
    kind = question_kind("What kinds of leave cannot be carried over?",
                         nlp.tag("What kinds of leave cannot be carried over?"))
    assert kind.kind == "list" and kind.head == "leave"
    question = "Which exploits does the security team say do not require a release?"
    assert question_kind(question, nlp.tag(question)).kind == "list"  # "exploits" tagged VBZ


class _Texts:
    def __init__(self, text: str, fmt: str) -> None:
        self.text, self.fmt = text, fmt

    def document_text(self, doc_id: str) -> str:
        return self.text

    def records(self, doc_ids):
        return {d: type("Record", (), {"format": self.fmt})() for d in doc_ids}


@pytest.mark.parametrize("fmt", ["pdf", "markdown"])
def test_the_span_locator_cleans_a_document_as_its_format_was(fmt):
    original = "Rules:\n\n  * bought leave is kept\n  * overtime days lapse\n"
    clean = Cleaner().clean(Document("d.x", "t", original, "d", 0.0, "0" * 64, format=fmt))
    at = clean.text.index("overtime")
    passage = Passage("d.x#v#0", "d.x", "t", clean.text, 0, len(original), 1.0)
    start, end = SpanLocator(_Texts(original, fmt)).locate(passage, at, at + 13)
    assert original[start:end] == "overtime days"


def _word_policy(path: Path) -> None:
    """A Word travel policy whose steps have sub-items (index/readers/docx_lists.py)."""
    import docx

    document = docx.Document()
    document.add_heading("Travel policy", 1)
    document.add_heading("Booking a business trip", 2)
    document.add_paragraph("Every trip is booked through the travel desk.")
    for text, style in [
            ("Ask your manager to approve the trip in the travel portal.", "List Number"),
            ("Book the cheapest fare that fits the meeting times:", "List Number"),
            ("economy class for flights under six hours,", "List Bullet 2"),
            ("second class for trains.", "List Bullet 2"),
            ("Send the booking reference to the finance office.", "List Number")]:
        document.add_paragraph(text, style=style)
    document.add_heading("Meals", 2)
    document.add_paragraph("Meals are paid by a daily allowance of 40 euros.")
    document.save(path)


def _deck(path: Path) -> None:
    """A slide deck whose body placeholder holds bullets with a second level."""
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Support team priorities for 2025"
    frame = slide.placeholders[1].text_frame
    frame.text = "Answer every ticket within two working days"
    for text, level in [("chat tickets within four hours", 1),
                        ("Publish a help page for each new feature", 0),
                        ("Run a customer survey every quarter", 0)]:
        paragraph = frame.add_paragraph()
        paragraph.text, paragraph.level = text, level
    deck.save(path)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, embedder):
    import shutil

    from rag.factory import build_pipeline

    corpus = tmp_path_factory.mktemp("nested-corpus")
    for name in ("account-help.html", "leave.md"):
        shutil.copy(CORPUS / name, corpus / name)
    _word_policy(corpus / "travel-policy.docx")
    _deck(corpus / "support-priorities.pptx")
    built = build_pipeline(make_settings(tmp_path_factory.mktemp("nested") / "data"),
                           embedder=embedder)
    assert built.ingest.sync(corpus).failed == {}
    return built


def _shaped_lines(pipeline, question: str, kind: str, doc_id: str) -> list[str]:
    """The answer's lines, asserting its shape's kind and the document it cites first."""
    answer = pipeline.answers.answer(question)
    assert answer.shape is not None and answer.shape.kind == kind, answer.answer
    assert answer.citations[0].doc_id == doc_id
    return answer.answer.splitlines()


def test_a_steps_sub_steps_stay_in_it_and_the_steps_after_them_are_kept(pipeline):
    assert _shaped_lines(pipeline, "How do I reset my password?", "procedure",
                         "account-help.html") == [
        "1. Open the sign-in page and click Forgot password. [1]",
        "2. Enter the email address of your account.",
        "Use your work address, not a personal one. [1]",
        "3. Open the email we send you and choose how to confirm:",
        "   - on a phone, tap Confirm in the email;",
        "   - on a computer, copy the six-digit code into the page. [1]",
        "4. Type the new password twice and click Save. [1]"]


def test_the_list_under_an_item_answers_what_it_introduces(pipeline):
    assert _shaped_lines(pipeline, "What kinds of leave cannot be carried over?", "list",
                         "leave.md") == [
        "- days of leave bought through the salary exchange scheme [1]",
        "- compensation days for overtime worked before 1 October [1]",
        "- leave granted as a long-service award [1]"]


def test_a_word_documents_numbered_steps_and_their_sub_items(pipeline):
    assert _shaped_lines(pipeline, "How do I book a business trip?", "procedure",
                         "travel-policy.docx") == [
        "1. Ask your manager to approve the trip in the travel portal. [1]",
        "2. Book the cheapest fare that fits the meeting times:",
        "   - economy class for flights under six hours,",
        "   - second class for trains. [1]",
        "3. Send the booking reference to the finance office. [1]"]


def test_a_slides_bullets_answer_a_list_question(pipeline):
    question = "What are the priorities of the support team for 2025?"
    assert _shaped_lines(pipeline, question, "list", "support-priorities.pptx") == [
        "- Answer every ticket within two working days [1]",
        "- Publish a help page for each new feature [1]",
        "- Run a customer survey every quarter [1]"]
