"""Every route of the HTTP service, with its errors and limits, through the real app over HTTP."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from tests.helpers import LiveServer, make_settings, sse_events

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
READ_KEY = "read-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
READ = {"X-API-Key": READ_KEY}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, embedder, corpus_dir):
    """A server of its own (own index, keys, CORS, small limits) that tests may change."""
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("keyed") / "data",
        server={"read_api_key": READ_KEY, "admin_api_key": ADMIN_KEY,
                "cors_origins": ["https://intranet.example.org"], "max_history_turns": 4,
                "max_history_chars": 2000, "max_upload_files": 3, "max_upload_bytes": 20_000},
    )
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir / "004_e904c1ee689fa2a3.txt")
    with LiveServer(create_app(settings, pipeline)) as server:
        yield server


def test_ask_has_answer_id_standalone_question_and_stage_timings(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER, "top_k": 3}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "191,000" in body["answer"] and not body["refused"]
    assert body["standalone_question"] == NOVEMBER and len(body["answer_id"]) == 32
    assert {"embed", "retrieve", "generate", "total"} <= set(body["timings_ms"])
    assert body["prompt_version"] == "v1"
    c = body["citations"][0]
    assert c["end"] > c["start"] and c["doc_id"].endswith(".txt")
    assert r.headers["x-request-id"]


def test_ask_with_history_and_history_limits(live_server, keyed):
    history = [{"role": "user", "content": NOVEMBER},
               {"role": "assistant", "content": "More than 191,000 migrants. [1]"}]
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER, "history": history},
                   timeout=60)
    assert r.status_code == 200 and not r.json()["refused"]
    too_many = history * 3  # 6 turns, limit 4
    r = httpx.post(f"{keyed.url}/v1/ask", json={"question": "why?", "history": too_many},
                   headers=READ, timeout=30)
    assert r.status_code == 422 and "the limit is 4" in r.json()["error"]["message"]
    too_long = [{"role": "user", "content": "x" * 2001}]
    r = httpx.post(f"{keyed.url}/v1/ask", json={"question": "why?", "history": too_long},
                   headers=READ, timeout=30)
    assert r.status_code == 422 and "2001 characters" in r.json()["error"]["message"]
    r = httpx.post(f"{keyed.url}/v1/ask", headers=READ, timeout=30,
                   json={"question": "why?", "history": [{"role": "robot", "content": "hi"}]})
    assert r.status_code == 422 and "history.0.role" in r.json()["error"]["message"]


def test_stream_sends_deltas_then_citations_then_done(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask/stream", json={"question": NOVEMBER}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [k for k, _ in events]
    assert kinds[-2:] == ["citations", "done"] and set(kinds[:-2]) == {"delta"}
    streamed = "".join(d["text"] for k, d in events if k == "delta")
    done = events[-1][1]
    assert streamed == done["answer"] and "191,000" in streamed
    assert events[-2][1]["citations"] == done["citations"] and done["answer_id"]


def test_stream_errors_before_streaming_are_plain_json(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask/stream", json={"question": "  "}, timeout=30)
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    r = httpx.post(f"{live_server.url}/v1/ask/stream", json={"question": "x" * 2001}, timeout=30)
    assert r.status_code == 422 and "limit is 2000" in r.json()["error"]["message"]


def test_stream_refusal(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask/stream",
                   json={"question": "What is the capital of Canada?"}, timeout=60)
    done = sse_events(r.text)[-1]
    assert done[0] == "done" and done[1]["refused"] is True and done[1]["citations"] == []


def test_chat_completions_plain_and_streaming(live_server):
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": NOVEMBER}]
    r = httpx.post(f"{live_server.url}/v1/chat/completions",
                   json={"model": "rag", "messages": messages, "temperature": 0.2}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion"
    choice = body["choices"][0]
    assert choice["message"]["role"] == "assistant" and "191,000" in choice["message"]["content"]
    assert choice["finish_reason"] == "stop" and body["citations"][0]["n"] == 1
    assert body["refused"] is False
    r = httpx.post(f"{live_server.url}/v1/chat/completions",
                   json={"model": "rag", "messages": messages, "stream": True}, timeout=60)
    lines = [ln[6:] for ln in r.text.split("\n\n") if ln.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(ln) for ln in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == choice["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]
    r = httpx.post(f"{live_server.url}/v1/chat/completions", timeout=30,
                   json={"messages": [{"role": "assistant", "content": "hello"}]})
    assert r.status_code == 422 and "last message" in r.json()["error"]["message"]


def test_feedback_is_tied_to_an_answer(live_server):
    answer = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER}, timeout=60).json()
    r = httpx.post(f"{live_server.url}/v1/feedback", timeout=30,
                   json={"answer_id": answer["answer_id"], "rating": "up", "comment": "spot on"})
    assert r.status_code == 201 and r.json()["feedback_id"]
    r = httpx.post(f"{live_server.url}/v1/feedback", json={"answer_id": "nope", "rating": "up"})
    assert r.status_code == 404 and "no answer" in r.json()["error"]["message"]
    r = httpx.post(f"{live_server.url}/v1/feedback",
                   json={"answer_id": answer["answer_id"], "rating": "meh"})
    assert r.status_code == 422 and "rating" in r.json()["error"]["message"]
    r = httpx.post(f"{live_server.url}/v1/feedback",
                   json={"answer_id": answer["answer_id"], "rating": "down", "comment": "x" * 2001})
    assert r.status_code == 422 and "limit is 2000" in r.json()["error"]["message"]


def test_health_ready_and_metrics(live_server):
    httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{live_server.url}/readyz").json() == {"status": "ready"}
    r = httpx.get(f"{live_server.url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'rag_http_requests_total{method="POST",route="/v1/ask",status="200"}' in text
    assert 'rag_http_request_duration_seconds_count{method="POST",route="/v1/ask"}' in text
    assert 'rag_pipeline_stage_duration_seconds_count{stage="retrieve"}' in text
    assert "rag_index_documents 5.0" in text
    assert "rag_index_chunks " in text and "rag_index_chunks 0.0" not in text


def test_keys_guard_asking_and_documents(keyed):
    url = keyed.url
    ask = {"question": NOVEMBER}
    r = httpx.post(f"{url}/v1/ask", json=ask, timeout=60)
    assert r.status_code == 401 and r.json()["error"]["type"] == "Unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    r = httpx.post(f"{url}/v1/ask", json=ask, headers={"X-API-Key": "wrong" * 4}, timeout=60)
    assert r.status_code == 401 and "not valid" in r.json()["error"]["message"]
    assert httpx.post(f"{url}/v1/ask", json=ask, headers=READ, timeout=60).status_code == 200
    assert httpx.post(f"{url}/v1/ask", json=ask, headers=ADMIN, timeout=60).status_code == 200
    r = httpx.delete(f"{url}/v1/documents/004_e904c1ee689fa2a3.txt", headers=READ)
    assert r.status_code == 403 and "admin key" in r.json()["error"]["message"]
    assert httpx.get(f"{url}/v1/documents", headers=READ).status_code == 200
    assert httpx.get(f"{url}/v1/documents").status_code == 401
    assert httpx.get(f"{url}/healthz").status_code == 200  # probes need no key


def test_cors_for_configured_origins_only(keyed):
    pre = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "x-api-key,content-type"}
    r = httpx.options(f"{keyed.url}/v1/ask/stream",
                      headers={"Origin": "https://intranet.example.org", **pre})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://intranet.example.org"
    r = httpx.options(f"{keyed.url}/v1/ask/stream", headers={"Origin": "https://evil.example", **pre})
    assert "access-control-allow-origin" not in r.headers


def test_upload_list_read_replace_delete(keyed):
    url = keyed.url
    text = "# Parking rules\n\nStaff may park in lot C after 6 pm on weekdays.\n"
    files = [("files", ("parking.md", text.encode(), "text/markdown"))]
    r = httpx.post(f"{url}/v1/documents", files=files, data={"path": "policies/parking.md"},
                   headers=ADMIN, timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["files"] == [{"doc_id": "policies/parking.md", "filename": "parking.md",
                                  "status": "added", "reason": None, "attachments": []}]
    r = httpx.get(f"{url}/v1/documents/policies/parking.md", headers=READ)
    assert r.status_code == 200
    doc = r.json()
    assert doc["text"] == text and doc["title"] == "Parking rules" and doc["format"] == "markdown"
    answer = httpx.post(f"{url}/v1/ask", json={"question": "When may staff park in lot C?"},
                        headers=READ, timeout=60).json()
    assert not answer["refused"] and answer["citations"][0]["doc_id"] == "policies/parking.md"
    # The same id again replaces it; unchanged bytes are reported unchanged.
    files = [("files", ("parking.md", text.replace("6 pm", "7 pm").encode(), "text/markdown"))]
    r = httpx.post(f"{url}/v1/documents", files=files, data={"path": "policies/parking.md"},
                   headers=ADMIN, timeout=120)
    assert r.json()["files"][0]["status"] == "updated"
    assert "7 pm" in httpx.get(f"{url}/v1/documents/policies/parking.md", headers=READ).json()["text"]
    page = httpx.get(f"{url}/v1/documents", params={"limit": 1, "offset": 1}, headers=READ).json()
    assert page["total"] == 2 and [d["doc_id"] for d in page["documents"]] == ["policies/parking.md"]
    r = httpx.delete(f"{url}/v1/documents/policies/parking.md", headers=ADMIN)
    assert r.status_code == 200 and r.json() == {"doc_id": "policies/parking.md", "deleted": True,
                                                 "release": "r4", "release_outcome": "published"}
    r = httpx.get(f"{url}/v1/documents/policies/parking.md", headers=READ)
    # the 404 of a missing document does not repeat the id (nor does a forbidden one's)
    assert r.status_code == 404 and "no document with that id" in r.json()["error"]["message"]
    assert httpx.delete(f"{url}/v1/documents/policies/parking.md", headers=ADMIN).status_code == 404


def test_upload_outcomes_and_limits(keyed):
    url = keyed.url
    ok = ("files", ("a.txt", b"The cafeteria opens at 8 am.", "text/plain"))
    bad = ("files", ("b.exe", b"MZ\x00\x00", "application/octet-stream"))
    r = httpx.post(f"{url}/v1/documents", files=[ok, bad], headers=ADMIN, timeout=120)
    assert r.status_code == 207
    outcome = {f["doc_id"]: f for f in r.json()["files"]}
    assert outcome["a.txt"]["status"] in ("added", "unchanged")
    assert outcome["b.exe"]["status"] == "failed" and "unsupported" in outcome["b.exe"]["reason"]
    r = httpx.post(f"{url}/v1/documents", files=[bad], headers=ADMIN)
    assert r.status_code == 415 and r.json()["error"]["type"] == "UnsupportedFileType"
    r = httpx.post(f"{url}/v1/documents", files=[("files", ("e.txt", b"   ", "text/plain"))],
                   headers=ADMIN)
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/documents", files=[ok] * 4, headers=ADMIN)
    assert r.status_code == 413 and "limit is 3" in r.json()["error"]["message"]
    big = ("files", ("big.txt", b"word " * 5000, "text/plain"))
    r = httpx.post(f"{url}/v1/documents", files=[big], headers=ADMIN)
    assert r.status_code == 413 and "limit is 20000" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/documents", files=[ok], data={"path": "../etc/passwd"}, headers=ADMIN)
    assert r.status_code == 422 and "not a valid document id" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/documents", json={"files": []}, headers=ADMIN)
    assert r.status_code == 415 and "multipart" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/documents", files=[ok], headers=READ)
    assert r.status_code == 403
    r = httpx.get(f"{url}/v1/documents", params={"limit": 0}, headers=READ)
    assert r.status_code == 422 and "limit" in r.json()["error"]["message"]


def test_request_ids_and_keys_never_logged(keyed, caplog):
    with caplog.at_level(logging.INFO, logger="rag.access"):
        r = httpx.post(f"{keyed.url}/v1/ask", json={"question": NOVEMBER}, timeout=60,
                       headers={**READ, "X-Request-ID": "trace-42"})
        httpx.get(f"{keyed.url}/v1/documents", headers=ADMIN)
    assert r.headers["x-request-id"] == "trace-42"
    from service.logs import JsonFormatter

    lines = [JsonFormatter().format(rec) for rec in caplog.records]
    entries = [json.loads(line) for line in lines]
    assert any(e["request_id"] == "trace-42" and e["route"] == "/v1/ask" and e["status"] == 200
               for e in entries)
    assert not any(READ_KEY in line or ADMIN_KEY in line for line in lines)
