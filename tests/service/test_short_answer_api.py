"""``short_answer`` in every answer body: /v1/ask, the stream's done event, chat completions;
its offsets index the text GET /v1/documents/{id} returns."""

from __future__ import annotations

import httpx

from tests.helpers import sse_events

PERSON = "Who is the Foreign Secretary of Mexico?"
REASON = "Why did Blinken travel to Mexico?"


def test_ask_gives_the_exact_answer_with_document_offsets(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": PERSON}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    short = body["short_answer"]
    assert short["text"] == "Alicia Bárcena" and body["answer"].startswith("Alicia Bárcena")
    cite = next(c for c in body["citations"] if c["n"] == short["citation"])
    doc = httpx.get(f"{live_server.url}/v1/documents/{cite['doc_id']}", timeout=30).json()
    assert doc["text"][short["start"]:short["end"]] == short["text"]


def test_short_answer_is_null_when_none_is_asked_for(live_server):
    body = httpx.post(f"{live_server.url}/v1/ask", json={"question": REASON}, timeout=60).json()
    assert "short_answer" in body and body["short_answer"] is None
    refused = httpx.post(f"{live_server.url}/v1/ask",
                         json={"question": "What is the capital of Canada?"}, timeout=60).json()
    assert refused["refused"] and refused["short_answer"] is None


def test_stream_done_and_chat_completions_carry_it(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask/stream", json={"question": PERSON}, timeout=60)
    events = sse_events(r.text)
    done = events[-1][1]
    assert events[-1][0] == "done" and done["short_answer"]["text"] == "Alicia Bárcena"
    streamed = "".join(d["text"] for k, d in events if k == "delta")
    assert streamed.startswith("Alicia Bárcena")

    chat = httpx.post(f"{live_server.url}/v1/chat/completions", timeout=60,
                      json={"messages": [{"role": "user", "content": PERSON}]}).json()
    assert chat["short_answer"]["text"] == "Alicia Bárcena"
    assert chat["choices"][0]["message"]["content"].startswith("Alicia Bárcena")
    chunks = httpx.post(f"{live_server.url}/v1/chat/completions", timeout=60, json={
        "messages": [{"role": "user", "content": REASON}], "stream": True}).text
    last = [line for line in chunks.splitlines() if line.startswith("data: {")][-1]
    assert '"short_answer": null' in last or '"short_answer":null' in last


def test_openapi_documents_the_field(live_server):
    spec = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()
    props = spec["components"]["schemas"]["AskResponse"]["properties"]
    assert "short_answer" in props
    assert set(spec["components"]["schemas"]["ShortAnswerOut"]["properties"]) == {
        "text", "citation", "start", "end"}
