"""Questions staff ask of policies in several versions, through the real encoder, spaCy and
Chroma over tests/rag/changes_corpus (a travel policy in three versions, an expenses handbook
in two, an office guide): "who" answered by the role the handbook names, not a person
(rag.stages.agent_answer), cited at its offsets, its sentence opening the answer even when four
others scored better; a year asked reads that year's version; "when" answered by a time told
against an event ("with the next salary"); a modal is no word of the question."""

from __future__ import annotations

import pytest

from tests.rag.test_changes import policies  # noqa: F401 (the fixture: that corpus indexed)

pytestmark = pytest.mark.slow


def test_who_approves_is_the_role_the_rule_names(policies):
    answer = policies.answers.answer("Who approves expense claims?")
    assert not answer.refused and answer.short_answer is not None, answer.answer
    assert answer.short_answer.text == "line manager"
    assert answer.answer.startswith("line manager. [1] Every claim is approved by the line "
                                    "manager. [1]"), answer.answer
    cited = next(c for c in answer.citations if c.n == answer.short_answer.citation)
    text = policies.store.document_text(cited.doc_id)
    assert text[answer.short_answer.start:answer.short_answer.end] == "line manager"
    assert cited.doc_id == "expenses-handbook-2024.md"


def test_a_condition_names_its_own_approver(policies):
    answer = policies.answers.answer("Who must approve claims above 1,000 euros?")
    assert answer.short_answer is not None and answer.short_answer.text == "finance director"


def test_a_year_asked_reads_that_years_version_of_a_policy(policies):
    """The travel policy in three versions collapse into one place in retrieval; "in 2023"
    reads the 2023 one (was: refused, "no answer for 2023"), "in 2024" the 2024 one (was: the
    2025 value), no year the newest."""
    for when, amount, version in ((" in 2023", "40 euros", "2023"),
                                  (" in 2024", "45 euros", "2024"), ("", "50 euros", "2025")):
        answer = policies.answers.answer(f"What was the daily meal allowance{when}?")
        assert not answer.refused and amount in answer.answer, (when, answer.answer)
        assert answer.citations[0].doc_id == f"travel-policy-{version}.md"
    answer = policies.answers.answer("Who approved expense claims in 2023?")
    assert answer.short_answer is not None and answer.short_answer.text == "head of department"


def test_a_modal_is_no_word_of_the_question(policies):
    """"must" is a modal like "should": the claims rule ("Claims must be submitted within 60
    days", revised from 90) shares only "days" with a question about booking travel, so it is
    no disagreement about it; the travel policy's rule answers."""
    answer = policies.answers.answer("How many days before departure must travel be booked?")
    assert answer.disagreement == [], answer.answer
    assert answer.short_answer is not None and "21 days" in answer.short_answer.text


def test_when_is_answered_by_a_time_told_against_an_event(policies):
    """The selector wants a number in a sentence answering "when" (fitted on factoid sets): a
    time told against an event or a period counts as one (rag.selection)."""
    answer = policies.answers.answer("When are approved claims paid?")
    assert answer.answer.startswith("Approved claims are paid with the next salary."), \
        answer.answer
    answer = policies.answers.answer("When were approved claims paid in 2023?")
    assert "at the end of the month" in answer.answer, answer.answer
