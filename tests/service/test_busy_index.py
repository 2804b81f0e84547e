"""A write that finds the index's write lock taken waits its turn (``ingest.lock_wait_seconds``,
10 s by default); one still held after that is a 409 that says so, changes nothing, and is
documented in the OpenAPI schema."""

from __future__ import annotations

import os
import threading
import time

import httpx

from rag.factory import build_lock


def test_a_write_waits_its_turn_while_the_lock_is_held_briefly(live_server, seeded):
    held, release = threading.Event(), threading.Event()

    def writer_elsewhere() -> None:
        with build_lock(seeded.settings).hold():  # another upload, a publish, a `rag ingest`
            held.set()
            release.wait(timeout=30)

    other = threading.Thread(target=writer_elsewhere)
    other.start()
    held.wait(timeout=10)
    threading.Timer(1.0, release.set).start()  # done a second later
    started = time.monotonic()
    up = httpx.post(f"{live_server.url}/v1/documents", timeout=60,
                    files={"files": ("turn.txt", b"A document uploaded during another write.\n")})
    other.join()
    assert up.status_code == 200, up.text
    assert time.monotonic() - started >= 0.9  # it did wait for the other writer
    assert "turn.txt" in {d["doc_id"] for d in httpx.get(
        f"{live_server.url}/v1/documents?limit=500").json()["documents"]}
    assert httpx.delete(f"{live_server.url}/v1/documents/turn.txt").status_code == 200


def test_upload_and_delete_while_an_ingest_holds_the_lock_are_409(live_server, seeded):
    before = httpx.get(f"{live_server.url}/v1/documents?limit=500").json()
    with build_lock(seeded.settings).hold():  # what a running `rag ingest` holds, past the wait
        up = httpx.post(f"{live_server.url}/v1/documents", timeout=60,
                        files={"files": ("busy.txt", b"Busy index test document.\n")})
        gone = httpx.delete(f"{live_server.url}/v1/documents/{before['documents'][0]['doc_id']}",
                            timeout=60)
    for r in (up, gone):
        assert r.status_code == 409, r.text
        error = r.json()["error"]
        assert "being written by another process" in error["message"]
        assert f"pid {os.getpid()}" in error["message"]
    after = httpx.get(f"{live_server.url}/v1/documents?limit=500").json()
    assert after == before


def test_openapi_documents_the_409_of_the_write_routes(live_server):
    paths = httpx.get(f"{live_server.url}/openapi.json").json()["paths"]
    assert "409" in paths["/v1/documents"]["post"]["responses"]
    assert "409" in paths["/v1/documents/{doc_id}"]["delete"]["responses"]
    assert "lock" in paths["/v1/documents"]["post"]["responses"]["409"]["description"]
