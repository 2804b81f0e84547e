"""Requests put politely or as orders are typed as the questions they ask (rag.question_typing.
plain_request), for the answer type and the question kind alike: "Can you tell me how to ..."
asks for steps, not yes or no; "Could you name the label ..." asks for an organisation."""

from __future__ import annotations

import pytest

from rag.question_typing import Nlp, plain_request
from rag.shapes.kinds import question_kind


@pytest.fixture(scope="module")
def nlp() -> Nlp:
    return Nlp()


@pytest.mark.parametrize(("asked", "plain"), [
    ("Can you tell me how to reset my password?", "How to reset my password?"),
    ("Could you please name the record label that B.o.B was signed to?",
     "Which record label that B.o.B was signed to?"),
    ("Do you know who chairs the committee?", "Who chairs the committee?"),
    ("Please tell me what the deadline is.", "What the deadline is."),
    ("I'd like to know when the office opens.", "When the office opens."),
    ("Will you identify the league in which the Gators played?",
     "Which league in which the Gators played?"),
    # not requests: unchanged
    ("Can I take leave in December?", "Can I take leave in December?"),
    ("Know your rights.", "Know your rights."),
    ("Name three rivers of France.", "Name three rivers of France."),
])
def test_the_question_a_request_asks(asked, plain):
    assert plain_request(asked) == plain


@pytest.mark.parametrize(("question", "answer_type", "kind"), [
    ("Can you tell me how to roll back a release?", "other", "procedure"),
    ("Could you explain why the release was held?", "reason", "explanation"),
    ("Can you name the record label that B.o.B was signed to from 2015 to 2016?",
     "organisation", "factoid"),
    ("Will you find out the working location from 1923 to 1979 of Joseph Chaikov?", "place",
     "factoid"),
    ("Can I take leave in December?", "yes_no", "yes_no"),
    ("Name the members of the board.", "person", "list"),
    # a possessor is not what is asked for: "X's home field" asks for the field
    ("What was Real Madrid Baloncesto's home field from 1966 to 1986?", "facility", "factoid"),
    ("What is Canada's capital?", "place", "factoid"),
    ("In the years from 2004 to 2010, José Pedro played on what football squad?",
     "organisation", "factoid"),
])
def test_requests_are_typed_as_their_questions(nlp, question, answer_type, kind):
    assert nlp.classify(question).kind == answer_type
    assert question_kind(question, nlp.question_tags(question)).kind == kind
