"""A "who" question over policies that name a role, not a person (rag.stages.agent_answer),
through the real encoder, spaCy and Chroma over tests/rag/changes_corpus: the short answer is
the role the handbook says does it, cited at its offsets, and its sentence opens the answer even
when four others scored better."""

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
