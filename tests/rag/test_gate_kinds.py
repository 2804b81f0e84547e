"""The refusal gate judges each kind of question by what it needs (rag.kind_needs): a procedure
question whose section gives the steps is answered though no short span answers it; a "when"
question whose evidence holds no date is refused by the gate with ``date_missing`` among its
hard flags (the flag ``python -m fitting.cross_set`` chooses on every set; the shipped weights
keep today's list, see docs/evaluation.md, and still answer it). Real parts: the bundled
encoder, spaCy, Chroma in a temp dir, the full answer pipeline over the help-centre corpus of
tests/rag/shape_corpus."""

from __future__ import annotations


import pytest

from rag.answerability import FEATURES, features

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def pipeline(shape_pipeline):
    return shape_pipeline


def _row(pipeline, question: str) -> dict[str, float]:
    from rag.factory import build_nlp

    ev = pipeline.answers.evidence(question, [], None)
    return dict(zip(FEATURES, features(ev.standalone, ev.sentences, ev.passages,
                                       pipeline.keyword.terms, pipeline.keyword.idf,
                                       build_nlp())))


def test_a_procedure_whose_section_gives_the_steps_is_answered(pipeline):
    question = "How do I set up the VPN on my laptop?"
    row = _row(pipeline, question)
    assert row["open_kind"] == 1.0 and row["steps_given"] == 1.0
    answer = pipeline.answers.answer(question)
    assert not answer.refused and answer.shape is not None and answer.shape.kind == "procedure"


def test_a_when_question_whose_evidence_holds_no_date_is_refused(pipeline):
    from rag.answerability import DEFAULT_WEIGHTS, ModelGate, load_weights
    from rag.factory import build_nlp
    from rag.linear import LinearModel

    question = "When was the Pulse Secure client first installed on staff laptops?"
    row = _row(pipeline, question)
    assert row["date_missing"] == 1.0 and row["open_kind"] == 0.0
    shipped = load_weights(DEFAULT_WEIGHTS)
    per_kind = LinearModel(shipped.names, shipped.mean, shipped.scale, shipped.coef,
                           shipped.bias, {**shipped.extra, "hard": ["date_missing"]})
    ev = pipeline.answers.evidence(question, [], None)
    gate = ModelGate(per_kind, shipped.extra["threshold"], pipeline.keyword.terms,
                     pipeline.keyword.idf, build_nlp())
    assert gate.score(ev.standalone, ev.sentences, ev.passages) < gate.threshold
    # today's list (figure_missing only) leaves it to the model, which answers it
    today = ModelGate(shipped, shipped.extra["threshold"], pipeline.keyword.terms,
                      pipeline.keyword.idf, build_nlp())
    assert today.score(ev.standalone, ev.sentences, ev.passages) >= today.threshold
    # a "when" question whose evidence states a date is not held by the flag
    assert _row(pipeline, "When do passwords expire?")["date_missing"] == 0.0
