"""Documents whose only sentence is also their title (one-line notes, FAQ entries) answer.

A document's title is its first line; a one-line note is titled by its own sentence. The selector
once dropped that sentence as "a title line", so the question was answered from another document
or refused, even when filtered to the note. Both ways in are tested: an upload over HTTP and
``rag ingest`` of a folder, each beside the sample corpus.
"""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from tests.helpers import LiveServer, make_settings
from tests.helpers import run_cli as rag

pytestmark = pytest.mark.slow

NOTES = {
    "zorblat.txt": ("The Zorblat committee met in Reykjavik on 14 March and elected Ingrid Vass "
                    "as its chair.", "Who chairs the Zorblat committee?", "Ingrid Vass"),
    "parking-faq.txt": ("Staff parking permits are renewed every January at the Quellmoor "
                        "front desk.", "Where are staff parking permits renewed?",
                        "Quellmoor front desk"),
}
ADMIN_KEY = "admin-key-one-line-0123456789"


def _check(body: dict, doc_id: str, expected: str) -> None:
    assert not body["refused"], body["answer"]
    assert expected in body["answer"], body["answer"]
    cited = [c["doc_id"] for c in body["citations"]]
    assert cited and cited[0] == doc_id, cited


def test_one_line_uploads_answer_and_cite_themselves(tmp_path, embedder, corpus_dir):
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(tmp_path / "data", server={"admin_api_key": ADMIN_KEY})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir)
    with LiveServer(create_app(settings, pipeline)) as server:
        files = [("files", (name, text.encode(), "text/plain"))
                 for name, (text, _, _) in NOTES.items()]
        r = httpx.post(f"{server.url}/v1/documents", files=files,
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=120)
        assert r.status_code == 200, r.text
        for name, (_, question, expected) in NOTES.items():
            r = httpx.post(f"{server.url}/v1/ask", json={"question": question}, timeout=60)
            assert r.status_code == 200, r.text
            _check(r.json(), name, expected)
            filtered = httpx.post(f"{server.url}/v1/ask", timeout=60, json={
                "question": question, "filters": {"doc_ids": [name]}})
            assert filtered.status_code == 200, filtered.text
            _check(filtered.json(), name, expected)


def test_one_line_files_answer_through_rag_ingest(tmp_path, corpus_dir):
    folder = tmp_path / "docs"
    shutil.copytree(corpus_dir, folder)
    for name, (text, _, _) in NOTES.items():
        (folder / name).write_text(text + "\n")
    netlog = tmp_path / "net.txt"
    netlog.write_text("")
    data = tmp_path / "data"
    done = rag("ingest", str(folder), "--json", data_dir=data, netlog=netlog)
    assert done.returncode == 0, done.stderr
    for name, (_, question, expected) in NOTES.items():
        asked = rag("ask", question, "--json", data_dir=data, netlog=netlog)
        assert asked.returncode == 0, asked.stderr
        _check(json.loads(asked.stdout), name, expected)
