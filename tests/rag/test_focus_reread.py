"""The focused re-read of the found document (rag/retrieval/focus.py): the question's focus is
its terms minus those naming the document (title, file name, opening, terms most chunks hold);
the document's chunk holding the focus goes right after the top passage, the count staying the
same; nothing is added for a question that only names the subject; and a chunk of a collection
the request cannot see is never added, even when the document search offers it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rag.factory import build_pipeline
from rag.retrieval import focus as focus_module
from rag.retrieval.focus import FocusHit, FocusRule, place
from rag.retrieval.reads import ReleaseReads
from rag.types import RetrievalFilters
from tests.helpers import make_settings

FILLER = ("The remote physiotherapy programme for knee osteoarthritis is delivered by video "
          "call. Patients with knee osteoarthritis practise the programme at home and the "
          "physiotherapist adjusts the knee exercises each week of the remote programme. ")
# the other sections repeat the subject: they, not the list asked for, match the question best
SUBJECT = ("This section of the remote physiotherapy study for knee osteoarthritis sets out what "
           "the study does. ")

PROTOCOL = "\n\n".join([
    "# Remote physiotherapy for knee osteoarthritis: a randomised study",
    "## Background\n\n" + SUBJECT + FILLER * 4,
    "## Design\n\n" + SUBJECT + FILLER * 4,
    "## Intervention\n\n" + SUBJECT + FILLER * 4,
    "## Outcomes\n\n" + SUBJECT + FILLER * 4,
    "## Exclusion criteria\n\nPeople are excluded from taking part when any of these holds:\n\n"
    "- a joint replacement planned within six months\n"
    "- a fall in the last year (the exclusion criteria of the national falls programme)\n"
    "- an injection into the joint in the last three months\n"
    "- no internet connection at home\n",
    "## Follow-up\n\n" + SUBJECT + FILLER * 4,
])

QUESTION = "What are the exclusion criteria of the remote physiotherapy knee osteoarthritis study?"


def _pipeline(root: Path, embedder, passages: int, collections: dict[str, str] | None = None,
              chunk_size: int = 64):
    settings = make_settings(root / "data", retrieval={"focus_passages": passages},
                             chunking={"chunk_size": chunk_size, "chunk_overlap": 8})
    pipeline = build_pipeline(settings, embedder=embedder)
    for name, text in (collections or {"default": PROTOCOL}).items():
        folder = root / name
        folder.mkdir()
        (folder / "knee-protocol.md").write_text(text)
        if name != "default":
            pipeline.store.collections.create(name)
        pipeline.ingest.sync(folder, collection=name)
    return pipeline


@pytest.fixture(scope="module")
def protocol(tmp_path_factory, embedder):
    return _pipeline(tmp_path_factory.mktemp("focus"), embedder, passages=1)


def _retrieve(pipeline, question: str, top_k: int, passages: int, filters=None):
    retriever = pipeline.retriever
    config = retriever.config
    retriever._config = dataclasses.replace(config, focus=dataclasses.replace(
        config.focus, passages=passages))
    try:
        vector = pipeline.embedder.embed([question])[0]
        return retriever.retrieve(question, vector, top_k, filters)
    finally:
        retriever._config = config


def _snapshot(pipeline):
    reads = ReleaseReads(pipeline.store, pipeline.store.release_id(), pipeline.keyword)
    assert reads.held is not None
    return reads.held


def test_the_focus_is_what_the_question_asks_beyond_naming_the_document(protocol):
    snapshot = _snapshot(protocol)
    top = next(c for c in snapshot.chunks if c.start == 0)
    assert focus_module.focus(snapshot, QUESTION, top, FocusRule()) == ["exclus", "criteria"]
    # a question naming only the subject has no focus
    assert focus_module.focus(snapshot, "What is the remote physiotherapy knee study?", top,
                              FocusRule()) == []


def test_the_asked_section_follows_the_top_passage(protocol):
    without = _retrieve(protocol, QUESTION, 2, passages=0)
    assert not any("no internet connection" in p.text for p in without)
    found = _retrieve(protocol, QUESTION, 2, passages=1)
    assert len(found) == 2
    assert found[0] == without[0]
    assert "no internet connection" in found[1].text
    assert found[1].doc_id == "knee-protocol.md" and found[1].score != 0.0


def test_a_question_naming_only_the_subject_adds_nothing(protocol):
    question = "How is the remote physiotherapy programme for knee osteoarthritis delivered?"
    assert _retrieve(protocol, question, 3, 1) == _retrieve(protocol, question, 3, 0)


def test_place_keeps_the_count():
    assert place(["a", "b", "c"], ["x"], 3) == ["a", "x", "b"]
    assert place([], ["x"], 3) == ["x"]
    assert place(["a"], [], 3) == ["a"]


def test_a_chunk_of_a_collection_the_request_cannot_see_is_never_added(tmp_path, embedder,
                                                                       monkeypatch):
    short = PROTOCOL.split("## Exclusion criteria")[0]
    pipeline = _pipeline(tmp_path, embedder, passages=1,
                         collections={"alpha": short, "beta": PROTOCOL})
    snapshot = _snapshot(pipeline)
    forbidden = [c for c in snapshot.chunks
                 if c.doc_id.startswith("beta::") and "no internet connection" in c.text]
    assert forbidden
    only_alpha = RetrievalFilters(collections=("alpha",))
    # the document search itself only reads the top document (alpha's): nothing of beta's
    found = _retrieve(pipeline, QUESTION, 3, 1, only_alpha)
    assert found and all(p.doc_id.startswith("alpha::") for p in found)
    # and were it to offer beta's chunk, the committed read's collection check drops it
    offered = []

    def leaky(snapshot, question, top, present, rule, limit):
        offered.append(top.doc_id)
        return ["exclus"], [FocusHit(forbidden[0], 5.0, 1.0)]

    monkeypatch.setattr("rag.retrieval.hybrid.reread", leaky)
    found = _retrieve(pipeline, QUESTION, 3, 1, only_alpha)
    assert offered and offered[0].startswith("alpha::")
    assert found and all(p.doc_id.startswith("alpha::") for p in found)
    # an all-collections request may see it
    everything = _retrieve(pipeline, QUESTION, 3, 1)
    assert any(p.chunk_id == forbidden[0].chunk_id for p in everything)


def test_the_focus_as_the_question_writes_it_goes_to_the_answer_shapes(protocol):
    snapshot = _snapshot(protocol)
    top = next(c for c in snapshot.chunks if c.start == 0)
    assert focus_module.focus_words(snapshot, QUESTION, top, FocusRule()) == ("exclusion",
                                                                               "criteria")
    passage = _retrieve(protocol, QUESTION, 1, passages=0)[0]
    assert protocol.retriever.focus(QUESTION, passage) == ("exclusion", "criteria")


def test_the_list_answer_is_the_asked_sections_items(tmp_path, embedder):
    # chunks that hold the list whole (a list cut by chunking is read in part: docs/retrieval.md)
    pipeline = _pipeline(tmp_path, embedder, passages=1, chunk_size=128)
    answer = pipeline.answers.answer(QUESTION)
    assert not answer.refused
    assert answer.shape is not None and answer.shape.kind == "list"
    assert [i.text for i in answer.shape.items] == [
        "a joint replacement planned within six months",
        "a fall in the last year (the exclusion criteria of the national falls programme)",
        "an injection into the joint in the last three months", "no internet connection at home"]
