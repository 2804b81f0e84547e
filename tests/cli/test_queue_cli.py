"""The job queue's wrong settings get clear errors before any model loads, and the progress
tracker's counting, against a real redis-server on 127.0.0.1 (index/queue.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from cli.main import main
from index.errors import NotFoundError
from index.ingest import DocumentJob
from tests.helpers import free_port
from tests.queue_cluster import RedisServer


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_queue_needs_server_mode(tmp_path, corpus_dir, capsys):
    assert main(["--data-dir", str(tmp_path), "ingest", str(corpus_dir), "--queue"]) == 2
    assert "'rag ingest --queue' needs the Chroma server" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path), "worker"]) == 2
    assert "store.mode = \"server\"" in capsys.readouterr().err


@pytest.mark.extra("queue", "redis")
def test_unreachable_redis_is_named(tmp_path, corpus_dir, capsys, monkeypatch):
    port = free_port()
    monkeypatch.setenv("RAG_STORE__MODE", "server")
    monkeypatch.setenv("RAG_QUEUE__BROKER_URL", f"redis://:hunter2-secret@127.0.0.1:{port}/0")
    assert main(["--data-dir", str(tmp_path), "ingest", str(corpus_dir), "--queue"]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach the job queue's Redis at redis://127.0.0.1:{port}/0" in err
    assert "hunter2" not in err  # the password is never printed


def test_queue_without_the_extra_says_how_to_install_it(tmp_path, corpus_dir, capsys,
                                                         monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the 'queue' extra were absent
    monkeypatch.setenv("RAG_STORE__MODE", "server")
    assert main(["--data-dir", str(tmp_path), "ingest", str(corpus_dir), "--queue"]) == 2
    err = capsys.readouterr().err
    assert "needs the 'queue' extra" in err and "Traceback" not in err


def test_queue_refuses_eval_flag(tmp_path, corpus_dir, capsys):
    assert main(["--data-dir", str(tmp_path), "ingest", str(corpus_dir), "--queue",
                 "--eval"]) == 2
    assert "--eval is not available with --queue" in capsys.readouterr().err


def test_tracker_counts_each_document_once(redis_server):
    from index.queue import SyncTracker

    tracker = SyncTracker.connect(redis_server.url, keep_days=1)
    with pytest.raises(NotFoundError, match="no queued sync"):
        tracker.status("0123456789ab")
    tracker.create("0123456789ab", 3)
    assert tracker.started("0123456789ab", "a.txt") == 1
    assert tracker.finished("0123456789ab", DocumentJob("a.txt", "added", "h1", 4))
    # the same job again (a redelivery): its second result is not recorded
    assert tracker.started("0123456789ab", "a.txt") == 2
    assert not tracker.finished("0123456789ab", DocumentJob("a.txt", "added", "h1", 4))
    tracker.duplicate("0123456789ab")  # delivered again after it was done
    tracker.started("0123456789ab", "b.txt")
    assert tracker.finished("0123456789ab", DocumentJob("b.txt", "failed", reason="empty file"))
    tracker.started("0123456789ab", "c.txt")
    status = tracker.status("0123456789ab").to_public()
    assert {k: status[k] for k in ("state", "jobs", "done", "failed", "running", "pending",
                                   "attempts", "duplicates", "redeliveries")} == {
        "state": "queued", "jobs": 3, "done": 2, "failed": 1, "running": 1, "pending": 0,
        "attempts": 4, "duplicates": 1, "redeliveries": 2}
    assert tracker.results("0123456789ab")["b.txt"].reason == "empty file"
    tracker.set_state("0123456789ab", "published", "r7")
    status = tracker.status("0123456789ab").to_public()
    assert (status["state"], status["release"]) == ("published", "r7") and status["finished_at"]
    assert 0 < tracker.redis.ttl("rag:sync:0123456789ab") <= 86400
