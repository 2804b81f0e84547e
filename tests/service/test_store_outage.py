"""The Chroma server stops and comes back, under a running service (server mode, real
`chroma run` on 127.0.0.1, real model, real HTTP).

While it is down every route that needs the index fails fast with 503 and a message that says the
vector store cannot be reached (asking, streaming, listing, reading, uploading, deleting,
readiness); liveness and the chat page still answer; nothing is half-written. When it is back on
the same port, the same service (no restart, no new pipeline) answers, lists and takes uploads
again.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import LiveServer, free_port, make_settings, sse_events

pytestmark = pytest.mark.slow

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
DOC = "004_e904c1ee689fa2a3.txt"
FAST = 5.0  # seconds: "fails fast" (a refused connection answers in milliseconds)


class ChromaServer:
    """A `chroma run` that can be stopped and started again on the same port and data."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        log = open(self.path / "server.log", "a")
        self.proc = subprocess.Popen([str(chroma), "run", "--path", str(self.path / "db"),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=log, stderr=log)
        deadline = time.monotonic() + 120  # a hang guard for start-up
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
                if httpx.get(url, timeout=2).is_success:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"chroma run did not start: {(self.path / 'server.log').read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc = None


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path)
    server.start()
    yield server
    if server.proc is not None:
        server.stop()


ADMIN = {"X-API-Key": "outage-admin-key-0123456789"}


def requests_needing_the_index(url: str) -> dict[str, httpx.Response]:
    with httpx.Client(base_url=url, headers=ADMIN, timeout=60) as c:
        return {
            "ask": c.post("/v1/ask", json={"question": NOVEMBER}),
            "chat": c.post("/v1/chat/completions",
                           json={"messages": [{"role": "user", "content": NOVEMBER}]}),
            "list": c.get("/v1/documents"),
            "read": c.get(f"/v1/documents/{DOC}"),
            "upload": c.post("/v1/documents", files={"files": ("new.txt", b"The new canteen "
                                                               b"opens on Monday.")}),
            "delete": c.delete(f"/v1/documents/{DOC}"),
            "ready": c.get("/readyz"),
        }


def test_chroma_server_stops_and_comes_back(tmp_path, embedder, corpus_dir, chroma):
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(
        tmp_path / "data", store={"mode": "server", "host": "127.0.0.1", "port": chroma.port},
        server={"admin_api_key": ADMIN["X-API-Key"]}, generator={"short_answers": False})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir / DOC)
    with LiveServer(create_app(settings, pipeline)) as live:
        ok = httpx.post(f"{live.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
        assert ok.status_code == 200 and "191,000" in ok.json()["answer"]

        chroma.stop()
        started = time.perf_counter()
        down = requests_needing_the_index(live.url)
        seconds = time.perf_counter() - started
        for name, r in down.items():
            assert r.status_code == 503, (name, r.status_code, r.text)
            error = r.json()["error"]
            assert error["type"] == "StoreUnavailableError", (name, error)
            assert "Chroma server" in error["message"] and "cannot be reached" in error["message"]
        assert seconds < FAST * len(down), seconds
        stream = httpx.post(f"{live.url}/v1/ask/stream", json={"question": NOVEMBER},
                            headers=ADMIN, timeout=60)
        if stream.status_code == 200:  # began before the store was needed: ends in an error
            assert sse_events(stream.text)[-1][0] == "error"
        else:
            assert stream.status_code == 503
        assert httpx.get(f"{live.url}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{live.url}/", timeout=10).status_code == 200

        chroma.start()  # same port, same data: the same service answers again
        up = httpx.post(f"{live.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
        assert up.status_code == 200 and "191,000" in up.json()["answer"]
        assert up.json()["citations"][0]["doc_id"] == DOC
        assert httpx.get(f"{live.url}/readyz", timeout=10).status_code == 200
        listed = httpx.get(f"{live.url}/v1/documents", headers=ADMIN, timeout=30).json()
        assert [d["doc_id"] for d in listed["documents"]] == [DOC]  # the failed upload left
        r = httpx.post(f"{live.url}/v1/documents", headers=ADMIN, timeout=120,  # nothing
                       files={"files": ("new.txt", b"The new canteen opens on Monday.")})
        assert r.status_code == 200, r.text
        versions = pipeline.store.stored_versions()
        assert sorted(doc for doc, _ in versions) == [DOC, "new.txt"]


def test_a_hung_chroma_server_fails_requests_after_the_store_timeout(tmp_path, embedder,
                                                                      corpus_dir, chroma):
    """The server stops answering but keeps its port open (SIGSTOP): every request waits at
    most `store.timeout_seconds` and gets a 503 that says the store cannot be reached; once it
    runs again (SIGCONT) the same service answers."""
    import os
    import signal

    from rag.factory import build_pipeline
    from service.app import create_app

    timeout = 3.0
    settings = make_settings(
        tmp_path / "data", store={"mode": "server", "host": "127.0.0.1", "port": chroma.port,
                                  "timeout_seconds": timeout},
        server={"admin_api_key": ADMIN["X-API-Key"]}, generator={"short_answers": False})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir / DOC)
    assert chroma.proc is not None
    with LiveServer(create_app(settings, pipeline)) as live:
        ok = httpx.post(f"{live.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
        assert ok.status_code == 200 and "191,000" in ok.json()["answer"]
        os.kill(chroma.proc.pid, signal.SIGSTOP)
        try:
            for path, body in (("/v1/ask", {"question": NOVEMBER}), ("/v1/documents", None)):
                started = time.perf_counter()
                r = (httpx.post(f"{live.url}{path}", json=body, headers=ADMIN, timeout=120)
                     if body else httpx.get(f"{live.url}{path}", headers=ADMIN, timeout=120))
                seconds = time.perf_counter() - started
                assert r.status_code == 503, (path, r.status_code, r.text)
                error = r.json()["error"]
                assert error["type"] == "StoreUnavailableError" and "Timeout" in error["message"]
                # one request may make a few store calls, each bounded by the timeout
                assert seconds < 4 * timeout + 5, (path, seconds)
        finally:
            os.kill(chroma.proc.pid, signal.SIGCONT)
        up = httpx.post(f"{live.url}/v1/ask", json={"question": NOVEMBER}, timeout=60)
        assert up.status_code == 200 and "191,000" in up.json()["answer"]
