"""A count question's figure stated in another section of the document the evidence comes from
(rag.answerability.counted_figure; rag.stages.short_answer reads it): "How many patients will be
enrolled in the trial of ...?" finds sentences describing the trial first, and "A total of 38
patients will be enrolled." under "4.1 Number of Cases". Unit tests of the check, and the real
pipeline (bundled encoder, spaCy, Chroma in a temp dir) over a shared trial protocol PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answerability import counted_figure
from rag.question_typing import AnswerType
from rag.types import Passage

PROTOCOL = (Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" /
            "trial_protocols" / "corpus" / "NCT06149832_Prot_000.pdf")


def _passages(*texts: str) -> list[Passage]:
    return [Passage(f"c{i}", "protocol.pdf", "Protocol", t, 0, len(t), 0.5)
            for i, t in enumerate(texts)]


def test_a_figure_the_counted_noun_follows_counts():
    patients = AnswerType("count", focus="patients")
    assert counted_figure(patients, _passages("Aims of the study.",
                                              "4.1 Number of Cases\nA total of 38 patients "
                                              "will be enrolled."))
    assert counted_figure(patients, _passages("We will enrol 38 adult patients."))  # 3 words
    # a PDF line may break between the figure and its noun
    shore = AnswerType("quantity", focus="miles")
    assert counted_figure(shore, _passages("nearly 6,000 miles of land border and\n95,000 "
                                           "miles of shoreline"))


def test_a_year_another_noun_or_no_noun_does_not_count():
    patients = AnswerType("count", focus="patients")
    assert not counted_figure(patients, _passages("In 2019 patients were first treated."))
    assert not counted_figure(patients, _passages("There were 38 adverse events."))
    assert not counted_figure(patients, _passages("Patients: see section 38. Those patients"))
    assert not counted_figure(patients, _passages("38.\n\nPatients were seen weekly."))
    assert not counted_figure(AnswerType("count"), _passages("38 patients"))  # no noun asked
    assert not counted_figure(AnswerType("person"), _passages("38 patients"))


@pytest.mark.slow
@pytest.mark.skipif(not PROTOCOL.exists(), reason="shared corpus not present")
def test_the_enrolment_figure_of_a_protocol_answers(tmp_path: Path, embedder):
    from rag.factory import build_pipeline
    from tests.helpers import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / PROTOCOL.name).write_bytes(PROTOCOL.read_bytes())
    pipeline = build_pipeline(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest.sync(corpus)
    answer = pipeline.answers.answer(
        "How many patients will be enrolled in the trial of umbilical cord mesenchymal stem "
        "cell dressings for oral chronic graft-versus-host disease?")
    assert not answer.refused
    assert answer.short_answer is not None and answer.short_answer.text == "38"
    assert "A total of 38 patients will be enrolled." in answer.answer
