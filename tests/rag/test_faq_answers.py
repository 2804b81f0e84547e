"""An FAQ's question is where its answer stands, not the answer (rag.sentences.asks,
rag.generators.extractive.answers_follow_questions, rag.selection, rag.shapes.explanation and
yes_no): the sentences after a run of asking sentences take the run's score, an asking sentence
loses some, the selector never opens the answer with one while a telling sentence is left, and
the shapes read past them. Over a real FAQ (XZ Utils', in the help_docs corpus), with the real
model and Chroma, the answer is the "A:" text, not the question restated."""

from __future__ import annotations

import shutil

import pytest

from rag.generators.extractive import (ASK_DECAY, ASK_PENALTY, ScoredSentence,
                                       answers_follow_questions)
from rag.sentences import asks
from tests.helpers import ROOT

XZ_FAQ = ROOT / "eval" / "corpora" / "help_docs" / "corpus" / "xz-faq.txt"


@pytest.mark.parametrize("text, asking", [
    ("Why does gzip give an error on a file I make with compress/deflate?", True),
    ("Q:  I told xz to use many threads but it is using only one or two cores.", True),
    ("Question: where are the logs kept.", True),
    ("Is (some part of) XZ Utils patented?\"", True),
    ("A:  Nothing. They are just two letters.", False),
    ("Quarterly figures rose by 3 %.", False),
])
def test_what_asks(text, asking):
    assert asks(text) is asking


def _s(text: str, passage: int, order: int, dense: float, lexical: float = 0.0):
    return ScoredSentence(text, passage, order, dense, lexical)


def test_the_answer_after_a_run_of_questions_takes_the_runs_score():
    scored = [_s("Q: I told xz to use many threads.", 1, 0, 0.80, 0.6),
              _s("What is wrong?", 1, 1, 0.70, 0.2),
              _s("A: The input file is too small for the block size.", 1, 2, 0.50, 0.1),
              _s("The default block size grows with the level.", 1, 3, 0.40, 0.0),
              _s("A third sentence of the answer stays as it was.", 1, 4, 0.30, 0.0),
              _s("The next passage's first sentence is not the answer.", 2, 5, 0.20, 0.0)]
    out = answers_follow_questions(scored)
    assert out[0].dense == pytest.approx(0.80 - ASK_PENALTY)
    assert out[1].dense == pytest.approx(0.70 - ASK_PENALTY)
    assert out[2].dense == pytest.approx(0.80) and out[2].lexical == pytest.approx(0.6)
    assert out[3].dense == pytest.approx(0.80 - ASK_DECAY)
    assert out[4] == scored[4] and out[5] == scored[5]
    assert max(out, key=lambda s: s.score).text.startswith("A: The input file")


def test_a_question_ending_its_passage_lends_nothing_to_the_next():
    scored = [_s("Who approves leave?", 1, 0, 0.9), _s("Leave is approved by managers.", 2, 1, 0.3)]
    out = answers_follow_questions(scored)
    assert out[1] == scored[1]


def test_text_without_questions_is_scored_as_before():
    scored = [_s("Leave is approved by managers.", 1, 0, 0.5, 0.5),
              _s("Forms are on the intranet.", 1, 1, 0.4, 0.2)]
    assert answers_follow_questions(scored) == scored


@pytest.mark.slow  # the real model and Chroma
def test_over_a_real_faq_the_answer_is_not_the_question_restated(tmp_path, embedder):
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(XZ_FAQ, corpus / XZ_FAQ.name)
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest.sync(corpus)
    answer = pipeline.answers.answer("What do the letters in the name XZ stand for?")
    assert not answer.refused
    assert "What do the letters XZ mean" not in answer.answer, answer.answer
    assert "just two letters" in answer.answer, answer.answer
    patents = pipeline.answers.answer("Is XZ Utils covered by any patents?")
    assert patents.shape is not None and patents.shape.kind == "yes_no"
    assert not any(asks(item.text) for item in patents.shape.items), patents.answer
    assert "not aware of any patents" in patents.answer, patents.answer
