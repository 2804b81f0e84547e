"""Regression tests for what schema fuzzing (tests/test_fuzz_api.py) found, over real HTTP."""

from __future__ import annotations

import httpx
import pytest

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def error_of(r: httpx.Response) -> dict:
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    return body["error"]


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("OPTIONS", "/v1/documents", {"GET", "POST"}),
    ("PUT", "/v1/documents/a/b.txt", {"GET", "DELETE"}),
    ("GET", "/v1/ask", {"POST"}),
])
def test_405_names_every_method_of_the_path(live_server, method, path, allowed):
    r = httpx.request(method, f"{live_server.url}{path}", timeout=30)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
    assert error_of(r)["type"] == "HTTPError"


def test_body_that_is_not_utf8_is_a_422_that_says_so(live_server):
    r = httpx.post(f"{live_server.url}/v1/feedback", content=b"\xff\xfe{\x80}",
                   headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 422
    assert "UTF-8 JSON" in error_of(r)["message"]


def test_malformed_json_says_where(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask", content=b'{"question": "x",}',
                   headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 422
    message = error_of(r)["message"]
    assert "not valid JSON" in message and "at character 17" in message


@pytest.mark.parametrize("value", [0, 1.5e9, "1700000000", True, "2024-1-1"])
def test_filter_dates_must_be_iso_text(live_server, value):
    body = {"question": NOVEMBER, "filters": {"indexed_after": value}}
    r = httpx.post(f"{live_server.url}/v1/ask", json=body, timeout=30)
    assert r.status_code == 422
    assert "filters.indexed_after" in error_of(r)["message"]


@pytest.mark.parametrize("value", ["2000-01-01", "2000-01-01T00:00:00Z", " 2000-01-01 "])
def test_filter_dates_as_dates_and_date_times(live_server, value):
    body = {"question": NOVEMBER, "filters": {"indexed_after": value}}
    r = httpx.post(f"{live_server.url}/v1/ask", json=body, timeout=60)
    assert r.status_code == 200 and "191,000" in r.json()["answer"]


def test_schema_documents_each_media_type(live_server):
    paths = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()["paths"]
    chat = paths["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "text/event-stream"} <= set(chat)
    page = paths["/v1/eval/latest.html"]["get"]["responses"]
    assert set(page["404"]["content"]) == {"application/json"}
    assert set(page["200"]["content"]) == {"text/html"}
    r = httpx.get(f"{live_server.url}/v1/eval/latest.html", timeout=30)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
