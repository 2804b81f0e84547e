"""Ingestion on the real job queue: redis-server, `chroma run`, `rag worker` processes and
`rag ingest --queue`, all on 127.0.0.1 (index/queue.py, cli/queue_commands.py).

- A worker is SIGKILLed while it holds a job (its chunks written, its version record not yet):
  the job is redelivered to the other worker and every document ends indexed exactly once, in
  one release; the sync's progress is read over HTTP while it runs.
- Redis is killed mid-sync and started again on its append-only file: no job lost, none done
  twice in effect, the same result.

``RAG_QUEUE_TEST_DOCS`` sets how many covidqa papers the kill test ingests: 24 by default (the
full 98 took 634 s here on a loaded machine, too long for CI; docs/scale.md has its figures).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, SHARED, LiveServer, make_settings
from tests.queue_cluster import (ChromaServer, RedisServer, cluster_env, kill_group,
                                 start_worker)

pytestmark = [pytest.mark.slow, pytest.mark.extra("queue", "celery", "redis"),
              pytest.mark.binary("redis-server")]

COVIDQA = SHARED / "benchmarks" / "covidqa" / "corpus"
RUN_GUARD = 900  # seconds: a hang guard for a whole sync, not a timing assertion
VISIBILITY = "15"  # seconds before a dead worker's job goes to another worker


def covidqa_subset(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for f in sorted(COVIDQA.iterdir())[:count]:
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


@pytest.fixture(scope="module")
def chroma(tmp_path_factory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def start_sync(env: dict[str, str], corpus: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(corpus), "--queue",
                             "--json"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=open(log, "w"), text=True)


def finish_sync(proc: subprocess.Popen, log: Path) -> dict:
    out, _ = proc.communicate(timeout=RUN_GUARD)
    assert proc.returncode == 0, (proc.returncode, log.read_text()[-3000:])
    return json.loads(out)


def tracker(redis: RedisServer):
    from index.queue import SyncTracker

    return SyncTracker.connect(redis.url)


def sync_id_of(log: Path) -> str:
    deadline = time.monotonic() + RUN_GUARD
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("sync ") and "jobs queued" in line:
                return line.split()[1].rstrip(":")
        time.sleep(0.2)
    raise AssertionError(f"the sync never said its id: {log.read_text()[-2000:]}")


def check_indexed_once(chroma_port: int, collection: str, corpus: Path, embedder) -> None:
    """Every file is one document of the one published release, at its content hash, whose
    chunks are stored once each and are exactly the chunks the chunker makes of it."""
    from index.chunking import Chunker
    from index.formats import reader_version
    from index.ingest import version_hash
    from index.loaders import load_document
    from index.store import ChromaStore, make_client
    from rag.factory import build_cleaner

    settings = make_settings(corpus.parent / "check")
    store = ChromaStore.existing(make_client("server", corpus.parent, port=chroma_port),
                                 collection)
    releases = store.releases.list()
    assert [(r.release_id, r.state) for r in releases] == [("r1", "published")]
    docs = store.documents()
    files = sorted(corpus.iterdir())
    assert sorted(docs) == [f.name for f in files]
    stored = store.stored_versions()  # chunk records per (doc id, hash), committed or not
    assert len(stored) == len(files)  # no other version of any document was left
    chunker = Chunker(settings.chunking.chunk_size, settings.chunking.chunk_overlap,
                      embedder.tokenize, settings.chunking.context_headers)
    cleaner = build_cleaner(settings)
    for f in files:
        record = docs[f.name]
        # the file's sha256, with the chunking signature when headers are on and its format's
        # reader version (index/ingest.py)
        extra = "|".join(x for x in (chunker.signature, reader_version(record.format)) if x)
        assert record.content_hash == version_hash(hashlib.sha256(f.read_bytes()).hexdigest(),
                                                   extra)
        assert stored[(f.name, record.content_hash)] == record.chunk_count
        doc = load_document(f, corpus)
        expected = chunker.split(cleaner.clean(dataclasses.replace(
            doc, content_hash=record.content_hash)))
        got = store.document_chunks(f.name)
        assert [(c.chunk_id, c.text) for c in got] == [(c.chunk_id, c.text) for c in expected]


def test_a_worker_killed_mid_job_changes_nothing(tmp_path, chroma, redis_server, embedder):
    count = int(os.environ.get("RAG_QUEUE_TEST_DOCS", "24"))
    corpus = covidqa_subset(tmp_path / "corpus", count)
    marker = tmp_path / "holding-a-job"
    env = {name: cluster_env(redis_server, chroma.port, "killed", tmp_path / name,
                             RAG_QUEUE__VISIBILITY_TIMEOUT=VISIBILITY)
           for name in ("a", "b", "coordinator")}
    # Worker a stops for good inside its 6th job, after the job's chunks are written and
    # before its version record is: the test kills it there.
    env["a"].update(RAG_FAULT_AT="chunks_written:6:pause", RAG_FAULT_FILE=str(marker))
    workers = {n: start_worker(env[n], tmp_path / f"{n}.log", n) for n in ("a", "b")}
    try:
        started = time.monotonic()
        sync = start_sync(env["coordinator"], corpus, tmp_path / "coordinator.log")
        sync_id = sync_id_of(tmp_path / "coordinator.log")

        # the progress route of a real app (admin key) over the same Redis, while it runs
        settings = make_settings(tmp_path / "api", store={
            "mode": "server", "port": chroma.port, "collection": "killed"},
            queue={"broker_url": redis_server.url},
            server={"admin_api_key": "admin-key-0123456789abcdef"})
        from rag.factory import build_pipeline
        from service.app import create_app

        seen: list[dict] = []
        with LiveServer(create_app(settings, build_pipeline(settings, embedder=embedder))) as api:
            url = f"{api.url}/v1/ingest/jobs/{sync_id}"
            admin = {"Authorization": "Bearer admin-key-0123456789abcdef"}
            assert httpx.get(url).status_code == 401
            assert httpx.get(f"{api.url}/v1/ingest/jobs/0123456789ab",
                             headers=admin).status_code == 404
            deadline = time.monotonic() + RUN_GUARD
            while not marker.exists():
                assert time.monotonic() < deadline and workers["a"].poll() is None
                seen.append(httpx.get(url, headers=admin).json())
                time.sleep(0.3)
            held = tracker(redis_server).running(sync_id)
            victim = next(d for d, who in held.items()
                          if who.endswith(":" + marker.read_text().split()[0]))
            kill_group(workers["a"])  # SIGKILL to the worker and its pool process
            killed_at = tracker(redis_server).status(sync_id)
            while sync.poll() is None:
                seen.append(httpx.get(url, headers=admin).json())
                time.sleep(0.5)
            summary = finish_sync(sync, tmp_path / "coordinator.log")
            final = httpx.get(url, headers=admin).json()
        seconds = time.monotonic() - started
    finally:
        for proc in workers.values():
            kill_group(proc)
    print(f"\nqueue run: {count} documents, {summary['jobs']} jobs, {summary['attempts']} "
          f"attempts ({summary['redeliveries']} redelivered), {summary['chunks_written']} "
          f"chunks, {seconds:.1f} s wall, sync {summary['seconds']} s")

    assert killed_at.done >= 5 and killed_at.done < count  # killed in the middle
    assert (summary["added"], summary["failed"], summary["release"],
            summary["outcome"]) == (count, 0, "r1", "published")
    assert summary["redeliveries"] >= 1
    assert tracker(redis_server).redis.hget(f"rag:sync:{sync_id}:attempts", victim) == "2"
    # progress was visible and only grew; the last read names the release
    done = [s["done"] for s in seen if s["state"] == "queued"]
    assert done and done == sorted(done) and seen[0]["jobs"] == count
    assert (final["state"], final["done"], final["failed"], final["release"]) == (
        "published", count, 0, "r1")
    assert final["redeliveries"] >= 1
    check_indexed_once(chroma.port, "killed", corpus, embedder)


def test_jobs_the_queue_lost_are_sent_again(tmp_path, chroma, redis_server, embedder):
    """A Redis restart can lose its last second of writes (the append-only file is written
    every second), and with it queued jobs: the coordinator, seeing no job finish, none
    running and no message held for the queue, sends the jobs without a result again (seen in
    a CI run of the outage test below, which then waited for a job that would never come)."""
    import redis

    corpus = covidqa_subset(tmp_path / "corpus", 4)
    sync = start_sync(cluster_env(redis_server, chroma.port, "lost", tmp_path / "c"), corpus,
                      tmp_path / "coordinator.log")
    sync_id_of(tmp_path / "coordinator.log")  # the jobs are queued; no worker runs yet
    client = redis.Redis.from_url(redis_server.url)
    assert client.llen("rag-ingest") == 4
    client.delete("rag-ingest")  # what a restart that lost its last writes leaves
    worker = start_worker(cluster_env(redis_server, chroma.port, "lost", tmp_path / "w"),
                          tmp_path / "worker.log", "w")
    try:
        out, _ = sync.communicate(timeout=300)  # without the re-send: it waits for ever
    finally:
        kill_group(worker)
    assert sync.returncode == 0, (tmp_path / "coordinator.log").read_text()[-3000:]
    summary = json.loads(out)
    assert (summary["added"], summary["failed"], summary["outcome"]) == (4, 0, "published")
    assert "4 jobs lost by the queue" in (tmp_path / "coordinator.log").read_text()
    check_indexed_once(chroma.port, "lost", corpus, embedder)


def test_redis_down_mid_sync_loses_no_job(tmp_path, chroma, redis_server, embedder):
    corpus = covidqa_subset(tmp_path / "corpus", 16)
    env = cluster_env(redis_server, chroma.port, "outage", tmp_path / "w",
                      RAG_QUEUE__VISIBILITY_TIMEOUT=VISIBILITY)
    worker = start_worker(env, tmp_path / "worker.log", "w")
    try:
        sync = start_sync(cluster_env(redis_server, chroma.port, "outage", tmp_path / "c"),
                          corpus, tmp_path / "coordinator.log")
        sync_id = sync_id_of(tmp_path / "coordinator.log")
        deadline = time.monotonic() + RUN_GUARD
        while tracker(redis_server).status(sync_id).done < 4:
            assert time.monotonic() < deadline and sync.poll() is None
            time.sleep(0.2)
        before = tracker(redis_server).status(sync_id)
        redis_server.kill()  # SIGKILL: only the append-only file survives
        time.sleep(8)  # workers and the coordinator find Redis gone
        assert sync.poll() is None  # the coordinator waits for it
        redis_server.start()  # the same port and folder
        summary = finish_sync(sync, tmp_path / "coordinator.log")
    finally:
        kill_group(worker)
    print(f"\nredis outage: killed at {before.done}/{before.total} done; "
          f"{summary['attempts']} attempts, {summary['redeliveries']} redelivered "
          f"({summary['duplicates']} after they were done)")
    assert before.done < before.total
    assert (summary["added"], summary["failed"], summary["release"],
            summary["outcome"]) == (16, 0, "r1", "published")
    check_indexed_once(chroma.port, "outage", corpus, embedder)
