"""Pages of PDF citations and the original-file route, over real HTTP: a real multi-page PDF
(reportlab) ingested with the real bundled model into real Chroma in a temp dir, the real app
under uvicorn.

A citation of the PDF carries the pages of its passage (``page_start``/``page_end``) and each
supporting span its page, in /v1/ask, in the stream's ``citations`` event and in ``rag ask``'s
lines; a text document's are 0. ``GET /v1/files/{doc_id}`` serves the indexed bytes inline to a
key that can see the collection, the same 404 as a missing document to one that cannot, and a
404 that says why for a file gone or changed since indexing. /viewer and pdf.js come from the
service with a strict Content-Security-Policy."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, LiveServer, make_settings, sse_events
from tests.service.pdf_world import (ANSWER_PAGE, OTHER_DOC, PDF_ID, QUESTION, TEXT_ID,
                                     write_corpus)
from tests.files import pdf_bytes

ADMIN = "pages-admin-key-0123456789abcdef"
ORIGIN = "http://intranet.example.org"


@dataclass
class World:
    url: str
    corpus: Path
    pdf: bytes
    tokens: dict[str, str]
    data_dir: Path
    pipeline: object

    def get(self, path: str, who: str = "reader", **kwargs) -> httpx.Response:
        return httpx.get(self.url + path, headers={"X-API-Key": self.tokens[who]}, timeout=60,
                         **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder) -> Iterator[World]:
    from rag.factory import build_pipeline
    from service.app import create_app
    from service.keys import KeyStore, keys_path

    root = tmp_path_factory.mktemp("pages")
    corpus = root / "corpus"
    pdf = write_corpus(corpus)
    settings = make_settings(root / "data", server={"admin_api_key": ADMIN,
                                                    "cors_origins": [ORIGIN]})
    pipeline = build_pipeline(settings, embedder=embedder)
    assert pipeline.ingest.sync(corpus).failed == {}
    hidden = root / "hidden"
    hidden.mkdir()
    (hidden / "vault.txt").write_text("The vault code is kept by the night guard.\n")
    pipeline.store.collections.create("hidden")
    assert pipeline.ingest.sync(hidden, collection="hidden").failed == {}
    keys = KeyStore(keys_path(settings.data_dir))
    tokens = {"reader": keys.create("reader", "read", ["default"]),
              "outsider": keys.create("outsider", "read", ["hidden"]), "admin": ADMIN}
    with LiveServer(create_app(settings, pipeline)) as server:
        yield World(server.url, corpus, pdf, tokens, settings.data_dir, pipeline)


def _pdf_citation(body: dict) -> dict:
    assert not body["refused"], body["answer"]
    return next(c for c in body["citations"] if c["doc_id"] == PDF_ID)


def test_a_pdf_citation_carries_its_pages_and_its_spans_theirs(world):
    r = httpx.post(world.url + "/v1/ask", json={"question": QUESTION}, timeout=120,
                   headers={"X-API-Key": world.tokens["reader"]})
    assert r.status_code == 200, r.text
    cite = _pdf_citation(r.json())
    assert "Hallstrom" in r.json()["answer"]
    assert 1 <= cite["page_start"] <= ANSWER_PAGE <= cite["page_end"] <= 4, cite
    supporting = [s for s in cite["spans"] if "Hallstrom" in s["text"]]
    assert supporting and all(s["page"] == ANSWER_PAGE for s in supporting), cite["spans"]


def test_a_text_citation_has_no_pages(world):
    r = httpx.post(world.url + "/v1/ask", json={"question": "Where may staff park after 6 pm?"},
                   headers={"X-API-Key": world.tokens["reader"]}, timeout=120)
    body = r.json()
    assert not body["refused"], body
    cite = next(c for c in body["citations"] if c["doc_id"] == TEXT_ID)
    assert (cite["page_start"], cite["page_end"]) == (0, 0)
    assert all(s["page"] == 0 for s in cite["spans"])


def test_the_stream_carries_the_pages(world):
    with httpx.stream("POST", world.url + "/v1/ask/stream", json={"question": QUESTION},
                      headers={"X-API-Key": world.tokens["reader"]}, timeout=120) as r:
        events = sse_events(r.read().decode())
    cited = dict(events)["citations"]["citations"]
    done = dict(events)["done"]
    pdf = next(c for c in cited if c["doc_id"] == PDF_ID)
    assert pdf["page_start"] <= ANSWER_PAGE <= pdf["page_end"]
    assert _pdf_citation(done)["page_start"] == pdf["page_start"]


def test_the_openapi_schema_documents_pages_and_the_file_route(world):
    schema = httpx.get(world.url + "/openapi.json").json()
    citation = schema["components"]["schemas"]["CitationOut"]["properties"]
    assert {"page_start", "page_end"} <= citation.keys()
    assert "page" in schema["components"]["schemas"]["SpanOut"]["properties"]
    ok = schema["paths"]["/v1/files/{doc_id}"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in ok and "404" in schema["paths"]["/v1/files/{doc_id}"]["get"][
        "responses"]


def test_the_original_pdf_is_served_to_a_key_of_its_collection(world):
    r = world.get(f"/v1/files/{PDF_ID}")
    assert r.status_code == 200, r.text
    assert r.content == world.pdf
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('inline; filename="water-board.pdf"')
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["etag"] == f'"{hashlib.sha256(world.pdf).hexdigest()}"'


def test_a_text_original_is_served_sandboxed(world):
    r = world.get(f"/v1/files/{TEXT_ID}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-security-policy"].startswith("sandbox")


def test_another_collections_key_and_an_unknown_id_get_the_same_404(world):
    theirs = world.get(f"/v1/files/{PDF_ID}", who="outsider")
    unknown = world.get("/v1/files/reports/nothing.pdf")
    mine_elsewhere = world.get(f"/v1/files/{OTHER_DOC}")
    for r in (theirs, unknown, mine_elsewhere):
        assert r.status_code == 404
        assert r.json() == unknown.json()
    assert "water-board" not in theirs.text
    assert world.get(f"/v1/files/{OTHER_DOC}", who="outsider").status_code == 200
    assert httpx.get(world.url + f"/v1/files/{PDF_ID}").status_code == 401


def test_an_uploaded_pdf_is_kept_and_served(world):
    data = pdf_bytes(["An uploaded memo about the canal locks.", "Its second page."],
                     title="Canal memo")
    r = httpx.post(world.url + "/v1/documents", headers={"X-API-Key": ADMIN}, timeout=120,
                   files=[("files", ("memo.pdf", data, "application/pdf"))],
                   data={"path": "uploads/memo.pdf"})
    assert r.status_code == 200, r.text
    kept = world.data_dir / "originals" / hashlib.sha256(data).hexdigest()
    assert kept.read_bytes() == data
    served = world.get("/v1/files/uploads/memo.pdf")
    assert served.status_code == 200 and served.content == data
    kept.unlink()  # the kept copy lost: said so, never served from anywhere else
    gone = world.get("/v1/files/uploads/memo.pdf")
    assert gone.status_code == 404 and "upload it again" in gone.json()["error"]["message"]


def test_a_changed_or_vanished_original_is_a_404_that_says_so(world):
    path = world.corpus / PDF_ID
    try:
        path.write_bytes(world.pdf + b"%% a revision appended after indexing\n")
        changed = world.get(f"/v1/files/{PDF_ID}")
        assert changed.status_code == 404
        assert "changed since it was indexed" in changed.json()["error"]["message"]
        path.unlink()
        gone = world.get(f"/v1/files/{PDF_ID}")
        assert gone.status_code == 404
        assert "no longer on this server" in gone.json()["error"]["message"]
    finally:
        path.write_bytes(world.pdf)
    assert world.get(f"/v1/files/{PDF_ID}").content == world.pdf


def test_the_viewer_and_pdfjs_come_from_the_service_under_a_strict_policy(world):
    page = httpx.get(world.url + "/viewer")
    assert page.status_code == 200 and "viewer.mjs" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "worker-src 'self'" in policy and f"frame-ancestors 'self' {ORIGIN}" in policy
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from elsewhere
    sums = (ROOT / "service/static/pdfjs/SHA256SUMS").read_text().split("\n")
    for line in filter(None, sums):
        digest, name = line.split()
        if name.endswith(".mjs"):
            r = httpx.get(f"{world.url}/pdfjs/{name}")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
            assert hashlib.sha256(r.content).hexdigest() == digest, name
    missing = httpx.get(world.url + "/pdfjs/pdf.mjs.map")
    assert missing.status_code == 404 and set(missing.json()["error"]) == {"type", "message"}


def test_the_file_route_is_open_when_the_service_has_no_keys(tmp_path, world):
    from fastapi.testclient import TestClient

    from service.app import create_app

    # Another app over the same index, with no key anywhere (its own data_dir holds no named
    # keys): reads are open, as on every other read route.
    with TestClient(create_app(make_settings(tmp_path / "open"), world.pipeline)) as client:
        r = client.get(f"/v1/files/{PDF_ID}")
        assert r.status_code == 200 and r.content == world.pdf
