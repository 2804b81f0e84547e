"""The process file of docs/scale.md, run as written: scripts/cluster.sh starts deploy/Procfile
with honcho (two API replicas, one ingest worker, Redis, Chroma) on 127.0.0.1; a sync goes
through the queue and a question is asked of each API replica."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, free_port
from tests.queue_cluster import START_GUARD, kill_group, wait_http

pytestmark = [pytest.mark.slow, pytest.mark.extra("queue"), pytest.mark.binary("redis-server")]

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def two_free_ports() -> int:
    """A port whose next one is free too (honcho numbers the replicas PORT, PORT+1)."""
    import socket

    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def test_cluster_script_serves_answers_from_queued_ingest(tmp_path, corpus_dir):
    api_port, redis_port, chroma_port = two_free_ports(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(CLUSTER_DIR=str(tmp_path / "cluster"), API_PORT=str(api_port),
               REDIS_PORT=str(redis_port), CHROMA_PORT=str(chroma_port), API_REPLICAS="2",
               WORKERS="1", RAG_CONFIG=os.environ.get("RAG_CONFIG", ""),
               RAG_RETRIEVAL__KEYWORD_CHECK_SECONDS="0", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", VENV=str(Path(sys.executable).parent.parent),
               PYTHONPATH=str(ROOT))  # this checkout's code, whichever venv runs it
    log = tmp_path / "cluster.log"
    cluster = subprocess.Popen(["bash", str(ROOT / "scripts" / "cluster.sh")], env=env,
                               cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        replicas = [f"http://127.0.0.1:{api_port + i}" for i in range(2)]
        for url in replicas:
            wait_http(f"{url}/readyz", cluster, log)
        coordinator = {**env, "RAG_STORE__MODE": "server", "RAG_STORE__PORT": str(chroma_port),
                       "RAG_QUEUE__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
                       "RAG_DATA_DIR": str(tmp_path / "coordinator")}
        done = subprocess.run([sys.executable, "-m", "cli", "ingest", str(corpus_dir),
                               "--queue", "--json"], env=coordinator, cwd=ROOT,
                              capture_output=True, text=True, timeout=START_GUARD * 5)
        assert done.returncode == 0, (done.stderr[-3000:], log.read_text()[-3000:])
        summary = json.loads(done.stdout)
        assert (summary["added"], summary["release"], summary["outcome"]) == (
            5, "r1", "published")
        for url in replicas:  # each stateless replica answers from the published release
            answer = httpx.post(f"{url}/v1/ask", json={"question": NOVEMBER}, timeout=120).json()
            assert not answer["refused"] and "191,000" in answer["answer"], answer
            assert answer["release"] == "r1"
        assert "worker" in log.read_text() and "redis" in log.read_text()
    finally:
        kill_group(cluster, signal.SIGTERM)  # honcho stops every process it started
        time.sleep(1)
