"""A report's text as a PDF gives it, one line per printed line: the answer reads whole
sentences across the line breaks (rag.sentences.reflowed), with the real encoder, spaCy and a
real Chroma index."""

from __future__ import annotations

import pytest

from tests.helpers import SHARED, make_settings

pytestmark = pytest.mark.slow

REPORT = """ANNUAL PERFORMANCE REPORT
REDUCING THE BACKGROUND
INVESTIGATIONS INVENTORY
The National Background Investigations Bureau
(NBIB) reversed the trend of an increasing case
inventory, ending FY 2018 with approximately
650,000 cases, down from 708,000 at the
beginning of the fiscal year. To achieve
this, the bureau hired 400 investigators and
moved its case files to a paperless system.
RETIREMENT SERVICES
In FY 2018, the agency answered retirement phone
calls in an average of 6.7 minutes, well below
the target of twelve minutes set for the year.
"""

FAUCET = """Access faucet feasibility study
For each trial, we will record the time it took to complete the activity, including
caregiver time, and for each of the faucet trials, we will observe whether or not the system
turned on the water. Subjects will complete each activity of daily living three times using
their current method and three times using each control method of the faucet. This will
create a total of 12 trials for each activity and 24 trials total.
"""


@pytest.fixture(scope="module")
def wrapped(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    corpus = tmp_path_factory.mktemp("wrapped-corpus")
    (corpus / "performance-report-2018.txt").write_text(REPORT, encoding="utf-8")
    (corpus / "faucet-protocol.txt").write_text(FAUCET, encoding="utf-8")
    built = build_pipeline(make_settings(tmp_path_factory.mktemp("wrapped") / "data"),
                           embedder=embedder)
    built.ingest.sync(corpus)
    return built


def test_a_figure_stated_across_printed_lines_is_answered_with_its_sentence(wrapped):
    answer = wrapped.answers.answer(
        "How many cases were in the background investigation inventory at the end of FY 2018?")
    assert not answer.refused, answer.answer
    assert answer.short_answer is not None and answer.short_answer.text == "650,000", answer.answer
    # the sentence that states it, whole: begun two printed lines before the figure
    assert "The National Background Investigations Bureau (NBIB) reversed the trend" in \
        answer.answer, answer.answer


def test_a_count_is_read_from_a_further_sentence_when_the_best_has_none_by_the_question(wrapped):
    question = "How many trials in total does each subject complete in the faucet study?"
    answer = wrapped.answers.answer(question)
    assert not answer.refused, answer.answer
    short = answer.short_answer
    # the figure the counted noun follows, not "three" (times) of the best sentence
    assert short is not None and short.text == "24", answer.answer
    assert f"24 trials total. [{short.citation}]" in answer.answer, answer.answer


def test_a_further_sentence_of_a_real_protocol_gives_the_count_and_opens_the_answer(
        tmp_path_factory, embedder):
    # The shared trial protocol as a PDF: the sentences kept for the answer name no count of
    # trials; a further top sentence of the same document does, and is cited first.
    from rag.factory import build_pipeline

    pdf = SHARED / "benchmarks" / "trial_protocols" / "corpus" / "NCT06159946_Prot_000.pdf"
    corpus = tmp_path_factory.mktemp("protocol")
    (corpus / pdf.name).write_bytes(pdf.read_bytes())
    built = build_pipeline(make_settings(tmp_path_factory.mktemp("protocol-data") / "data"),
                           embedder=embedder)
    built.ingest.sync(corpus)
    answer = built.answers.answer(
        "How many trials in total does each subject complete in the Access-H2O faucet study?")
    short = answer.short_answer
    assert short is not None and short.text == "24", answer.answer
    assert answer.answer.startswith(f"24. [{short.citation}] This will create a total of 12 "
                                    f"trials for each ADL and 24 trials total."), answer.answer
