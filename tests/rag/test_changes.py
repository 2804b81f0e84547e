"""What changed between two versions of a document (rag.shapes.changes): the diff of their
statements, the question kind, and the whole answer path with the real encoder, spaCy and a
Chroma index over tests/rag/changes_corpus (a travel policy in three versions close enough to
be near-duplicates, an expenses handbook rewritten too much to be one, an office guide in one
version only)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.shapes import changes
from rag.shapes.kinds import question_kind
from tests.helpers import make_settings

CORPUS = Path(__file__).parent / "changes_corpus"
OLD = (CORPUS / "travel-policy-2024.md").read_text(encoding="utf-8")
NEW = (CORPUS / "travel-policy-2025.md").read_text(encoding="utf-8")


def test_changed_added_and_removed_statements_in_the_new_versions_order():
    found = changes.diff(OLD, NEW)
    assert [(c.kind, c.new and c.new.text.split()[0], c.old and c.old.text.split()[0])
            for c in found] == [("changed", "Staff", "Staff"), ("changed", "The", "The"),
                                ("changed", "Receipts", "Receipts"), ("added", "Train", None)]
    booking = found[0]
    assert "21 days" in booking.new.text and "14 days" in booking.old.text
    # offsets are the texts' own
    assert NEW[booking.new.start:booking.new.end] == booking.new.text
    assert OLD[booking.old.start:booking.old.end] == booking.old.text


def test_front_matter_and_headings_are_no_statements():
    texts = [s.text for s in changes.statements(NEW)]
    assert not any("date:" in t or t.startswith("#") for t in texts), texts
    assert changes.diff(NEW, NEW) == []


def test_a_rewritten_statement_is_one_removed_and_one_added():
    found = changes.diff("Claims go on the paper form EX-1 to the finance office.",
                         "Claims are filed in the Expenses app with a photo of each receipt.")
    assert [c.kind for c in found] == ["removed", "added"]


@given(st.lists(st.sampled_from(["The fee is 10 euros.", "Cards are issued to heads.",
                                 "Claims are due in 60 days.", "Staff book through the desk.",
                                 "Parking is on level two."]), max_size=5),
       st.lists(st.sampled_from(["The fee is 12 euros.", "Cards are issued to all staff.",
                                 "Claims are due in 60 days.", "Rail is preferred.",
                                 "Parking is on level two."]), max_size=5))
def test_every_statement_of_either_version_is_kept_or_accounted_for(old, new):
    a, b = "\n".join(old), "\n".join(new)
    found = changes.diff(a, b)
    # what the diff does not name is stated alike in both, as often
    kept_old = Counter(s.key for s in changes.statements(a)) - Counter(
        c.old.key for c in found if c.old)
    kept_new = Counter(s.key for s in changes.statements(b)) - Counter(
        c.new.key for c in found if c.new)
    assert kept_old == kept_new
    assert all(c.kind != "changed" or c.old.key != c.new.key for c in found)


@pytest.mark.parametrize("question, kind", [
    ("What changed in the travel policy since last year?", "changes"),
    ("What's new in the 2025 handbook?", "changes"),
    ("What are the main changes to the leave policy?", "changes"),
    ("What has changed in the expenses policy?", "changes"),
    ("List the changes in the travel policy.", "changes"),
    ("What is different about a held release?", "factoid"),
    ("What is the difference between the old and the new policy?", "comparison"),
    ("How has the meal allowance changed?", "trend"),
    ("What is the new meal allowance?", "factoid"),
    ("What was Django's technical board renamed to?", "changes"),
    ("What replaced the paper form EX-1?", "changes"),
    ("What was replaced from 1892 to 1938 with a new concrete span?", "factoid"),
])
def test_questions_asking_what_changed(nlp, question, kind):
    assert question_kind(question, nlp.question_tags(question)).kind == kind


@pytest.fixture(scope="module")
def nlp():
    from rag.question_typing import Nlp

    return Nlp()


@pytest.fixture(scope="module")
def policies(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    built = build_pipeline(make_settings(tmp_path_factory.mktemp("changes") / "data"),
                           embedder=embedder)
    built.ingest.sync(CORPUS)
    return built


def _pieces(pipeline, answer):
    """(label, cited document, text) of each shape item; each item's text is its document's
    own at its offsets."""
    out = []
    for item in answer.shape.items:
        cited = next(c for c in answer.citations if c.n == item.citation)
        text = pipeline.store.document_text(cited.doc_id)
        assert " ".join(text[item.start:item.end].split()) == item.text
        out.append((item.label, cited.doc_id, item.text))
    return out


@pytest.mark.slow
def test_what_changed_lists_each_change_cited_in_both_versions(policies):
    answer = policies.answers.answer("What changed in the travel policy since last year?")
    assert not answer.refused, answer.answer
    assert answer.shape.kind == "changes"
    assert answer.answer.startswith(
        "From Travel policy 2024 (2024-01-15) to Travel policy 2025 (2025-01-20): 4 changes.")
    pieces = _pieces(policies, answer)
    assert [(label, doc) for label, doc, _ in pieces[:2]] == [
        ("changed", "travel-policy-2025.md"), ("was", "travel-policy-2024.md")]
    assert "21 days" in pieces[0][2] and "14 days" in pieces[1][2]
    assert pieces[-1][:2] == ("added", "travel-policy-2025.md")
    assert "Train travel is preferred" in pieces[-1][2]


@pytest.mark.slow
def test_a_question_about_one_part_gets_that_parts_changes(policies):
    answer = policies.answers.answer("How has the meal allowance changed?")
    assert answer.shape.kind == "changes", answer.answer  # a trend without two figures
    texts = [text for _, _, text in _pieces(policies, answer)]
    assert any("50 euros" in t for t in texts) and any("45 euros" in t for t in texts)
    assert not any("days before departure" in t for t in texts)


@pytest.mark.slow
def test_a_version_rewritten_beyond_a_near_duplicate_is_read_by_its_title(policies):
    answer = policies.answers.answer("What changed in the expenses handbook since last year?")
    assert answer.shape.kind == "changes", answer.answer
    pieces = _pieces(policies, answer)
    assert {doc for _, doc, _ in pieces} == {"expenses-handbook-2024.md",
                                              "expenses-handbook-2023.md"}
    assert ("changed", "expenses-handbook-2024.md",
            "Claims must be submitted within 60 days of the expense.") in pieces
    assert ("removed", "expenses-handbook-2023.md",
            "Claims are submitted on the paper form EX-1 and handed to the finance office.") \
        in pieces


@pytest.mark.slow
def test_a_trend_question_over_two_series_gets_the_changes_of_one(policies):
    """"The approval of claims" has a figure in the expenses handbook (1,000 euros) and a claim
    figure in the travel policy (20 euros): two series, no trend. The handbook's versions say
    how approval changed: the changes of approval and claims, not those of claims alone."""
    answer = policies.answers.answer("How has the approval of claims changed?")
    assert answer.shape.kind == "changes", answer.answer
    pieces = _pieces(policies, answer)
    assert {doc for _, doc, _ in pieces} == {"expenses-handbook-2024.md",
                                              "expenses-handbook-2023.md"}
    texts = [text for _, _, text in pieces]
    assert "Every claim is approved by the line manager." in texts
    assert any("1,000 euros" in t for t in texts)
    assert not any("60 days" in t for t in texts)  # of claims, not of their approval


def test_changes_of_the_most_words_asked_about():
    def change(text):
        return changes.Change("added", changes.Statement(text, 0, len(text)), None)

    found = [change("Claims are paid monthly."), change("Every claim is approved by a manager."),
             change("Approval of claims over 500 euros needs the director.")]
    assert changes.about_part(found, changes.words("approval claims")) == found[1:]
    assert changes.about_part(found, changes.words("parking")) == []
    # more than half of the words: "claims" alone is not "the code of claims"
    assert changes.about_part(found, changes.words("code claims")) == []


@pytest.mark.slow
def test_a_document_in_one_version_gives_no_changes(policies):
    answer = policies.answers.answer("What's new in the office guide?")
    assert answer.shape is None or answer.shape.kind != "changes" or not answer.shape.items


def test_two_tellings_of_one_story_are_no_versions_of_one_text():
    """The sample corpus's two reports of one meeting (near-duplicates, one with transcript
    errors) share no statement: their diff would list every sentence, so it is not given."""
    from tests.helpers import CORPUS as SAMPLE

    a = (SAMPLE / "002_696000928d11651b.txt").read_text(encoding="utf-8")
    b = (SAMPLE / "004_e904c1ee689fa2a3.txt").read_text(encoding="utf-8")
    assert changes.compared(a, b)[1] < changes.VERSIONS
    assert changes.compared(OLD, NEW)[1] >= changes.VERSIONS


@pytest.fixture(scope="module")
def readmes(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    from tests.helpers import ROOT

    built = build_pipeline(make_settings(tmp_path_factory.mktemp("versions") / "data"),
                           embedder=embedder)
    built.ingest.sync(ROOT / "eval" / "corpora" / "versions" / "corpus")
    return built


@pytest.mark.slow
def test_the_versions_gold_set_over_real_readmes(readmes):
    """eval/gold/versions_qa.jsonl (two releases of two real READMEs, versions in the file
    names, no dates): each "what changed" question's answer lists a change holding its gold,
    cited in both versions; a question over a document in one version is refused, saying so."""
    from eval.dataset import load_qa
    from eval.metrics import contains_gold
    from tests.helpers import ROOT

    for item in load_qa(ROOT / "eval" / "gold" / "versions_qa.jsonl"):
        answer = readmes.answers.answer(item.question)
        if not item.answerable:
            assert answer.refused, (item.id, answer.answer)
            continue
        assert not answer.refused and contains_gold(answer.answer, item.answers), \
            (item.id, answer.answer)
        if item.extra.get("kind") == "changes":
            assert answer.shape.kind == "changes", item.id
            assert answer.answer.startswith("From "), item.id  # the order read from versions
    one = readmes.answers.answer("What's new in the xz FAQ?")
    assert one.refused and one.refusal is not None and one.refusal.reason == "versions"
