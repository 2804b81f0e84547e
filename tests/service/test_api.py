"""The real app over HTTP (uvicorn on a loopback port)."""

import httpx

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def test_ask(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert "191,000" in body["answer"] and body["refused"] is False
    c = body["citations"][0]
    assert {"n", "doc_id", "title", "text", "start", "end", "score"} <= set(c)


def test_refusal(live_server):
    r = httpx.post(f"{live_server.url}/v1/ask", json={"question": "What is the capital of Canada?"},
                   timeout=60)
    assert r.status_code == 200
    assert r.json()["refused"] is True and r.json()["citations"] == []


def test_errors_share_one_shape(live_server):
    cases = [
        ({"question": ""}, "question"),
        ({}, "question"),
        ({"question": "x", "surprise": 1}, "surprise"),
        ({"question": "x" * 2001}, "limit is 2000"),
        ({"question": "ok?", "top_k": 0}, "top_k"),
    ]
    for payload, needle in cases:
        r = httpx.post(f"{live_server.url}/v1/ask", json=payload, timeout=30)
        assert r.status_code == 422, payload
        assert needle in r.json()["error"]["message"], (payload, r.json())
    r = httpx.post(f"{live_server.url}/v1/ask", content=b"{not json",
                   headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 422 and "error" in r.json()
    r = httpx.get(f"{live_server.url}/v1/nowhere", timeout=30)
    assert r.status_code == 404 and r.json()["error"]["type"] == "HTTPError"


def test_health_docs_and_chat_page(live_server):
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{live_server.url}/readyz").json() == {"status": "ready"}
    assert "/v1/ask" in httpx.get(f"{live_server.url}/openapi.json").json()["paths"]
    assert httpx.get(f"{live_server.url}/docs").status_code == 200
    page = httpx.get(f"{live_server.url}/")
    assert page.status_code == 200 and 'src="/widget.js" data-mode="page"' in page.text
    widget = httpx.get(f"{live_server.url}/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "/v1/ask/stream" in widget.text
