"""Schema fuzzing: every route of the real app, driven from its own OpenAPI schema, over HTTP.

Schemathesis reads ``/openapi.json`` from a real uvicorn server (real bundled model, real Chroma
in a temp dir, read and admin keys) and sends, for each operation, the schema's boundary cases
(the coverage phase: empty and over-long strings, missing fields, wrong types, negative and huge
numbers, bad dates) and generated requests that fit the schema and that do not (malformed JSON
bodies, unknown fields, unicode and control characters, bad multipart uploads). Each response
must be no 5xx, conform to the schema (status code, content type, body), and every 4xx must have
the one error shape ``{"error": {"type", "message"}}``. Afterwards the documents indexed before
the run must be there unchanged (same content hash, text and chunks) and still answer.

Deterministic (fixed seed, derandomized). ``RAG_FUZZ_EXAMPLES=N`` raises the generated examples
per operation (default 12) for a longer run, e.g. ``RAG_FUZZ_EXAMPLES=300``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import LiveServer, make_settings

READ_KEY = "fuzz-read-key-0123456789"
ADMIN_KEY = "fuzz-admin-key-0123456789"
SEEDED = ("001_3b16739788f1550a.txt", "004_e904c1ee689fa2a3.txt")
NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
EXAMPLES = int(os.environ.get("RAG_FUZZ_EXAMPLES", "12"))
SEED = 20261123
SERVER = {"read_api_key": READ_KEY, "admin_api_key": ADMIN_KEY, "max_upload_files": 3,
          "max_upload_bytes": 50_000}


class Fuzzed:
    """The server under fuzzing, its pipeline, and the index as it was before the run."""

    def __init__(self, server: LiveServer, pipeline, before: dict[str, dict]) -> None:
        self.server = server
        self.pipeline = pipeline
        self.before = before


def snapshot(url: str, doc_ids: tuple[str, ...]) -> dict[str, dict]:
    """What the API says of each document: its record and text."""
    out = {}
    for doc_id in doc_ids:
        r = httpx.get(f"{url}/v1/documents/{doc_id}", headers={"X-API-Key": READ_KEY}, timeout=30)
        assert r.status_code == 200, r.text
        out[doc_id] = r.json()
    return out


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, embedder, corpus_dir) -> Iterator[Fuzzed]:
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("fuzz") / "data",
        server=SERVER)
    pipeline = build_pipeline(settings, embedder=embedder)
    for name in SEEDED:
        pipeline.ingest.sync(corpus_dir / name)
    with LiveServer(create_app(settings, pipeline)) as server:
        served = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
        assert served == schema.raw_schema, "the live server serves another schema"
        yield Fuzzed(server, pipeline, snapshot(server.url, SEEDED))


def load_schema():
    """The app's own OpenAPI document, as ``create_app`` builds it (the fixture checks that the
    live server serves exactly this), with a fixed seed and derandomized generation."""
    from service.app import create_app

    document = create_app(make_settings(Path("fuzz-data"), server=SERVER)).openapi()
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True,
                       "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        # 413 (too many or too large files) is a rejection too.
        "checks": {"negative_data_rejection": {"expected-statuses": [
            400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]}},
        "request-timeout": 120,
    })
    return schemathesis.openapi.from_dict(document, config=config)


schema = load_schema()


def key_for(case: Case) -> str:
    admin = case.method.upper() in ("POST", "DELETE") and case.path.startswith("/v1/documents")
    return ADMIN_KEY if admin else READ_KEY


@schema.parametrize()
def test_every_route_survives_fuzzing(case: Case, fuzzed: Fuzzed) -> None:
    response = case.call_and_validate(base_url=fuzzed.server.url,
                                      headers={"X-API-Key": key_for(case)},
                                      excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500, response.text
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"type", "message"}, body
        assert body["error"]["type"] and body["error"]["message"], body


def test_index_intact_after_fuzzing(fuzzed: Fuzzed) -> None:
    """Runs after the fuzzing above (file order): nothing stored before it was lost or changed."""
    after = snapshot(fuzzed.server.url, SEEDED)
    assert after == fuzzed.before
    versions = fuzzed.pipeline.store.stored_versions()
    for doc_id, doc in fuzzed.before.items():
        assert versions[(doc_id, doc["content_hash"])] == doc["chunk_count"]
    r = httpx.post(f"{fuzzed.server.url}/v1/ask", json={"question": NOVEMBER},
                   headers={"X-API-Key": READ_KEY}, timeout=60)
    assert r.status_code == 200 and "191,000" in r.json()["answer"]
    # The fuzzing reached past validation: each of these answered 2xx at least once.
    metrics = httpx.get(f"{fuzzed.server.url}/metrics", timeout=30).text
    succeeded = set(re.findall(r'rag_http_requests_total\{method="(\w+)",route="([^"]+)",'
                               r'status="2\d\d"\}', metrics))
    assert {("POST", "/v1/ask"), ("POST", "/v1/ask/stream"), ("POST", "/v1/chat/completions"),
            ("POST", "/v1/documents"), ("GET", "/v1/documents"),
            ("GET", "/v1/documents/{doc_id:path}")} <= succeeded, succeeded
    counts = re.findall(r'rag_http_requests_total\{[^}]*status="(\d+)"\} ([\d.]+)', metrics)
    by_class = {f"{c}xx": sum(float(n) for s, n in counts if s[0] == c) for c in "2345"}
    print(f"\nthe server answered {sum(by_class.values()):.0f} requests: {by_class}")  # with -s
