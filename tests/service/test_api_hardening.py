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


def test_unpaired_surrogates_and_control_characters_are_422s(live_server):
    def post(path: str, body: str) -> httpx.Response:
        return httpx.post(f"{live_server.url}{path}", timeout=30,
                          content=body.encode("utf-8", "surrogatepass"),
                          headers={"content-type": "application/json"})

    r = post("/v1/chat/completions", '{"messages": [{"role": "user", "content": "why \\ud800?"}]}')
    assert r.status_code == 422 and "unpaired surrogate (U+D800)" in error_of(r)["message"]
    history = '[{"role": "user", "content": "\\udc00 November"}]'
    for path in ("/v1/ask", "/v1/ask/stream"):
        r = post(path, '{"question": "and in October?", "history": %s}' % history)
        assert r.status_code == 422, r.text
        assert "history turn 0 holds an unpaired surrogate" in error_of(r)["message"]
    r = post("/v1/ask", '{"question": "what\\u0000 is it?"}')
    assert r.status_code == 422 and "control character (U+0000)" in error_of(r)["message"]
    r = post("/v1/ask", '{"question": "what?", "filters": {"path_prefix": "a\\u0007"}}')
    assert r.status_code == 422 and "filters.path_prefix" in error_of(r)["message"]
    r = post("/v1/feedback", '{"answer_id": "abc", "rating": "up", "comment": "\\ud83d"}')
    assert r.status_code == 422 and "comment" in error_of(r)["message"]


ADMIN_KEY = "hardening-admin-key-0123456789"
ADMIN = {"X-API-Key": ADMIN_KEY}


@pytest.fixture(scope="module")
def uploads(tmp_path_factory, embedder, corpus_dir):
    """A server of its own (uploads change its index), with an admin key and small limits."""
    from rag.factory import build_pipeline
    from service.app import create_app
    from tests.helpers import LiveServer, make_settings

    settings = make_settings(tmp_path_factory.mktemp("hardening") / "data",
                             server={"admin_api_key": ADMIN_KEY, "max_upload_files": 2})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir / "004_e904c1ee689fa2a3.txt")
    with LiveServer(create_app(settings, pipeline)) as server:
        yield server


def doc_ids(server) -> list[str]:
    page = httpx.get(f"{server.url}/v1/documents", timeout=30).json()
    return [d["doc_id"] for d in page["documents"]]


def test_upload_with_a_file_name_too_long_for_the_file_system(uploads):
    name = "minutes-" + "x" * 300 + ".txt"
    files = [("files", (name, b"The board meets on the first Monday of each month.", "text/plain"))]
    r = httpx.post(f"{uploads.url}/v1/documents", files=files, headers=ADMIN, timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["files"][0] == {"doc_id": name, "filename": name, "status": "added",
                                    "reason": None, "attachments": []}
    doc = httpx.get(f"{uploads.url}/v1/documents/{name}", timeout=30).json()
    assert doc["text"].startswith("The board meets")


@pytest.mark.parametrize("name", [".", "dir/", "a//b.txt", "./a.txt", "a/./b.txt", "x\x7f.txt"])
def test_upload_refuses_ids_that_are_not_plain_relative_paths(uploads, name):
    before = doc_ids(uploads)
    files = [("files", ("ok.txt", b"The canteen closes at 3 pm.", "text/plain"))]
    r = httpx.post(f"{uploads.url}/v1/documents", files=files, data={"path": name},
                   headers=ADMIN, timeout=60)
    assert r.status_code == 422 and error_of(r)["type"] == "InvalidDocumentId"
    assert doc_ids(uploads) == before


def test_upload_refuses_one_id_twice(uploads):
    before = doc_ids(uploads)
    files = [("files", ("d.txt", b"The gym opens at 6 am.", "text/plain")),
             ("files", ("d.txt", b"The gym opens at 7 am.", "text/plain"))]
    r = httpx.post(f"{uploads.url}/v1/documents", files=files, headers=ADMIN, timeout=60)
    assert r.status_code == 422 and "'d.txt' is sent twice" in error_of(r)["message"]
    assert doc_ids(uploads) == before


def test_upload_multipart_errors_are_clear(uploads):
    r = httpx.post(f"{uploads.url}/v1/documents", content=b"garbage", timeout=30,
                   headers={**ADMIN, "content-type": "multipart/form-data"})
    assert r.status_code == 422 and "multipart body could not be read" in error_of(r)["message"]
    files = [("files", (f"f{i}.txt", b"The pool opens at 7 am.", "text/plain")) for i in range(3)]
    r = httpx.post(f"{uploads.url}/v1/documents", files=files, headers=ADMIN, timeout=60)
    assert r.status_code == 413 and "the limit is 2" in error_of(r)["message"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/ask", {"question": NOVEMBER, "top_k": "3"}, "top_k"),
    ("/v1/ask", {"question": NOVEMBER, "top_k": True}, "top_k"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": NOVEMBER}], "stream": 0},
     "stream"),
])
def test_numbers_and_flags_are_not_coerced(live_server, path, body, field):
    r = httpx.post(f"{live_server.url}{path}", json=body, timeout=30)
    assert r.status_code == 422 and error_of(r)["message"].startswith(f"{field}: ")


def test_a_whole_number_may_be_written_with_a_fraction_of_zero(live_server):
    # JSON Schema's "integer" takes 3.0; so does the service.
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER, "top_k": 3.0},
                   timeout=60)
    assert r.status_code == 200 and len(r.json()["citations"]) <= 3
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER, "top_k": 3.5},
                   timeout=60)
    assert r.status_code == 422 and "top_k" in error_of(r)["message"]


def test_a_failing_feedback_store_is_a_503_and_an_error_event_mid_stream(tmp_path, embedder,
                                                                         corpus_dir):
    """The answers table disappears under a running server (a damaged database): /v1/ask says
    503 with the reason, and a stream that has sent its answer ends with an 'error' event."""
    import sqlite3

    from rag.factory import build_pipeline
    from rag.feedback import feedback_path
    from service.app import create_app
    from tests.helpers import LiveServer, make_settings
    from tests.helpers import sse_events

    settings = make_settings(tmp_path / "data")
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir / "004_e904c1ee689fa2a3.txt")
    with LiveServer(create_app(settings, pipeline)) as server:
        assert httpx.post(f"{server.url}/v1/ask", json={"question": NOVEMBER},
                          timeout=60).status_code == 200
        with sqlite3.connect(feedback_path(settings.data_dir)) as db:
            db.execute("DROP TABLE feedback")
            db.execute("DROP TABLE answers")
        r = httpx.post(f"{server.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
        assert r.status_code == 503
        assert error_of(r) == {"type": "StoreUnavailableError", "message": error_of(r)["message"]}
        assert "no such table: answers" in error_of(r)["message"]
        r = httpx.post(f"{server.url}/v1/ask/stream", json={"question": NOVEMBER}, timeout=60)
        assert r.status_code == 200
        events = sse_events(r.text)
        assert [kind for kind, _ in events[:-1]] == ["delta"] * (len(events) - 1)
        assert "191,000" in "".join(data["text"] for _, data in events[:-1])
        kind, data = events[-1]
        assert kind == "error" and data["error"]["type"] == "StoreUnavailableError"


def test_an_unexpected_error_mid_stream_is_named_by_the_request_id(caplog):
    """Anything but a RagError is logged with its traceback and sent without its details."""
    import contextvars

    from service.errors import error_body
    from service.logs import start_request

    def in_a_request() -> dict:
        start_request("req-7")
        return error_body(KeyError("secret internals"))

    body = contextvars.copy_context().run(in_a_request)
    assert body["error"]["type"] == "InternalError"
    assert "req-7" in body["error"]["message"] and "secret" not in body["error"]["message"]
    assert any(rec.exc_info and "secret internals" in str(rec.exc_info[1])
               for rec in caplog.records)
