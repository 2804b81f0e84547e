"""What changed between the versions of real policies (eval/corpora/policies: Django's security
policies and governance page from three releases, pip's release process from two, Django's
release process in one), through the real encoder, spaCy and Chroma: the versions the question
names are the ones compared, whatever document retrieval ranks first; reStructuredText titles
and markup are read as such; a policy in one version is refused, saying so."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT, make_settings

CORPUS = ROOT / "eval" / "corpora" / "policies" / "corpus"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def policies(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    built = build_pipeline(make_settings(tmp_path_factory.mktemp("policies") / "data"),
                           embedder=embedder)
    assert built.ingest.sync(CORPUS).failed == {}
    return built


def _changes(pipeline, question: str):
    answer = pipeline.answers.answer(question)
    assert not answer.refused and answer.shape is not None, answer.answer
    assert answer.shape.kind == "changes", answer.answer
    return answer


def test_the_versions_the_question_names_are_compared(policies):
    answer = _changes(policies, "What changed in Django's security policies between 3.2 and 4.2?")
    assert answer.answer.startswith("From django-security-policies-3.2.25.txt to "
                                    "django-security-policies-4.2.16.txt")
    assert "djangoproject.com website" in answer.answer
    answer = _changes(policies, "What changed in Django's security policies between 4.2 and 5.1?")
    assert answer.answer.startswith("From django-security-policies-4.2.16.txt to "
                                    "django-security-policies-5.1.4.txt")
    assert "production-grade Django application" in answer.answer
    assert "=====" not in answer.answer and "_security-report-evaluation" not in answer.answer
    # 5.1 only added statements: each cited in 5.1
    assert {c.doc_id for c in answer.citations} == {"django-security-policies-5.1.4.txt"}


def test_the_version_numbers_do_not_draw_another_document(policies):
    """Django's release process page holds "4.2" and "5.1" many times: the question's versions
    say which to compare, its words what (the governance page, whose title it names)."""
    answer = _changes(policies, "What changed in the organization of the Django project "
                                "between 4.2 and 5.1?")
    assert "select Mergers and Releasers" in answer.answer
    assert all(c.doc_id.startswith("django-organization-") for c in answer.citations)


def test_since_a_version_compares_it_with_the_newest(policies):
    answer = _changes(policies, "What changed in pip's release process since 20.3?")
    assert answer.answer.startswith(
        "From pip-release-process-20.3.4.rst to pip-release-process-24.2.rst")
    assert "The version number of pip is" in answer.answer


def test_what_a_body_was_renamed_to_is_read_from_its_versions(policies):
    answer = _changes(policies, "What was Django's technical board renamed to?")
    assert "steering council" in answer.answer and "technical board" in answer.answer


def test_a_policy_in_one_version_is_refused_saying_so(policies):
    answer = policies.answers.answer("What changed in Django's release process?")
    assert answer.refused and answer.refusal is not None
    assert answer.refusal.reason == "versions"
    assert answer.refusal.detail == "Django's release process"  # its title, not "====="
    assert answer.answer == ("The documents hold Django's release process in one version "
                             "only: there is no other version to compare it with.")


def test_versions_that_state_nothing_different_about_the_part_asked_say_so(policies):
    """The governance page names the Django Code of Conduct in every release, alike: no change
    of it (not the change of "Code contributions", which holds "code" alone); a part the
    versions never speak of ("bug bounty") gets the plain refusal."""
    answer = policies.answers.answer("How has Django's code of conduct changed?")
    assert answer.refused and answer.refusal is not None, answer.answer
    assert (answer.refusal.reason, answer.refusal.detail) == (
        "unchanged", "Organization of the Django Project")
    assert answer.answer == ("The versions of Organization of the Django Project in the "
                             "documents state nothing different about this.")
    answer = policies.answers.answer(
        "What changed in the Django security policies about the bug bounty?")
    assert answer.refused and answer.refusal is None


def test_with_no_year_asked_the_newest_release_answers(policies):
    """The governance page of three releases: a question of no period reads the newest (5.1,
    "steering council"), not the 3.2 page retrieval ranked first ("technical board"), the
    file names giving the order (no page states a date)."""
    answer = policies.answers.answer("Who decides when a Merger is removed?")
    assert answer.citations[0].doc_id == "django-organization-5.1.4.txt", answer.citations
    assert "technical board" not in answer.answer
    answer = policies.answers.answer("How many members does the Django steering council have?")
    assert not answer.refused and answer.short_answer is not None
    assert answer.short_answer.text == "five"
