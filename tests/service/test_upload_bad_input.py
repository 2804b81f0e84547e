"""Hostile uploads to POST /v1/documents: each gets a clear, bounded answer, and a rejected upload
changes nothing that was stored.

Every case is timed and its peak Python memory measured (tracemalloc) around the request, and
held to generous bounds; after each refusal the index (manifest records, stored chunk versions,
chunk count) is compared with a snapshot taken before. A 1 GB body is sent over a real socket,
declared (Content-Length) and undeclared (chunked): the service must answer 413 after reading a
small part of it. Real model, real Chroma in a temp dir (slow).
"""

from __future__ import annotations

import socket
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.files import billion_laughs, docx_bytes, handmade_pdf, pdf_bytes, rezip
from tests.helpers import LiveServer, make_settings

pytestmark = pytest.mark.slow

ADMIN_KEY = "upload-admin-key-0123456789"
READ_KEY = "upload-read-key-0123456789"
MAX_BYTES = 1_000_000
MAX_FILES = 5
SEED = ("seed.txt", b"The ferry to the island leaves at noon every Sunday.\n")
DOCX = docx_bytes("Harbour Minutes", ["The harbour master reported two new moorings."])
NESTED_HTML = (b"<html><body>" + b"<div>" * 80_000 + b"The fish market opens at dawn."
               + b"</div>" * 80_000 + b"</body></html>")
SECONDS = 20.0  # generous: every case here answers in well under a second or two
PEAK_MB = 150.0


@dataclass
class Service:
    client: TestClient
    pipeline: object
    settings: object


@pytest.fixture(scope="module")
def service(tmp_path_factory, embedder) -> Iterator[Service]:
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("upload-bad") / "data",
        server={"admin_api_key": ADMIN_KEY, "read_api_key": READ_KEY,
                "max_upload_bytes": MAX_BYTES, "max_upload_files": MAX_FILES},
        generator={"short_answers": False})
    pipeline = build_pipeline(settings, embedder=embedder)
    with TestClient(create_app(settings, pipeline)) as client:
        r = client.post("/v1/documents", files=[("files", SEED)],
                        headers={"X-API-Key": ADMIN_KEY})
        assert r.status_code == 200, r.text
        yield Service(client, pipeline, settings)


def snapshot(pipeline) -> tuple:
    store = pipeline.store
    records = {k: (r.content_hash, r.chunk_count, r.char_count, r.title)
               for k, r in store.documents().items()}
    return records, dict(store.stored_versions()), store.count_chunks()


def measured(call: Callable[[], object]) -> tuple[object, float, float]:
    """(result, seconds, peak MB of Python allocations) of ``call()``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = call()
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return result, seconds, peak


def upload(client: TestClient, files: list[tuple[str, bytes]], path: str | None = None):
    return client.post("/v1/documents", files=[("files", f) for f in files],
                       data={"path": path} if path is not None else None,
                       headers={"X-API-Key": ADMIN_KEY})


def pdf_of_pages(pages: int) -> bytes:
    return handmade_pdf(["One page."], declared_count=pages)


# name -> (files, path field, status, error type, what the message says)
REFUSED: dict[str, tuple[list[tuple[str, bytes]], str | None, int, str, str]] = {
    "traversal-in-name": ([("../../etc/passwd.txt", b"root:x:0:0")], None, 422,
                          "InvalidDocumentId", "no '..' or '.' segments"),
    "absolute-name": ([("/etc/passwd", b"root:x:0:0")], None, 422, "InvalidDocumentId",
                      "relative path"),
    "backslash-traversal": ([("..\\..\\boot.ini", b"[boot loader]")], None, 422,
                            "InvalidDocumentId", "not a valid document id"),
    "traversal-in-path": ([("a.txt", b"Some words.")], "../outside.txt", 422,
                          "InvalidDocumentId", "no '..'"),
    "traversal-mid-path": ([("a.txt", b"Some words.")], "reports/../../x.txt", 422,
                           "InvalidDocumentId", "no '..'"),
    "absolute-path": ([("a.txt", b"Some words.")], "/srv/rag/x.txt", 422, "InvalidDocumentId",
                      "leading"),
    "empty-segment": ([("a.txt", b"Some words.")], "reports//x.txt", 422, "InvalidDocumentId",
                      "double '/'"),
    "control-char-in-path": ([("a.txt", b"Some words.")], "a\x07b.txt", 422,
                             "InvalidDocumentId", "not a valid document id"),
    "same-name-twice-unicode": ([("caf\u00e9.txt", b"Espresso is served."),
                                 (unicodedata.normalize("NFD", "caf\u00e9.txt"),
                                  b"Tea is served.")], None, 422, "InvalidRequest",
                                "is sent twice"),
    "zip-bomb-docx": ([("bomb.docx", rezip(DOCX, inflating={"word/media/a.png": 200 << 20}))],
                      None, 422, "UnreadableFile", "possible zip bomb"),
    "xml-bomb-docx": ([("lol.docx", rezip(DOCX, {"word/document.xml": billion_laughs()}))],
                      None, 422, "UnreadableFile", "possible XML entity bomb"),
    "pdf-claims-100000-pages": ([("big.pdf", pdf_of_pages(100_000))], None, 422,
                                "UnreadableFile", "PDF refused: 100,000 pages"),
    "png-named-txt": ([("notes.txt", b"\x89PNG\r\n\x1a\n" + bytes(200))], None, 415,
                      "UnsupportedFileType", "unsupported file type (PNG image)"),
    "text-named-pdf": ([("report.pdf", b"Plain words, no PDF here.")], None, 422,
                       "UnreadableFile", "named .pdf but the content is not a PDF file"),
    "elf-named-docx": ([("minutes.docx", b"\x7fELF" + bytes(100))], None, 422,
                       "UnreadableFile", "named .docx but the content is not a DOCX file"),
    "file-over-the-limit": ([("big.txt", b"a" * (MAX_BYTES + 1))], None, 413,
                            "PayloadTooLarge", f"limit is {MAX_BYTES}"),
    "too-many-files": ([(f"f{i}.txt", b"x") for i in range(MAX_FILES + 1)], None, 413,
                       "PayloadTooLarge", f"the limit is {MAX_FILES} per request"),
    "10000-files": ([(f"f{i}.txt", b"x") for i in range(10_000)], None, 413,
                    "PayloadTooLarge", f"the limit is {MAX_FILES} per request"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_hostile_upload_is_refused_and_changes_nothing(service: Service, case: str):
    files, path, status, kind, says = REFUSED[case]
    before = snapshot(service.pipeline)
    r, seconds, peak = measured(lambda: upload(service.client, files, path))
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["type"] == kind and says in error["message"], error
    assert snapshot(service.pipeline) == before
    assert seconds < SECONDS and peak < PEAK_MB, (seconds, peak)
    print(f"\n{case}: {r.status_code} in {seconds:.2f} s, peak {peak:.1f} MB")  # with -s


def test_names_differing_only_in_unicode_normalisation_are_one_document(service: Service):
    nfc, nfd = "men\u00fc.txt", unicodedata.normalize("NFD", "men\u00fc.txt")
    assert nfc != nfd
    first = upload(service.client, [(nfd, b"Soup of the day: lentils.")])
    assert first.status_code == 200 and first.json()["files"][0]["doc_id"] == nfc
    second = upload(service.client, [(nfc, b"Soup of the day: tomato.")])
    assert second.json()["files"][0] == {"doc_id": nfc, "filename": nfc, "status": "updated",
                                         "reason": None, "attachments": []}
    ids = [d["doc_id"] for d in service.client.get(
        "/v1/documents", headers={"X-API-Key": READ_KEY}).json()["documents"]]
    assert ids.count(nfc) == 1 and nfd not in ids


def test_names_differing_only_in_case_are_two_documents(service: Service):
    # Document ids are paths, and paths are case-sensitive (as in the corpus folder).
    r = upload(service.client, [("Rota.txt", b"Anna works on Monday."),
                                ("rota.txt", b"Ben works on Tuesday.")])
    assert r.status_code == 200, r.text
    assert [f["status"] for f in r.json()["files"]] == ["added", "added"]
    texts = {name: service.client.get(f"/v1/documents/{name}",
                                      headers={"X-API-Key": READ_KEY}).json()["text"]
             for name in ("Rota.txt", "rota.txt")}
    assert texts == {"Rota.txt": "Anna works on Monday.", "rota.txt": "Ben works on Tuesday."}


@pytest.mark.parametrize(("name", "data", "fmt"), [
    ("deeply-nested.html", NESTED_HTML, "html"),
    ("report-named.txt", pdf_bytes(title="Disguised report"), "pdf"),  # extension lies
    ("page-named.txt", b"<!doctype html><html><body><p>Low tide at noon.</p></body></html>",
     "html"),
    ("minutes-named.pdf", DOCX, "docx"),
])
def test_readable_files_are_read_by_content_within_bounds(service: Service, name, data, fmt):
    r, seconds, peak = measured(lambda: upload(service.client, [(name, data)]))
    assert r.status_code == 200, r.text
    record = service.pipeline.store.document(name)
    assert record.format == fmt
    assert seconds < SECONDS and peak < 400, (seconds, peak)


def test_one_bad_file_fails_alone(service: Service):
    before = snapshot(service.pipeline)
    r = upload(service.client, [("good-note.txt", b"The lift is out of order."),
                                ("bad.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4)])
    assert r.status_code == 207, r.text
    outcome = {f["doc_id"]: f["status"] for f in r.json()["files"]}
    assert outcome == {"good-note.txt": "added", "bad.pdf": "failed"}
    after = snapshot(service.pipeline)
    assert set(after[0]) - set(before[0]) == {"good-note.txt"}


# ---- a 1 GB body over a real socket ---------------------------------------------------------

GIGABYTE = 1 << 30


@pytest.fixture(scope="module")
def live(service: Service) -> Iterator[LiveServer]:
    from service.app import create_app

    with LiveServer(create_app(service.settings, service.pipeline)) as server:
        yield server


def send_huge(port: int, chunked: bool) -> tuple[int, int, float]:
    """Send a 1 GB multipart upload until the server answers; (status, bytes sent, seconds)."""
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"huge.txt\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    headers = [f"POST /v1/documents HTTP/1.1", f"Host: 127.0.0.1:{port}",
               f"X-API-Key: {ADMIN_KEY}",
               f"Content-Type: multipart/form-data; boundary={boundary}"]
    headers.append("Transfer-Encoding: chunked" if chunked
                   else f"Content-Length: {GIGABYTE + len(head)}")
    block = b"a" * (1 << 20)
    sent = 0
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        sock.setblocking(False)
        response = b""
        payload = head
        while sent < GIGABYTE and time.perf_counter() - started < 60:
            try:
                response += sock.recv(65536)
                if b"\r\n\r\n" in response:
                    break
            except BlockingIOError:
                pass
            data = payload or block
            payload = b""
            frame = f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data
            try:
                sock.setblocking(True)
                sock.settimeout(5)
                sock.sendall(frame)
                sent += len(data)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            finally:
                sock.setblocking(False)
        sock.setblocking(True)
        sock.settimeout(30)
        while b"\r\n\r\n" not in response:
            try:
                more = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not more:
                break
            response += more
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1") else 0
    return status, sent, time.perf_counter() - started


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_1gb_upload_is_refused_by_size_without_reading_it(service: Service, live, chunked):
    before = snapshot(service.pipeline)
    status, sent, seconds = send_huge(live.port, chunked)
    assert status == 413
    ceiling = MAX_BYTES * MAX_FILES + 1_000_000
    assert sent <= ceiling + (8 << 20), sent  # what was in flight when it answered, at most
    assert seconds < 30
    assert snapshot(service.pipeline) == before
    print(f"\n1 GB upload ({'chunked' if chunked else 'declared'}): {status} after "
          f"{sent / 1e6:.1f} MB sent, {seconds:.2f} s")
