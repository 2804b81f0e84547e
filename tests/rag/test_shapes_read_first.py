"""What the answer reads first (the selector's choice, ``ShapeInput.read``) guides the shapes. An
explanation is read from the paragraph of the sentence the answer reads first (the
selector's choice, ``ShapeInput.read``), not from the best scored sentence's when they differ
(rag.shapes.explanation): covidqa's "What happens if the reproduction number is greater than
1?" scored a caveat about credible intervals first while the selector read the sentence that
says what happens. A yes/no question is decided by it among sentences holding as many key
terms (rag.shapes.yes_no)."""

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


POLICY = ("Staff may book a desk in any office. Visitors sign in at reception. Parking is free "
          "for visitors. Pets are not allowed in the office, except guide dogs.\n")


def test_a_yes_no_question_is_decided_by_the_sentence_read_first_among_equals():
    """The deciding sentence is the one holding most key terms among the best three and the
    one the answer reads first (the selector's choice); between equals, the one read."""
    from rag.shapes import yes_no

    passage = Passage("c0", "policy.txt", "Policy", POLICY, 0, len(POLICY), 0.5)
    scored = [ScoredSentence(t, 1, i, 0.9 - 0.1 * i, 0.5) for i, t in enumerate(
        ["Staff may book a desk in any office.", "Visitors sign in at reception.",
         "Parking is free for visitors.",
         "Pets are not allowed in the office, except guide dogs."])]
    question = "Can I bring pets to the office?"
    kind = QuestionKind("yes_no")
    top3 = yes_no.build(ShapeInput(question, kind, [passage], scored))
    assert top3 is not None and not top3.pieces[0].text.startswith("Pets")
    read = yes_no.build(ShapeInput(question, kind, [passage], scored,
                                   read=(1, POLICY.index("Pets"))))
    assert read is not None and read.pieces[0].text.startswith("Pets are not allowed")
    assert read.verdict == "no"


ERRORS = ("# Embeddings server\n\nEach failure names its cause:\n\n"
          "| what happened | the error |\n|---|---|\n"
          "| no server at `api_base` | cannot reach the embeddings server: start it |\n"
          "| no answer in time | the server did not answer within 60 s: raise the timeout |\n"
          "| 401/403 | the embeddings server refused the API key: set a key it accepts |\n\n"
          "Retries wait one second.\n")


def _errors(read_row: str) -> ShapeInput:
    passage = Passage("c0", "embedding.md", "Embeddings", ERRORS, 0, len(ERRORS), 0.5)
    at = ERRORS.index(read_row)
    return ShapeInput("What happens when the embeddings server rejects our API key?",
                      QuestionKind("explanation"), [passage], [], read=(1, at))


def test_an_explanation_read_in_a_table_is_one_row_whole():
    """A table is no paragraph: the row read, not it and its neighbours as sentences."""
    shaped = explanation.build(_errors("401/403"))
    assert shaped is not None and len(shaped.pieces) == 1
    assert shaped.pieces[0].text == ("401/403 | the embeddings server refused the API key: "
                                     "set a key it accepts")
    assert ERRORS[shaped.pieces[0].start:shaped.pieces[0].end] == shaped.pieces[0].text


def test_the_row_of_the_table_holding_more_of_the_question_wins():
    shaped = explanation.build(_errors("no answer in time"))
    assert shaped is not None and shaped.pieces[0].text.startswith("401/403 |")
