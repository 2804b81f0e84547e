"""Releases over HTTP: uploads follow releases.policy, the admin routes publish and roll back,
and every answer (ask, stream, chat completions, feedback) names its release."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import LiveServer, make_settings, sse_events

ADMIN_KEY = "admin-key-0123456789abcdef"
READ_KEY = "read-key-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
READ = {"X-API-Key": READ_KEY}
LIGHTHOUSE = (b"Notes from the Kilnsea lighthouse\n\nThe Kilnsea lighthouse keeper Marguerite "
              b"Olafsdottir repainted the lamp room in cobalt blue in 1987. The tower stands on "
              b"the dunes south of the village and its lamp was electrified in 1952.\n")
QUESTION = "Who repainted the lamp room of the Kilnsea lighthouse?"
NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


@pytest.fixture(scope="module")
def manual(tmp_path_factory, embedder, corpus_dir):
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("releases") / "data",
                             server={"read_api_key": READ_KEY, "admin_api_key": ADMIN_KEY},
                             releases={"policy": "manual"})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir / "004_e904c1ee689fa2a3.txt")  # r1, published
    with LiveServer(create_app(settings, pipeline)) as server:
        yield server


def _ask(url: str, question: str) -> dict:
    r = httpx.post(f"{url}/v1/ask", json={"question": question}, headers=READ, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def test_upload_is_staged_then_published_and_rolled_back(manual):
    url = manual.url
    r = httpx.post(f"{url}/v1/documents", files=[("files", ("lighthouse.txt", LIGHTHOUSE,
                                                            "text/plain"))],
                   headers=ADMIN, timeout=120)
    assert r.status_code == 200, r.text
    assert (r.json()["release"], r.json()["release_outcome"]) == ("r2", "staged")
    assert httpx.get(f"{url}/v1/documents/lighthouse.txt", headers=READ).status_code == 404
    assert _ask(url, QUESTION)["release"] == "r1"

    listed = httpx.get(f"{url}/v1/releases", headers=ADMIN).json()
    assert listed["published"] == "r1"
    assert [(x["release_id"], x["state"]) for x in listed["releases"]] == [
        ("r1", "published"), ("r2", "staged")]
    assert httpx.get(f"{url}/v1/releases", headers=READ).status_code == 403
    shown = httpx.get(f"{url}/v1/releases/r2", headers=ADMIN).json()
    assert shown["changes"]["added"] == ["lighthouse.txt"] and shown["report"] is None
    assert httpx.get(f"{url}/v1/releases/r2.html", headers=ADMIN).status_code == 404

    r = httpx.post(f"{url}/v1/releases/r2/publish", headers=ADMIN, timeout=60)
    assert r.status_code == 200 and r.json() == {"published": "r2", "previous": "r1"}
    answer = _ask(url, QUESTION)
    assert answer["release"] == "r2" and answer["citations"][0]["doc_id"] == "lighthouse.txt"
    # The answer is dated by its release's corpus state, as the release list dates it.
    assert answer["release_date"] == next(x["created_at"] for x in listed["releases"]
                                          if x["release_id"] == "r2")
    assert "Olafsdottir" in httpx.get(f"{url}/v1/documents/lighthouse.txt",
                                      headers=READ).json()["text"]

    r = httpx.post(f"{url}/v1/releases/rollback", headers=ADMIN, timeout=60)
    assert r.status_code == 200 and r.json() == {"published": "r1", "previous": "r2"}
    assert all(c["doc_id"] != "lighthouse.txt" for c in _ask(url, QUESTION)["citations"])
    r = httpx.post(f"{url}/v1/releases/rollback", json={"release": "r2"}, headers=ADMIN,
                   timeout=60)
    assert r.status_code == 200 and r.json()["published"] == "r2"

    r = httpx.post(f"{url}/v1/releases/r9/publish", headers=ADMIN)
    assert r.status_code == 404 and "no release 'r9'" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/v1/releases/rollback", json={"release": "r1", "x": 1}, headers=ADMIN)
    assert r.status_code == 422


def test_every_answer_names_its_release(manual):
    url = manual.url
    release = httpx.get(f"{url}/v1/releases", headers=ADMIN).json()["published"]
    body = _ask(url, NOVEMBER)
    assert body["release"] == release
    r = httpx.post(f"{url}/v1/ask/stream", json={"question": NOVEMBER}, headers=READ,
                   timeout=120)
    done = [d for e, d in sse_events(r.text) if e == "done"][0]
    assert done["release"] == release
    r = httpx.post(f"{url}/v1/chat/completions", headers=READ, timeout=120,
                   json={"messages": [{"role": "user", "content": NOVEMBER}]})
    assert r.json()["release"] == release
    r = httpx.post(f"{url}/v1/feedback", headers=READ,
                   json={"answer_id": body["answer_id"], "rating": "up"})
    assert r.status_code == 201
    rated = list(manual.server.config.app.state.feedback.export_gold("up"))
    assert rated and rated[-1].release == release


def test_metrics_count_releases_and_the_published_age(manual):
    text = httpx.get(f"{manual.url}/metrics").text
    assert 'rag_releases_total{outcome="staged"} 1.0' in text
    age = [line for line in text.splitlines()
           if line.startswith("rag_release_published_age_seconds ")]
    assert age and float(age[0].split()[1]) >= 0


def test_only_the_app_of_rag_serve_puts_an_upload_through_the_release_policy(monkeypatch):
    """``create_app(..., settle_uploads=True)`` (``rag serve``) runs releases.policy.settle (the
    gate) on a staged upload; other apps leave it staged. Both count it in the metrics."""
    from types import SimpleNamespace

    from service.metrics import Metrics
    from service.routes import releases

    settled = []
    monkeypatch.setattr(releases, "settle", lambda settings, pipeline, report, out:
                        settled.append((settings, report)) or "held")
    staged = SimpleNamespace(outcome="staged", release="r2")
    for serving, outcome in ((True, "held"), (False, "staged")):
        metrics = Metrics()
        app = SimpleNamespace(state=SimpleNamespace(settings="settings", metrics=metrics,
                                                    settle_uploads=serving))
        assert releases.settle_release(app, None, staged) == outcome
        assert metrics.releases.labels(outcome=outcome)._value.get() == 1
    assert settled == [("settings", staged)]
