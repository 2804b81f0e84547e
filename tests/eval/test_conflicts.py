"""The conflicts evaluation (eval.conflicts, eval.edits): editing one value of a real passage,
and, through the real model and a real Chroma index in a temp dir, answers that name both
sides of an edited copy, cite each, and report no disagreement between unedited versions."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from eval.conflicts import build_cases, score_case, summarise, write_corpus
from eval.dataset import load_qa
from eval.edits import edited_value, replace_value, with_front_matter
from index.loaders import load_document
from rag.claims import conflict, names_conflict, value_of
from tests.helpers import make_settings

GOLD = Path(__file__).resolve().parents[2] / "eval" / "gold" / "sample_qa.jsonl"


@pytest.mark.parametrize("kind,answer", [
    ("count", "191,000"), ("count", "10,000"), ("percent", "70.1%"), ("money", "$15"),
    ("money", "$1.5 billion"), ("duration", "about two hours"), ("date", "May 27, 2023"),
    ("date", "December 27"), ("date", "2019"), ("age", "42"), ("quantity", "680 kilometres")])
def test_an_edited_value_is_of_its_kind_and_cannot_be_true_beside_the_original(kind, answer):
    for seed in range(5):
        new = edited_value(kind, answer, random.Random(seed))
        assert new is not None and new != answer
        old_value, new_value = value_of(kind, answer), value_of(kind, new)
        assert new_value is not None, new
        assert conflict(old_value, new_value), (answer, new)


def test_a_bound_is_not_edited():
    assert edited_value("duration", "more than two hours", random.Random(0)) is None


def test_names_are_swapped_for_another_name_and_editing_is_seeded():
    names = ["Antony Blinken", "Alejandro Mayorkas", "Blinken", "Joe Biden"]
    picks = {edited_value("person", "Antony Blinken", random.Random(7), names) for _ in range(3)}
    assert len(picks) == 1  # the seed fixes the choice
    (pick,) = picks
    assert pick in {"Alejandro Mayorkas", "Joe Biden"}  # never a name sharing a word
    assert names_conflict("Antony Blinken", pick)
    assert not names_conflict("Antony Blinken", "Anthony Blinken")
    assert edited_value("person", "Antony Blinken", random.Random(1), ["Blinken"]) is None


def test_replacing_a_value_touches_whole_figures_only():
    text = "Apprehensions rose to 191,000 in November (1,191,000 this year); 191,000.5 is no match."
    out, n = replace_value(text, "191,000", "250,000")
    assert n == 1 and out.startswith("Apprehensions rose to 250,000 in November (1,191,000")
    assert with_front_matter("Body.", "A title", "2024-03-01").startswith(
        "---\ntitle: A title\ndate: 2024-03-01\n---\n")


STATEMENT = ("Border Patrol reported that agents apprehended {n} migrants at the southern "
             "border in November, the agency said in its monthly update on Friday.")


def test_collapsed_versions_of_other_documents_ride_with_the_kept_passage():
    from index.types import Chunk
    from rag.fusion import Candidate, DuplicateRule, collapse_duplicates

    def cand(doc: str, n: str, date: str = "", text: str = "") -> Candidate:
        text = text or STATEMENT.format(n=n)
        return Candidate(Chunk(chunk_id=doc, doc_id=doc, doc_hash="h", title=doc, text=text,
                               start=0, end=len(text), index=0),
                         date=date, date_source="metadata" if date else "")

    old, new = cand("report.txt", "191,000", "2024-01-05"), \
        cand("report.edited.txt", "250,000", "2024-03-01")
    kept = collapse_duplicates([old, new, cand("other.txt", "", text="Unrelated text.")],
                               DuplicateRule())
    assert [c.chunk.doc_id for c in kept] == ["report.edited.txt", "other.txt"]
    assert [v.chunk.doc_id for v in kept[0].versions] == ["report.txt"]
    # past the top-k places, a version is still recorded beside the one it repeats
    first = cand("report.edited.txt", "250,000", "2024-03-01")
    kept = collapse_duplicates([first, cand("other.txt", "", text="Unrelated text."),
                                cand("report.copy.txt", "191,000")], DuplicateRule(), limit=2)
    assert [v.chunk.doc_id for v in kept[0].versions] == ["report.copy.txt"]


def test_the_same_statement_is_found_by_the_words_around_its_value():
    from rag.claims import rivals
    from rag.stages.sides import _aligned

    said = STATEMENT.format(n="191,000")
    s = said.index("191,000")
    e = s + len("191,000")
    before, after = said[s - 24:s], said[e:e + 24]
    other = "Headline.\n" + STATEMENT.format(n="250,000")
    (x, y), = _aligned(before, after, other)
    assert other[x:y] == "250,000"
    assert rivals("count", "191,000", after, "250,000", after)
    assert not rivals("count", "191,000", after, "191,000", after)
    assert list(_aligned(before, after, "Agents apprehended 250,000 migrants.")) == []
    assert rivals("person", "Liz Sherwood-Randall", "", "Lisa Monaco", "")
    assert not rivals("person", "Antony Blinken", "", "Anthony Blinken", "")


@pytest.fixture(scope="module")
def edited(tmp_path_factory, embedder, corpus_dir):
    """The sample corpus with edited copies of seeded gold cases, indexed for real."""
    from rag.factory import build_nlp, build_pipeline

    root = tmp_path_factory.mktemp("conflicts")
    items = load_qa(GOLD)
    docs = {d: load_document(corpus_dir / d, corpus_dir)
            for d in sorted({d for i in items for d in i.doc_ids})}
    cases, copies = build_cases(items, docs, build_nlp(), seed=25, limit=9)
    corpus = write_corpus(corpus_dir, root, copies)
    pipeline = build_pipeline(make_settings(root / "data"), embedder=embedder)
    assert not pipeline.ingest.sync(corpus).failed
    return pipeline, cases, copies


@pytest.mark.slow
def test_edited_copies_state_another_value_as_separate_dated_reports(edited):
    _, cases, copies = edited
    assert len(cases) == 9 and len(copies) == 9
    for case in cases:
        text = copies[case.copy_id]
        assert text.startswith("---\ntitle: ") and f"date: {case.copy_date}" in text
        assert replace_value(text, case.edited, case.edited)[1] >= 1
        assert replace_value(text, case.original, case.original)[1] == 0, case


@pytest.mark.slow
def test_answers_name_both_sides_of_an_edited_copy_and_cite_each(edited):
    pipeline, cases, _ = edited
    for case in cases:
        case.outcome = score_case(case, pipeline.answers.answer(case.question), None)
    summary = summarise(cases)
    assert summary["both_sides"] >= 0.5, summary  # 5 of 9 when written
    assert summary["edited_alone"] == 0.0, summary
    both = [c for c in cases if c.outcome["both_sides"]]
    for case in both:
        answer = pipeline.answers.answer(case.question)
        assert answer.answer.startswith("The sources disagree: ")
        by_n = {c.n: c for c in answer.citations}
        for side in answer.disagreement:
            cited = by_n[side.citation]
            assert cited.doc_id == side.doc_id
            document = pipeline.store.document_text(side.doc_id)
            assert document[side.start:side.end] == side.text
            assert any(sp.start <= side.start and side.end <= sp.end for sp in cited.spans)
        assert case.copy_id in {s.doc_id for s in answer.disagreement}


@pytest.mark.slow
def test_unedited_versions_of_a_story_report_no_disagreement(tmp_path, embedder, corpus_dir):
    """Every sample document and a re-issued copy of it (another id, title and date, the text
    unchanged): the gold questions report no disagreement."""
    from rag.factory import build_pipeline

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    for path in sorted(corpus.iterdir()):
        (corpus / f"{path.stem}.reissued.txt").write_text(
            with_front_matter(path.read_text(encoding="utf-8"), f"{path.stem} (re-issued)",
                              "2024-06-01"), encoding="utf-8")
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    assert not pipeline.ingest.sync(corpus).failed
    items = [i for i in load_qa(GOLD) if i.answerable]
    disagreed = [(i.id, pipeline.answers.answer(i.question).disagreement) for i in items]
    assert [d for d in disagreed if d[1]] == []
