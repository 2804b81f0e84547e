"""kill -9 while a release is staged, published, rolled back and garbage-collected: after every
kill a fresh process reads exactly one release, whole, and answers from it alone."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag.factory import build_pipeline
from tests.helpers import ROOT, make_settings
from tests.index.test_crash_safety import (QUESTION, env_for, inspect, start_ingest, wait_for,
                                           write_corpus)

pytestmark = pytest.mark.slow


def assert_one_release(state: dict, expected: dict[str, str] | None = None) -> None:
    """Everything visible belongs to the published release, and all of it is stored."""
    manifest = state["manifest"]
    assert state["release"] and manifest
    assert {d: r["hash"] for d, r in state["records"].items()} == manifest
    for doc_id, rec in state["records"].items():
        assert state["versions"].get(f"{doc_id}@{rec['hash']}") == rec["chunks"], doc_id
    assert state["hits"] and set(state["hits"]) <= {f"{d}@{h}" for d, h in manifest.items()}
    if expected is not None:
        assert manifest == expected


def ask(data: Path, state: dict, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "cli", "ask", QUESTION, "--json"], cwd=ROOT,
                         env=env_for(data, **env), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    answer = json.loads(out.stdout)
    assert answer["release"] == state["release"]
    for c in answer["citations"]:  # chunk ids carry the version: doc#hash12#n
        assert c["chunk_id"].split("#")[1] == state["manifest"][c["doc_id"]][:12]
    return answer


def kill_at(cmd: list[str], data: Path, fault: str, marker: Path, **env: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "cli", *cmd], cwd=ROOT,
                            env=env_for(data, RAG_FAULT_AT=fault, RAG_FAULT_FILE=str(marker),
                                        **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, fault


def test_kill_during_staging_publish_rollback_and_gc(tmp_path: Path, embedder):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    v1 = write_corpus(corpus, 1)
    assert build_pipeline(make_settings(data), embedder=embedder).ingest.sync(
        corpus).release == "r1"
    vector = embedder.embed([QUESTION])[0].tolist()
    v2 = write_corpus(corpus, 2)

    # staging: killed while writing versions, then with the release staged but not published
    for i, fault in enumerate(["chunks_written:3:mark", "release_staged:1"]):
        # One document per write group for the run killed while it carries on writing: a
        # group is written in one go, so with the default group the whole corpus could be
        # stored and published before the kill lands.
        extra = {"RAG_INGEST__EMBED_GROUP_CHUNKS": "1"} if fault.endswith(":mark") else {}
        proc = start_ingest(corpus, data, fault, tmp_path / f"stage-{i}", **extra)
        wait_for(tmp_path / f"stage-{i}", proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = inspect(data, vector)
        assert state["release"] == "r1"
        assert_one_release(state, v1)
    ask(data, state)

    # publishing: killed right after the pointer moved (the release's own record not updated)
    kill_at(["ingest", str(corpus)], data, "published:1", tmp_path / "publish")
    state = inspect(data, vector)
    assert state["release"] != "r1" and state["releases"][state["release"]] == "published"
    assert_one_release(state, v2)
    published = state["release"]
    ask(data, state)

    # rolling back: killed after the switch; the old release answers, whole
    kill_at(["releases", "rollback"], data, "published:1", tmp_path / "rollback")
    state = inspect(data, vector)
    assert state["release"] == "r1"
    assert_one_release(state, v1)
    ask(data, state)
    done = subprocess.run([sys.executable, "-m", "cli", "releases", "publish", published],
                          cwd=ROOT, env=env_for(data), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr

    # garbage collection (retain 1): killed after releases were retired, then while chunks go
    write_corpus(corpus, 1)
    for i, fault in enumerate(["gc_release:1", "gc_chunks:1"]):
        if i:
            (corpus / "bridges.txt").write_text("Bridges of the north, edition three.\n" * 40)
        kill_at(["ingest", str(corpus)], data, fault, tmp_path / f"gc-{i}",
                RAG_RELEASES__RETAIN="1")
        state = inspect(data, vector)
        assert_one_release(state)
        ask(data, state)
    done = subprocess.run([sys.executable, "-m", "cli", "ingest", str(corpus), "--json"],
                          cwd=ROOT, env=env_for(data, RAG_RELEASES__RETAIN="1"),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    state = inspect(data, vector)
    assert_one_release(state)
    # nothing but the published release and the one retained before it is stored
    live = [r for r, s in state["releases"].items() if s in ("published", "retired", "held",
                                                              "staged")]
    assert len(live) <= 2
