"""The installed `rag` command, run as a user would, with the network blocked and watched."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import SUPPORT, network_attempts
from tests.helpers import run_cli as rag
import pytest

# Subprocesses that load the model, or whole eval runs: not in the fast subset.
pytestmark = pytest.mark.slow

NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def test_ingest_and_ask_offline(tmp_path, corpus_dir, live_server):
    netlog = tmp_path / "net.txt"
    netlog.write_text("")
    data = tmp_path / "data"
    first = rag("ingest", str(corpus_dir), "--json", data_dir=data, netlog=netlog)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 5
    second = rag("ingest", str(corpus_dir), "--json", data_dir=data, netlog=netlog)
    assert json.loads(second.stdout)["unchanged"] == 5

    asked = rag("ask", NOVEMBER, "--json", data_dir=data, netlog=netlog)
    assert asked.returncode == 0, asked.stderr
    cli = json.loads(asked.stdout)
    assert "191,000" in cli["answer"]

    api = httpx.post(f"{live_server.url}/v1/ask", json={"question": NOVEMBER}, timeout=60).json()
    # The HTTP body adds only what belongs to the service: the id feedback refers to.
    assert set(cli) <= set(api) and set(api) - set(cli) <= {"answer_id", "standalone_question"}
    for key in ("answer", "refused", "prompt_version", "generator"):
        assert cli[key] == api[key]
    assert [c["doc_id"] for c in cli["citations"]] == [c["doc_id"] for c in api["citations"]]

    status = rag("status", "--json", data_dir=data, netlog=netlog)
    assert json.loads(status.stdout)["documents"] == 5

    refused = rag("ask", "What is the capital of Canada?", data_dir=data, netlog=netlog)
    assert "do not contain" in refused.stdout

    # the guard was active (it logs what it blocks) and nothing tried to leave the machine
    assert netlog.read_text() == ""
    assert network_attempts() == []


def test_guard_really_blocks(tmp_path):
    netlog = tmp_path / "net.txt"
    code = ("import socket\ntry:\n    socket.create_connection(('93.184.216.34', 80), timeout=1)\n"
            "except OSError as e:\n    print('blocked', e)\n")
    env = dict(os.environ, PYTHONPATH=str(SUPPORT), RAG_NETLOG=str(netlog))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "blocked" in out.stdout
    assert "93.184.216.34" in netlog.read_text()


def test_cli_errors_are_clear(tmp_path):
    netlog = tmp_path / "net.txt"
    r = rag("ingest", str(tmp_path / "missing"), data_dir=tmp_path / "d", netlog=netlog)
    assert r.returncode == 2 and "does not exist" in r.stderr
    env_bad = rag("ask", "", data_dir=tmp_path / "d", netlog=netlog)
    assert env_bad.returncode == 2 and "empty" in env_bad.stderr
