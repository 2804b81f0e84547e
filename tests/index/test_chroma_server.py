"""Server mode against a real `chroma run` on 127.0.0.1, started here on a free port."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.errors import StoreUnavailableError
from index.scope import Scope
from cli.main import main
from rag.factory import Pipeline, build_pipeline
from tests.helpers import free_port, make_settings

# Subprocesses that load the model, or whole eval runs: not in the fast subset.
pytestmark = pytest.mark.slow

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory) -> Iterator[int]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.fail("the chroma CLI (shipped with chromadb) is not installed in this venv")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "w")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path / "db"), "--host",
                             "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 120  # a hang guard for start-up, not a timing assertion
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).is_success:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"chroma run did not start: {(path / 'server.log').read_text()[-2000:]}")
        time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def server_pipeline(tmp_path: Path, embedder, port: int, collection: str) -> Pipeline:
    settings = make_settings(tmp_path / "data", store={
        "mode": "server", "host": "127.0.0.1", "port": port, "collection": collection})
    return build_pipeline(settings, embedder=embedder)


def test_ingest_and_ask_through_a_chroma_server(tmp_path, embedder, corpus_dir, chroma_server,
                                                monkeypatch, capsys):
    pipeline = server_pipeline(tmp_path, embedder, chroma_server, "served")
    report = pipeline.ingest.sync(corpus_dir)
    assert len(report.added) == 5 and not report.failed
    answer = pipeline.answers.answer(NOVEMBER)
    assert not answer.refused and "191,000" in answer.answer
    # either outlet's copy of the December story (both report the figure) may rank first
    assert answer.citations[0].doc_id in {"002_696000928d11651b.txt", "004_e904c1ee689fa2a3.txt"}
    assert "191,000" in answer.citations[0].text
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the embedded store

    # the CLI reads the same index from the environment settings alone
    monkeypatch.setenv("RAG_STORE__MODE", "server")
    monkeypatch.setenv("RAG_STORE__PORT", str(chroma_server))
    monkeypatch.setenv("RAG_STORE__COLLECTION", "served")
    assert main(["--data-dir", str(tmp_path / "other"), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["documents"], status["store"]) == (5, "server")
    assert status["chunks"] == pipeline.store.count_chunks()


def test_two_partitioned_workers_build_the_same_index_as_one(tmp_path, embedder, corpus_dir,
                                                             chroma_server):
    corpus = tmp_path / "corpus"
    for i, f in enumerate(sorted(corpus_dir.iterdir())):  # the December copies land apart
        part = corpus / ("east" if i < 3 else "west")
        part.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, part / f.name)
    one = server_pipeline(tmp_path, embedder, chroma_server, "one-worker")
    one.ingest.sync(corpus)

    workers = [server_pipeline(tmp_path, embedder, chroma_server, "two-workers")
               for _ in range(2)]
    errors: list[BaseException] = []

    def run(pipeline: Pipeline, prefix: str) -> None:
        try:
            pipeline.ingest.sync(corpus, scope=Scope(prefix))
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w, p)) for w, p in zip(workers, ["east/",
                                                                                 "west/"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    two = workers[0]

    def snapshot(p: Pipeline) -> dict:
        docs = p.store.documents()
        return {d: (r.content_hash, r.chunk_count, r.dup_group, r.title, [
            (c.chunk_id, c.text, c.start, c.end, c.metadata) for c in p.store.document_chunks(d)])
            for d, r in docs.items()}

    expected = snapshot(one)
    assert len(expected) == 5
    assert expected["west/004_e904c1ee689fa2a3.txt"][2] == "east/002_696000928d11651b.txt"
    assert snapshot(two) == expected
    assert two.store.count_chunks() == one.store.count_chunks()
    answers = [w.answers.answer(NOVEMBER) for w in (one, two)]
    cited = [[(c.chunk_id, c.start, c.end) for c in a.citations] for a in answers]
    assert answers[0].answer == answers[1].answer and "191,000" in answers[0].answer
    assert cited[0] == cited[1] and cited[0]

    # a worker's sync never deletes what another partition owns
    (corpus / "west" / "003_01b82d5fbafcc814.txt").unlink()
    assert workers[0].ingest.sync(corpus, scope=Scope("east/")).deleted == []
    assert workers[1].ingest.sync(corpus, scope=Scope("west/")).deleted == [
        "west/003_01b82d5fbafcc814.txt"]


def test_unreachable_server_is_a_clear_error(tmp_path, embedder):
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        server_pipeline(tmp_path, embedder, free_port(), "nowhere")


def test_publish_and_rollback_switch_every_replica(tmp_path, embedder, corpus_dir, chroma_server):
    """Two replicas (own data dirs, one Chroma server): a release staged by one is invisible to
    both until published; publish and rollback switch the other at once."""
    from releases.publishing import publish_release, rollback

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    writer = server_pipeline(tmp_path / "a", embedder, chroma_server, "released")
    replica = build_pipeline(make_settings(tmp_path / "b" / "data", store={
        "mode": "server", "host": "127.0.0.1", "port": chroma_server, "collection": "released"},
        retrieval={"keyword_check_seconds": 0}), embedder=embedder)  # BM25 statistics follow
    assert writer.ingest.sync(corpus).release == "r1"
    (corpus / "lighthouse.txt").write_text(
        "Notes from the Kilnsea lighthouse\n\nThe Kilnsea lighthouse keeper Marguerite "
        "Olafsdottir repainted the lamp room in cobalt blue in 1987. The tower stands on the "
        "dunes south of the village and its lamp was electrified in 1952.\n")
    staged = writer.ingest.sync(corpus, publish=False)
    assert staged.release == "r2" and replica.store.release_id() == "r1"
    question = "Who repainted the lamp room of the Kilnsea lighthouse?"

    def cites_lighthouse(p: Pipeline) -> tuple[bool, str | None]:
        a = p.answers.answer(question)
        return (not a.refused and any(c.doc_id == "lighthouse.txt" for c in a.citations),
                a.release)

    assert cites_lighthouse(replica) == (False, "r1")
    publish_release(writer.store, writer.ingest.lock, "r2")
    assert cites_lighthouse(replica) == (True, "r2")
    assert "lighthouse.txt" in replica.store.documents()
    rollback(writer.store, writer.ingest.lock)
    assert cites_lighthouse(replica) == (False, "r1")
    assert "lighthouse.txt" not in replica.store.documents()
    assert [r.state for r in replica.store.releases.list()] == ["published", "retired"]
