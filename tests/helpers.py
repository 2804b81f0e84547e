"""Helpers the tests share (imported as ``tests.helpers``; fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "support"
SHARED = Path(os.environ.get("RAG_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's, for the browser tests
# Variables of the test harness itself (not settings of the product): kept when the developer's
# RAG_* environment is cleared for the tests.
HARNESS_VARIABLES = frozenset({"RAG_SHARED_DIR", "RAG_NETLOG", "RAG_FUZZ_EXAMPLES",
                               "RAG_SCREENSHOTS", "RAG_QUEUE_TEST_DOCS"})


def network_attempts() -> list[str]:
    return [line for line in Path(os.environ["RAG_NETLOG"]).read_text().splitlines() if line]


def make_settings(data_dir: Path, **overrides):
    from rag.settings import load_settings

    return load_settings(data_dir=data_dir, **overrides)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real app under uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def pipeline_with_generator(seeded, **generator):
    """A pipeline over the seeded index (same store and model) with another generator."""
    from rag.factory import build_pipeline

    settings = seeded.settings.model_copy(
        update={"generator": seeded.settings.generator.model_copy(update=generator)})
    return build_pipeline(settings, embedder=seeded.embedder)


def sse_events(text: str) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a Server-Sent Events body."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def run_cli(*args: str, data_dir: Path, netlog: Path) -> subprocess.CompletedProcess:
    """The ``rag`` command in a subprocess with the network guard, HF_* variables unset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(PYTHONPATH=str(SUPPORT), RAG_NETLOG=str(netlog), RAG_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True,
                          text=True, env=env, timeout=600, cwd=ROOT)
