"""Real servers for the job-queue tests, on 127.0.0.1 at free ports: ``redis-server`` (with an
append-only file, so a restart keeps the queue), ``chroma run`` and ``rag worker`` processes.
Imported by tests/index/test_queue.py and tests/cli/test_cluster_procfile.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers import ROOT, free_port

START_GUARD = 120.0  # a hang guard for start-up, not a timing assertion


class RedisServer:
    """Debian's redis-server in ``folder``; ``stop`` and ``start`` again keep its data."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/test.sh installs Debian's "
                               "redis-server)")
        self.binary = binary
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        import redis  # before the server starts: a missing package leaves no stray server

        log = open(self.folder / "redis.log", "a")
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.folder), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--protected-mode", "yes", "--daemonize", "no"],
            stdout=log, stderr=log, start_new_session=True)
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + START_GUARD
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {self.log()[-2000:]}")
            time.sleep(0.1)
        client.close()
        return self

    def kill(self) -> None:
        """Stop it at once (SIGKILL): what the append-only file holds is all that survives."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def log(self) -> str:
        return (self.folder / "redis.log").read_text(errors="replace")


class ChromaServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        chroma = Path(sys.executable).parent / "chroma"
        if not chroma.exists():
            raise RuntimeError("the chroma CLI (shipped with chromadb) is not installed")
        log = open(self.folder / "server.log", "w")
        self.proc = subprocess.Popen([str(chroma), "run", "--path", str(self.folder / "db"),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=log, stderr=log, start_new_session=True)
        wait_http(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", self.proc,
                  self.folder / "server.log")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def wait_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_GUARD
    while True:
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{url} did not come up: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def cluster_env(redis: RedisServer, chroma_port: int, collection: str, data_dir: Path,
                **extra: str) -> dict[str, str]:
    """The environment of a worker or coordinator: one Chroma server, one Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"RAG_STORE__MODE": "server", "RAG_STORE__HOST": "127.0.0.1",
                "RAG_STORE__PORT": str(chroma_port), "RAG_STORE__COLLECTION": collection,
                "RAG_QUEUE__BROKER_URL": redis.url, "RAG_DATA_DIR": str(data_dir),
                "RAG_CONFIG": os.environ.get("RAG_CONFIG", ""), "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT), **extra})
    return env


def start_worker(env: dict[str, str], log: Path, name: str) -> subprocess.Popen:
    """``rag worker`` in its own process group (so SIGKILL to the group kills the pool too)."""
    out = open(log, "w")
    return subprocess.Popen([sys.executable, "-m", "cli", "worker", "--name", f"{name}@%h",
                             "--loglevel", "INFO"], env=env, stdout=out, stderr=out,
                            cwd=ROOT, start_new_session=True)


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)
