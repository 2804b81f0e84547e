"""A question naming a year is answered from the document of that year (rag/time_scope.py).

Five yearly reports of one agency, written from one template: every report states the same
measures, each its own year's figures. Without the time scope, which year's report comes first
is the encoder's coin toss; with it, the report on the asked year is cited and its figure stated.
Real parts: the bundled encoder, Chroma in a temp dir, the full answer pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_settings

pytestmark = pytest.mark.slow

FIGURES = {2015: ("70.1", "108"), 2016: ("62.4", "115"), 2017: ("57.3", "121"),
           2018: ("66.0", "97"), 2019: ("74.8", "88")}


# Between the cover and the figures, so the chunks stating the figures do not state the year:
# only the document's own period (and its series) can tell the reports apart there.
MISSION = "".join(
    f"Mission {n}\n\nThe office {verb} the federal workforce through {what}. Its staff "
    "work with agencies across the country, publish guidance, answer questions from the "
    "public and keep records of every case they handle, from the first letter to the last.\n\n"
    for n, (verb, what) in enumerate([("serves", "recruitment"), ("supports", "training"),
                                      ("advises", "benefits policy"), ("guides", "pay reform"),
                                      ("assists", "retirement planning")], start=1))


def _report(year: int) -> str:
    claims, days = FIGURES[year]
    return ("United States Office of Records Management\nAnnual Performance Report\n"
            f"Fiscal Year {year}\n\n" + MISSION +
            "Retirement Services\n\n"
            f"The office processed {claims} percent of retirement claims within 60 days. "
            "Claims adjudicators continued to use a checklist to reduce errors.\n\n"
            "Background Investigations\n\n"
            f"Initial secret investigations took {days} days on average for the fastest 90 "
            "percent of cases. Investigators were hired to reduce the backlog.\n")


@pytest.fixture(scope="module")
def reports(tmp_path_factory, embedder):
    from rag.factory import build_pipeline

    root = tmp_path_factory.mktemp("yearly")
    corpus = root / "corpus"
    corpus.mkdir()
    for year in FIGURES:
        (corpus / f"report-{year}.txt").write_text(_report(year))
    pipeline = build_pipeline(make_settings(root / "data"), embedder=embedder)
    pipeline.ingest.sync(corpus)
    return pipeline


@pytest.mark.parametrize("year", sorted(FIGURES))
def test_the_asked_year_s_report_is_cited_and_its_figure_stated(reports, year: int) -> None:
    claims, days = FIGURES[year]
    answer = reports.answers.answer(
        f"What percent of retirement claims were processed within 60 days in FY {year}?")
    assert not answer.refused, answer.answer
    assert answer.citations[0].doc_id == f"report-{year}.txt", answer.citations
    assert claims in answer.answer, answer.answer
    # The passage holding the figure does not name the year: the report's period chose it.
    asked = reports.answers.answer(
        f"In fiscal year {year}, how many days did initial secret investigations take?")
    first = asked.retrieved[0]
    assert first.doc_id == f"report-{year}.txt" and days in first.text
    assert str(year) not in first.text


def test_each_document_records_the_period_it_covers(reports) -> None:
    records = reports.ingest.store.documents()
    assert {doc_id: (r.extra.get("period"), r.extra.get("series"))
            for doc_id, r in records.items()} == {
        f"report-{y}.txt": ([y, y], "office of records management") for y in FIGURES}


QUESTION = "What percent of retirement claims were processed within 60 days in FY 2016?"


def test_an_index_written_before_periods_gets_them_when_opened(reports, tmp_path,
                                                              embedder) -> None:
    """A copy of the index whose records lost their periods, and whose release replica was
    built from those records (as an index and replica written before periods were kept):
    opening it gives the records their periods back, the replica is rebuilt from them, and
    the asked year's report is cited again."""
    import json
    import shutil

    from index.store import make_client
    from index.store.records import PERIODS_STEP
    from rag.factory import build_pipeline

    copy = tmp_path / "data"
    shutil.copytree(reports.settings.data_dir, copy)
    client = make_client("embedded", copy)
    docs = client.get_collection("documents__docs", embedding_function=None)
    page = docs.get(where={"kind": "version"}, include=["metadatas"])
    docs.update(ids=page["ids"], metadatas=[
        {"extra": json.dumps({k: v for k, v in json.loads(m["extra"]).items()
                              if k not in ("period", "series")})}
        for m in page["metadatas"]])
    shutil.rmtree(copy / "keyword", ignore_errors=True)
    old = build_pipeline(make_settings(copy), embedder=embedder)  # marker still there
    assert all("period" not in r.extra and "series" not in r.extra
               for r in old.ingest.store.documents().values())
    old.answers.answer(QUESTION)  # the replica is built from the records without periods
    del old
    client.get_collection("documents__collections", embedding_function=None).delete(
        ids=["__schema__" + PERIODS_STEP])
    again = build_pipeline(make_settings(copy), embedder=embedder)
    assert again.ingest.store.collections.migrated(PERIODS_STEP)
    assert {d: (r.extra.get("period"), r.extra.get("series"))
            for d, r in again.ingest.store.documents().items()} == {
        f"report-{y}.txt": ([y, y], "office of records management") for y in FIGURES}
    answer = again.answers.answer(QUESTION)
    assert answer.citations and answer.citations[0].doc_id == "report-2016.txt", answer.answer
    assert "62.4" in answer.answer


def test_a_record_given_its_period_is_a_new_version_for_the_release_replica(reports) -> None:
    """The replica (index/replica.py) rebuilds a snapshot whose records' versions differ from
    the store's: a period added by the migration must count, or the replica would go on
    serving the records without it."""
    import dataclasses

    from index.snapshot import record_version

    record = reports.ingest.store.documents()["report-2015.txt"]
    without = dataclasses.replace(record, extra={k: v for k, v in record.extra.items()
                                                 if k != "period"})
    assert record_version(record) != record_version(without)


def test_a_year_no_document_speaks_of_is_refused_as_no_answer_for_that_period(reports) -> None:
    answer = reports.answers.answer("What percent of retirement claims were processed within "
                                    "60 days in FY 2011?")
    assert answer.refused and not answer.citations
    assert answer.refusal is not None and answer.refusal.reason == "period"
    assert answer.refusal.detail == "2011" and "no answer for 2011" in answer.answer
    body = answer.to_public()
    assert body["refusal"] == {"reason": "period", "detail": "2011"}


def test_the_api_says_which_period_has_no_answer(reports) -> None:
    import httpx

    from service.app import create_app
    from tests.helpers import LiveServer

    with LiveServer(create_app(reports.settings, reports)) as server:
        r = httpx.post(f"{server.url}/v1/ask", timeout=60, json={
            "question": "How many days did initial secret investigations take in FY 2011?"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["refused"] and body["refusal"] == {"reason": "period", "detail": "2011"}
        r = httpx.post(f"{server.url}/v1/ask", timeout=60, json={
            "question": "What percent of retirement claims were processed within 60 days in "
                        "FY 2018?"})
        assert r.status_code == 200 and r.json()["refusal"] is None
        assert "66.0" in r.json()["answer"]
