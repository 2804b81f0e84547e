"""Follow-ups rewritten into standalone questions (rules; the LLM path is in test_llm_*)."""

import pytest

from rag.conversation import LLMCondenser, RuleCondenser
from rag.prompts import load_prompts
from rag.types import Turn

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
HISTORY = [Turn("user", NOVEMBER), Turn("assistant", "More than 191,000 [1].")]


@pytest.mark.parametrize(("follow_up", "standalone"), [
    ("and in October?", "How many migrants did Border Patrol apprehend in October?"),
    ("What about December 2021?", "How many migrants did Border Patrol apprehend in December 2021?"),
    ("and at the Texas border?",
     "How many migrants did Border Patrol apprehend in November, at the Texas border?"),
    ("What did they say about it?", "What did they say about it (Border Patrol, November)?"),
    ("Who met Lopez Obrador in Mexico City?", "Who met Lopez Obrador in Mexico City?"),
])
def test_rule_rewrites(follow_up, standalone):
    assert RuleCondenser().condense(follow_up, HISTORY) == standalone


def test_earlier_follow_ups_are_resolved_first():
    history = [Turn("user", "Who led the delegation to Mexico in February?"),
               Turn("user", "and in March?")]
    assert RuleCondenser().condense("what did she say?", history) == \
        "what did she say (Mexico, March)?"


def test_no_history_leaves_the_question_alone():
    assert RuleCondenser().condense("and in October?", []) == "and in October?"


def test_llm_condenser_keeps_rules_when_the_reply_is_unusable():
    prompts = load_prompts("v1")
    seen = []

    def bad_model(prompt: str) -> str:
        seen.append(prompt)
        return "Sure! Here is a question about cheese."

    rewrite = LLMCondenser(bad_model, prompts).condense("and in October?", HISTORY)
    assert rewrite == "How many migrants did Border Patrol apprehend in October?"
    assert NOVEMBER in seen[0] and "and in October?" in seen[0]
    good = LLMCondenser(lambda _p: "How many migrants were apprehended in October?\nextra",
                        prompts)
    assert good.condense("and in October?", HISTORY) == \
        "How many migrants were apprehended in October?"


def test_a_pronoun_borrows_the_name_the_previous_answer_gave():
    history = [Turn("user", "Which Chicago mayor warned that the city was running out of room "
                            "for migrants?"),
               Turn("assistant", "Brandon Johnson, the mayor of Chicago [2].")]
    assert RuleCondenser().condense("Which political party does he belong to?", history) == \
        "Which political party does he belong to (Brandon Johnson, Chicago)?"


def test_a_short_question_with_its_own_name_stands_alone():
    assert RuleCondenser().condense("What is the capital of Canada?", HISTORY) == \
        "What is the capital of Canada?"
