"""A procedure question a reference table answers (rag.shapes.procedure): the row, whole and
cited, not the table's cells read as sentences; no row of the question's terms, no row."""

from __future__ import annotations

from rag.generators.extractive import ScoredSentence
from rag.shapes import QuestionKind, ShapeInput, procedure
from rag.types import Passage

TEXT = """## Commands and routes

| command | route | what it does |
|---|---|---|
| `rag releases list` | `GET /v1/releases` | list the releases |
| `rag releases rollback [ID]` | `POST /v1/releases/rollback` | roll back to the previous release |
"""
ROW = "| `rag releases rollback [ID]` | `POST /v1/releases/rollback` | roll back to the previous release |"


def _input(question: str, *best: str) -> ShapeInput:
    passage = Passage("c0", "releases.md", "Releases", TEXT, 0, len(TEXT), 0.5)
    return ShapeInput(question, QuestionKind("procedure"), [passage],
                      [ScoredSentence(b, 1, i, 0.8 - 0.1 * i, 0.5) for i, b in enumerate(best)])


def test_the_row_of_the_question_is_the_answer():
    shaped = procedure.build(_input("How do I roll back a release?",
                                    "| `rag releases list` | `GET /v1/releases` | list the releases |",
                                    ROW))
    assert shaped is not None and len(shaped.pieces) == 1
    piece = shaped.pieces[0]
    assert TEXT[piece.start:piece.end] == piece.text == ROW.strip("| ")
    assert shaped.text == f"{piece.text} [1]"


def test_no_row_of_the_questions_terms_gives_no_row():
    assert procedure.build(_input("How do I renew a parking permit?", ROW)) is None
