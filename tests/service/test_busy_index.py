"""A write while another process holds the index's write lock is a 409 that says so, changes
nothing, and is documented in the OpenAPI schema."""

from __future__ import annotations

import os

import httpx

from rag.factory import build_lock


def test_upload_and_delete_while_an_ingest_holds_the_lock_are_409(live_server, seeded):
    before = httpx.get(f"{live_server.url}/v1/documents?limit=500").json()
    with build_lock(seeded.settings).hold():  # what a running `rag ingest` holds
        up = httpx.post(f"{live_server.url}/v1/documents",
                        files={"files": ("busy.txt", b"Busy index test document.\n")})
        gone = httpx.delete(f"{live_server.url}/v1/documents/{before['documents'][0]['doc_id']}")
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
