"""A "who" question over policies that name a role, not a person (rag.stages.agent_answer),
through the real encoder, spaCy and Chroma over tests/rag/changes_corpus: the short answer is
the role the handbook says does it, cited at its offsets, and its sentence opens the answer even
when four others scored better."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_settings

CORPUS = Path(__file__).parent / "changes_corpus"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def handbooks(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    built = build_pipeline(make_settings(tmp_path_factory.mktemp("agents") / "data"),
                           embedder=embedder)
    built.ingest.sync(CORPUS)
    return built


def test_who_approves_is_the_role_the_rule_names(handbooks):
    answer = handbooks.answers.answer("Who approves expense claims?")
    assert not answer.refused and answer.short_answer is not None, answer.answer
    assert answer.short_answer.text == "line manager"
    assert answer.answer.startswith("line manager. [1] Every claim is approved by the line "
                                    "manager. [1]"), answer.answer
    cited = next(c for c in answer.citations if c.n == answer.short_answer.citation)
    text = handbooks.store.document_text(cited.doc_id)
    assert text[answer.short_answer.start:answer.short_answer.end] == "line manager"
    assert cited.doc_id == "expenses-handbook-2024.md"


def test_a_condition_names_its_own_approver(handbooks):
    answer = handbooks.answers.answer("Who must approve claims above 1,000 euros?")
    assert answer.short_answer is not None and answer.short_answer.text == "finance director"
