"""Which versions a changes question compares (rag.shapes.versions): the series of a document,
the versions the question names, the document whose title it names, and the question without
its version numbers for retrieval. The statements of reStructuredText versions
(rag.shapes.changes.statements) leave out headings and markup. Plain values, no model."""

from __future__ import annotations

import pytest

from rag.shapes import QuestionKind, ShapeInput, changes, versions
from rag.types import Passage

NAMES = ("django-security-policies-3.2.25.txt", "django-security-policies-4.2.16.txt",
         "django-security-policies-5.1.4.txt")


def _passage(doc_id: str, title: str, text: str = "Text.", **extra) -> Passage:
    return Passage(f"{doc_id}#0", doc_id, title, text, 0, len(text), 0.5, **extra)


def _input(question: str, passages: list[Passage]) -> ShapeInput:
    """The first passage's other versions are the others, as the shape stage pairs them."""
    return ShapeInput(question, QuestionKind("changes"), passages, [],
                      versions=tuple((1, m) for m in range(2, len(passages) + 1)))


def _named(question: str) -> list[tuple[str | None, str | None]]:
    """(newer, older) version numbers of the pairs compared, the first first."""
    passages = [_passage(n, "Django's security policies") for n in NAMES]
    inp = _input(question, passages)
    return [(versions.version_number(passages[a - 1]), versions.version_number(passages[b - 1]))
            for a, b, _ in versions.pairs(inp)]


def test_the_versions_named_are_compared_else_each_with_the_one_before_newest_first():
    assert _named("What changed between 3.2 and 4.2?") == [("4.2.16", "3.2.25")]
    assert _named("What changed in the policies since 3.2?") == [("5.1.4", "3.2.25")]
    assert _named("What is new in 5.1?") == [("5.1.4", "4.2.16")]
    assert _named("What changed in the security policies?") == [
        ("5.1.4", "4.2.16"), ("4.2.16", "3.2.25")]


def test_versions_ordered_by_their_dates_and_years():
    passages = [_passage("travel-policy-2024.md", "Travel policy 2024", date="2024-01-15",
                         date_source="text"),
                _passage("travel-policy-2025.md", "Travel policy 2025", date="2025-01-20",
                         date_source="text"),
                _passage("travel-policy-2023.md", "Travel policy 2023", date="2023-01-10",
                         date_source="text")]
    pairs = versions.pairs(_input("What changed since 2023?", passages))
    assert [(passages[a - 1].doc_id, passages[b - 1].doc_id) for a, b, _ in pairs] == [
        ("travel-policy-2025.md", "travel-policy-2023.md")]


def test_a_series_is_the_title_and_the_file_name_but_for_their_numbers():
    pip = _passage("pip-release-process-24.2.rst", "Release process")
    old_pip = _passage("pip-release-process-20.3.4.rst", "Release process")
    django = _passage("django-release-process-5.1.4.txt", "Release process")
    assert versions.series_key(pip) == versions.series_key(old_pip) != ""
    assert versions.series_key(pip) != versions.series_key(django)  # another project's page
    assert versions.series_key(_passage("notes.txt", "Notes")) == ""  # a one-word title


def test_the_document_asked_of_is_the_one_whose_title_the_question_names():
    release = _passage("django-release-process-5.1.4.txt", "Django's release process")
    org = _passage("django-organization-4.2.16.txt", "Organization of the Django Project")
    org_old = _passage("django-organization-3.2.25.txt", "Organization of the Django Project")
    passages = [release, org, org_old]
    question = "What changed in the organization of the Django project?"
    assert versions.asked_document(passages, question, changes.words) == 1
    # a title the question does not name, or a document in one version: the best ranked
    assert versions.asked_document(passages, "What changed in the rules?", changes.words) == 0
    assert versions.asked_document([release, org], question, changes.words) == 0


@pytest.mark.parametrize("question, without", [
    ("What changed in the organization of the Django project between 4.2 and 5.1?",
     "What changed in the organization of the Django project?"),
    ("What changed in pip's release process since 20.3?", "What changed in pip's release process?"),
    ("What is new in version 3 of the handbook?", "What is new of the handbook?"),
    ("What changed in the travel policy since 2024?", "What changed in the travel policy?"),
    ("How has the meal allowance of 45 euros changed?",
     "How has the meal allowance of 45 euros changed?"),  # a figure is no version
])
def test_the_question_without_its_versions(question, without):
    assert versions.without_versions(question) == without


def test_headings_and_markup_of_restructured_text_are_no_statements():
    text = ("==========================\nDjango's security policies\n"
            "==========================\n\n.. _security-report-evaluation:\n\n"
            "How does Django evaluate a report\n=================================\n\n"
            ".. note::\n\n    A note the directive holds.\n\n"
            "These are criteria used by the security team when evaluating a report.\n\n"
            "``` bash\n$ pip install \"redis[hiredis]\"\n```\n")
    said = [" ".join(s.text.split()) for s in changes.statements(text)]
    assert said == ["These are criteria used by the security team when evaluating a report.",
                    "$ pip install \"redis[hiredis]\""]


def test_the_newest_version_of_a_series_holds_its_places():
    passages = [_passage("django-organization-3.2.25.txt", "Organization of the Django Project"),
                _passage("news-story.txt", "Border talks resume"),
                _passage("django-organization-5.1.4.txt", "Organization of the Django Project"),
                _passage("django-organization-3.2.25.txt", "Organization of the Django Project")]
    order = versions.newest_first(passages)
    assert [passages[i].doc_id for i in order] == [
        "django-organization-5.1.4.txt", "news-story.txt", "django-organization-3.2.25.txt",
        "django-organization-3.2.25.txt"]
    # a version of no known order keeps the series as ranked
    unknown = [passages[0], _passage("django-organization-draft.txt",
                                     "Organization of the Django Project")]
    assert versions.newest_first(unknown) == [0, 1]
