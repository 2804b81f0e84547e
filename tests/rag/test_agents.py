"""Who does it (rag.agents): the role or body a sentence says does the question's action, read
from the real spaCy tagger's part-of-speech tags: the agent after "by", the subject before the
verb, the possessor of the action's noun only when asked; none that is a pronoun or what the
question acts on."""

from __future__ import annotations

import pytest

from rag.agents import agent_in, asked_action, stem


@pytest.fixture(scope="module")
def nlp():
    from rag.question_typing import Nlp

    return Nlp()


def _agent(nlp, question: str, sentence: str, nominal: bool = False) -> str | None:
    action = asked_action(nlp.question_tags(question))
    asked = frozenset(w.lower() for w in question.rstrip("?").split()[1:])
    asked |= {stem(w) for w in asked}
    found = agent_in(sentence, nlp.tag(sentence), action, asked, nominal)
    return None if found is None else sentence[found[0]:found[1]]


@pytest.mark.parametrize("sentence, agent", [
    ("Every claim is approved by the line manager.", "line manager"),
    ("Claims are approved by HR within a week.", "HR"),
    ("The finance director must approve claims above 1,000 euros.", "finance director"),
    ("Leave is signed off and approved by the head of department.", "head of department"),
    ("It was approved by him.", None),  # a pronoun names no one
    ("Approved claims are paid with the next salary.", None),  # no one acts
])
def test_the_role_that_acts(nlp, sentence, agent):
    assert _agent(nlp, "Who approves expense claims?", sentence) == agent


def test_the_possessor_of_the_actions_noun_only_when_asked(nlp):
    sentence = "Claims above 1,000 euros also need the finance director's approval in the app."
    assert _agent(nlp, "Who approves expense claims?", sentence) is None
    assert _agent(nlp, "Who approves expense claims?", sentence, nominal=True) == \
        "finance director"


def test_a_question_without_an_action_has_none(nlp):
    assert asked_action(nlp.question_tags("Who was the rector of the university in 1955?")) \
        == frozenset()
    assert asked_action(nlp.question_tags("Who must sign the travel request?")) == {"sign"}
