"""A trend question answered from a spreadsheet's row, one cited cell a year, through the full
pipeline (real encoder, spaCy, Chroma in a temp dir): results, never the target; a measure the
table does not hold is still refused (the gate's trend exception needs the measure's row)."""

from __future__ import annotations

import pytest

from tests.helpers import make_settings

pytestmark = pytest.mark.slow

TABLE = """Measure,FY 2019 Results,FY 2020 Results,FY 2021 Results,FY 2022 Results,FY 2022 Target
Average minutes to answer help desk calls,6.6,6.3,12.4,31.02,5
Percent of laptops replaced within five days,91%,88%,79%,83%,90%
Number of security trainings delivered,14,22,30,41,35
"""
NOTE = """# Service desk notes

The service desk moved to a new ticketing system in 2021. Staff were asked to file requests
through the portal rather than by phone, and the phone line closed at weekends.
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    corpus = tmp_path_factory.mktemp("trend-corpus")
    (corpus / "service-measures.csv").write_text(TABLE)
    (corpus / "notes.md").write_text(NOTE)
    data = tmp_path_factory.mktemp("trend") / "data"
    built = build_pipeline(make_settings(data), embedder=embedder)
    built.ingest.sync(corpus)
    built.data_dir = data  # type: ignore[attr-defined]
    return built


def test_a_trend_reads_the_rows_cells_in_year_order(pipeline):
    answer = pipeline.answers.answer(
        "How did the average minutes to answer help desk calls change from FY 2019 to FY 2022?")
    assert not answer.refused and answer.shape.kind == "trend"
    rows = answer.shape.table["rows"]
    assert [(r[0], r[1]) for r in rows] == [("FY 2019", "6.6"), ("FY 2020", "6.3"),
                                             ("FY 2021", "12.4"), ("FY 2022", "31.02")]
    assert answer.shape.note == "It rose from 6.6 in FY 2019 to 31.02 in FY 2022."
    for item in answer.shape.items:  # each figure cited as its cell of the spreadsheet's row
        c = next(c for c in answer.citations if c.n == item.citation)
        assert c.doc_id == "service-measures.csv"
        assert pipeline.store.document_text(c.doc_id)[item.start:item.end] == item.text
        assert item.text.endswith(rows[answer.shape.items.index(item)][1])


def test_a_measure_the_table_lacks_is_refused(pipeline):
    answer = pipeline.answers.answer(
        "How did the average days to approve travel claims change from FY 2019 to FY 2022?")
    assert answer.refused


def test_with_shapes_off_the_answer_is_its_sentences(pipeline, embedder):
    from rag.factory import build_pipeline

    plain = build_pipeline(make_settings(pipeline.data_dir, generator={"shapes": False}),
                           embedder=embedder)
    question = ("How did the average minutes to answer help desk calls change from FY 2019 to "
                "FY 2022?")
    answer = plain.answers.answer(question)
    assert answer.shape is None  # no shape stage, and no exception to the gate for trends
    if not answer.refused:
        assert "It rose from" not in answer.answer
