"""Metadata filters: parsing, matching, and their use through the CLI and the real HTTP API."""

import json

import httpx
import pytest

from index.errors import InputError
from index.store import DocumentRecord
from rag.filters import allowed_documents, matches, parse_cli_filters, parse_time
from rag.types import RetrievalFilters
from tests.helpers import run_cli as rag

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
COPY = "004_e904c1ee689fa2a3.txt"


def record(doc_id: str, title: str = "", mtime: float = 0.0, indexed_at: float = 0.0,
           source: str = "") -> DocumentRecord:
    return DocumentRecord(doc_id=doc_id, content_hash="h", title=title, source_path=source,
                          mtime=mtime, chunk_count=1, char_count=1, format="text",
                          indexed_at=indexed_at)


def test_cli_filters_parse_into_typed_filters():
    f = parse_cli_filters(["doc_id=a.txt", "doc_id=b.txt", "path=reports/", "title=Budget",
                           "modified_after=2024-01-01", "indexed_before=2024-02-01T12:00:00Z"])
    assert f == RetrievalFilters(doc_ids=("a.txt", "b.txt"), path_prefix="reports/",
                                 title="Budget", modified_after=1704067200.0,
                                 indexed_before=1706788800.0)
    assert parse_cli_filters([]) is None


@pytest.mark.parametrize("items, message", [
    (["colour=red"], "unknown key 'colour'"),
    (["path"], "KEY=VALUE"),
    (["title="], "KEY=VALUE"),
    (["modified_after=yesterday"], "is not a date"),
    (["modified_after=2024-02-01", "modified_before=2024-01-01"], "must be earlier"),
])
def test_bad_cli_filters_say_what_is_wrong(items, message):
    with pytest.raises(InputError, match=message):
        parse_cli_filters(items)


def test_conditions_are_anded():
    docs = {d.doc_id: d for d in [
        record("reports/2024/q1.txt", "Budget Q1", mtime=parse_time("2024-04-02", "m")),
        record("reports/2023/q4.txt", "Budget Q4", mtime=parse_time("2024-01-05", "m")),
        record("notes/budget.txt", "Notes on the budget", mtime=parse_time("2024-04-03", "m"),
               source="/srv/docs/notes/budget.txt"),
    ]}
    f = RetrievalFilters(path_prefix="reports/", title="budget",
                         modified_after=parse_time("2024-03-01", "m"))
    assert allowed_documents(f, docs) == {"reports/2024/q1.txt"}
    assert allowed_documents(RetrievalFilters(path_prefix="/srv/docs/"), docs) == \
        {"notes/budget.txt"}
    assert allowed_documents(RetrievalFilters(), docs) is None  # no filter at all
    assert not matches(RetrievalFilters(doc_ids=("x",)), docs["notes/budget.txt"])


def test_api_filters_restrict_the_citations(live_server):
    body = {"question": NOVEMBER, "filters": {"doc_ids": [COPY]}}
    r = httpx.post(f"{live_server.url}/v1/ask", json=body, timeout=60)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert not answer["refused"] and "191,000" in answer["answer"]
    assert {c["doc_id"] for c in answer["citations"]} == {COPY}

    body = {"question": NOVEMBER, "filters": {"modified_after": "2999-01-01"}}
    r = httpx.post(f"{live_server.url}/v1/ask", json=body, timeout=60)
    assert r.status_code == 200 and r.json()["refused"] and r.json()["citations"] == []


@pytest.mark.parametrize("filters, message", [
    ({"colour": "red"}, "filters.colour"),
    ({"modified_after": "yesterday"}, "filters.modified_after"),
    ({"doc_ids": "a.txt"}, "filters.doc_ids"),
    ({"indexed_after": "2024-02-01", "indexed_before": "2024-01-01"}, "must be earlier"),
])
def test_api_rejects_bad_filters_with_422(live_server, filters, message):
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER, "filters": filters},
                   timeout=60)
    assert r.status_code == 422
    assert message in r.json()["error"]["message"]


def test_cli_filter_errors_exit_2(tmp_path):
    r = rag("ask", NOVEMBER, "--filter", "colour=red", data_dir=tmp_path / "d",
            netlog=tmp_path / "net.txt")
    assert r.returncode == 2 and "unknown key 'colour'" in r.stderr


def test_chat_completions_take_the_same_filters(live_server):
    messages = [{"role": "user", "content": NOVEMBER}]
    for stream in (False, True):
        r = httpx.post(f"{live_server.url}/v1/chat/completions", timeout=60, json={
            "messages": messages, "stream": stream, "filters": {"doc_ids": [COPY]}, "top_k": 3})
        assert r.status_code == 200, r.text
        if stream:
            last = json.loads([ln[6:] for ln in r.text.split("\n\n")
                               if ln.startswith("data: {")][-1])
        else:
            last = r.json()
        assert not last["refused"] and {c["doc_id"] for c in last["citations"]} == {COPY}
    r = httpx.post(f"{live_server.url}/v1/chat/completions", timeout=60, json={
        "messages": messages, "filters": {"modified_after": "2999-01-01"}})
    assert r.status_code == 200 and r.json()["refused"] and r.json()["citations"] == []
    r = httpx.post(f"{live_server.url}/v1/chat/completions", timeout=60, json={
        "messages": messages, "filters": {"colour": "red"}})
    assert r.status_code == 422 and "filters.colour" in r.json()["error"]["message"]
