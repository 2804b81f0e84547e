"""The answer's shape over HTTP: ``shape`` beside ``short_answer`` in ``POST /v1/ask``, and a
``done`` event of ``POST /v1/ask/stream`` (as ``short_answer``: the events stay deltas, then
``citations``, then ``done``) (the real app under uvicorn, the
real model and spaCy, the help-centre corpus of tests/rag/shape_corpus)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent.parent / "rag" / "shape_corpus"
STEPS = "How do I set up the VPN on my laptop?"


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder):
    from rag.factory import build_pipeline
    from service.app import create_app
    from tests.helpers import LiveServer, make_settings

    settings = make_settings(tmp_path_factory.mktemp("shapes-api") / "data")
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(CORPUS)
    with LiveServer(create_app(settings, pipeline)) as live:
        yield live


def test_ask_returns_the_steps_as_its_shape(server):
    body = httpx.post(f"{server.url}/v1/ask", json={"question": STEPS}, timeout=60).json()
    shape = body["shape"]
    assert shape["kind"] == "procedure" and len(shape["items"]) == 5
    assert shape["items"][0]["text"].startswith("Open the Software Centre")
    assert [i["label"] for i in shape["items"]] == ["1", "2", "3", "4", "5"]
    numbers = {c["n"] for c in body["citations"]}
    assert {i["citation"] for i in shape["items"]} <= numbers
    assert body["answer"].startswith("1. Open the Software Centre")
    assert "short_answer" in body


def test_ask_returns_a_trend_table_and_a_verdict(server):
    body = httpx.post(f"{server.url}/v1/ask", json={
        "question": "How has the average time to process retirement claims changed from 2017 "
                    "to 2019?"}, timeout=60).json()
    assert body["shape"]["table"]["rows"] == [["2017", "52", 1], ["2018", "61", 2],
                                              ["2019", "74", 3]]
    body = httpx.post(f"{server.url}/v1/ask", json={"question": "Can I print from home?"},
                      timeout=60).json()
    assert body["shape"]["kind"] == "yes_no" and body["shape"]["verdict"] == "no"


def test_a_refusal_has_no_shape(server):
    body = httpx.post(f"{server.url}/v1/ask", json={"question": "How do I book a flight to "
                                                                "Lisbon?"}, timeout=60).json()
    assert body["refused"] and body["shape"] is None


def test_the_stream_sends_the_shape_in_done(server):
    with httpx.stream("POST", f"{server.url}/v1/ask/stream", json={"question": STEPS},
                      timeout=60) as r:
        text = "".join(r.iter_text())
    events = [(block.split("\n")[0][len("event: "):], json.loads(block.split("\n")[1][6:]))
              for block in text.strip().split("\n\n")]
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"delta"}
    shape = events[-1][1]["shape"]
    assert shape["kind"] == "procedure" and len(shape["items"]) == 5
    assert "".join(d["text"] for n, d in events if n == "delta") == events[-1][1]["answer"]
