"""Hybrid retrieval latency over a large index (default 100,000 chunks).

The index is built once per parameter set under ``data_dir/bench/retrieval-<key>/`` and reused:

1. The base corpus (default: covidqa's, real text) is ingested by ``IngestService.sync``, so
   its chunks and vectors are real and the benchmark's questions have their gold documents in
   the index.
2. The rest, up to ``chunks``, is derived from the base chunks without running the encoder
   (embedding 100k chunks with MiniLM on 2 cores takes hours): each synthetic chunk joins
   sentences drawn at random from three base chunks, shuffled, to about the length of its
   sources; its vector is the sources' vectors weighted by the characters each gave, plus a
   little Gaussian noise, normalised. Synthetic chunks are grouped ``DOC_CHUNKS`` to a document
   and written through ``ChromaStore.write_version`` as one release (chunks, version records,
   then the release is published), then
   the BM25 index is refreshed from the store, as after any ingest.

Then ``HybridRetriever.retrieve`` as the default settings configure it (dense + BM25, RRF, the
features reranker, dedup) is timed per question, and, in separate calls, its stages: dense search
(``DenseSearch``: Chroma's query reading the hits' ids, their texts and vectors from the
keyword index's copy), BM25 search, and ``candidates``
(both searches, fusion, the commit check and the stored-vector read); ``retrieve - candidates`` of the same question is the rerank
and dedup. The question's embedding is timed on its own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import BenchResult, Goal, fmt_ms, summarize
from eval.dataset import load_qa
from eval.runner import corpus_fingerprint, index_key
from index import bm25
from index.embedder import Embedder
from index.collections import key_for
from index.atomic_files import write_text_atomic
from index.store import ChromaStore, DocumentRecord
from index.types import Chunk
from rag.sentences import split_sentences
from rag.types import RetrievalFilters

GENERATOR_VERSION = 2  # bump when the synthetic chunks change (2: spread over collections)
DOC_CHUNKS = 50  # synthetic chunks per synthetic document
COLLECTIONS = 10  # synthetic documents go round robin into bench-0 .. bench-9
SOURCES = 3  # base chunks mixed into each synthetic chunk
NOISE = 0.02  # standard deviation of the noise added to each vector component
GOAL_CHUNKS = 100_000


@dataclass(frozen=True)
class BuiltIndex:
    data_dir: Path
    base_chunks: int
    synthetic_chunks: int
    build_seconds: float | None  # None: reused from an earlier run


def _base(store: ChromaStore) -> tuple[list[Chunk], np.ndarray]:
    docs = store.documents()
    chunks = sorted(store.committed_chunks(docs), key=lambda c: (c.doc_id, c.index))
    vectors = store.chunk_vectors([c.chunk_id for c in chunks])
    return chunks, np.stack([vectors[c.chunk_id] for c in chunks])


def _synthetic_chunk(rng: np.random.Generator, sentences: list[list[str]],
                     vectors: np.ndarray) -> tuple[str, np.ndarray]:
    sources = rng.choice(len(sentences), size=min(SOURCES, len(sentences)), replace=False)
    target = np.mean([sum(len(s) + 1 for s in sentences[i]) for i in sources])
    pool = [(s, i) for i in sources for s in sentences[i]]
    picked, length = [], 0
    for j in rng.permutation(len(pool)):
        if length >= target:
            break
        picked.append(pool[j])
        length += len(pool[j][0]) + 1
    weights = np.zeros(len(vectors), dtype=np.float32)
    for s, i in picked:
        weights[i] += len(s)
    vector = weights[sources] @ vectors[sources] / max(weights.sum(), 1.0)
    vector = vector + rng.normal(0.0, NOISE, size=vector.shape).astype(np.float32)
    return " ".join(s for s, _ in picked), vector / np.linalg.norm(vector)


def write_synthetic(store: ChromaStore, count: int, seed: int) -> int:
    """Derive ``count`` chunks from the store's committed chunks and commit them as documents."""
    base, vectors = _base(store)
    sentences = [[s.text for s in split_sentences(c.text)] or [c.text] for c in base]
    rng = np.random.default_rng(seed)
    written = 0
    for c in range(COLLECTIONS):
        store.collections.ensure(f"bench-{c}")
    stage = store.begin_release(note="synthetic benchmark chunks")
    for d in range(0, count, DOC_CHUNKS):
        n = min(DOC_CHUNKS, count - d)
        pieces = [_synthetic_chunk(rng, sentences, vectors) for _ in range(n)]
        text = "\n\n".join(t for t, _ in pieces)
        collection = f"bench-{(d // DOC_CHUNKS) % COLLECTIONS}"
        doc_id = key_for(collection, f"synthetic/{d // DOC_CHUNKS:06d}.txt")
        doc_hash = hashlib.sha256(text.encode()).hexdigest()
        title = base[int(rng.integers(len(base)))].title
        chunks, at = [], 0
        for j, (t, _) in enumerate(pieces):
            chunks.append(Chunk(f"{doc_id}#{doc_hash[:12]}#{j}", doc_id, doc_hash, title, t,
                                at, at + len(t), j))
            at += len(t) + 2
        record = DocumentRecord(doc_id=doc_id, content_hash=doc_hash, title=title,
                                source_path="", mtime=0.0, chunk_count=n, char_count=len(text),
                                format="text", indexed_at=time.time(),
                                collection=collection)
        store.write_version(record, chunks, np.stack([v for _, v in pieces]), text)
        stage.put(record)
        written += n
    release = store.finish_release(stage, {"added": written, "ids": {}})
    store.publish(release.release_id)  # one release for all of them
    return written


def build_index(settings: Any, embedder: Embedder, corpus: Path, chunks: int,
                seed: int) -> BuiltIndex:
    """The benchmark index for these parameters: reused when complete, else (re)built."""
    from rag.factory import build_pipeline

    key = hashlib.sha256(json.dumps(
        {"corpus": index_key(settings, corpus_fingerprint(corpus)), "chunks": chunks,
         "seed": seed, "generator": GENERATOR_VERSION, "doc_chunks": DOC_CHUNKS},
        sort_keys=True).encode()).hexdigest()[:16]
    data_dir = Path(settings.data_dir) / "bench" / f"retrieval-{key}"
    marker = data_dir / "COMPLETE.json"
    if marker.is_file():
        info = json.loads(marker.read_text())
        return BuiltIndex(data_dir, info["base_chunks"], info["synthetic_chunks"], None)
    shutil.rmtree(data_dir, ignore_errors=True)  # a build that did not finish
    started = time.perf_counter()
    pipeline = build_pipeline(settings.model_copy(update={"data_dir": data_dir}),
                              embedder=embedder)
    base = pipeline.ingest.sync(corpus).chunks_written
    synthetic = write_synthetic(pipeline.store, max(0, chunks - base), seed)
    if pipeline.keyword is not None:
        pipeline.keyword.refresh(pipeline.store)
    seconds = time.perf_counter() - started
    write_text_atomic(marker, json.dumps({"base_chunks": base, "synthetic_chunks": synthetic,
                                          "build_seconds": round(seconds, 1)}))
    return BuiltIndex(data_dir, base, synthetic, seconds)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


@dataclass
class _Probe:
    """What each question is timed against: the retriever and, in separate calls, its stages
    (the dense search as the retriever makes it, BM25, candidates), Chroma's own top-k query,
    and retrieval for a key of one collection and for a key naming every collection."""

    retriever: Any
    dense: Any
    keyword: Any
    chroma: Any
    top_k: int
    pool: int
    one: RetrievalFilters
    every: RetrievalFilters
    one_chunks: list[str]

    def time(self, q: str, v: np.ndarray, raw: dict[str, list[float]]) -> int:
        """Time question ``q`` (vector ``v``) into ``raw``; return the passages retrieved."""
        retriever, top_k, pool = self.retriever, self.top_k, self.pool
        t = time.perf_counter()
        results = len(retriever.retrieve(q, v, top_k))
        raw["retrieve"].append(_ms(t))
        t = time.perf_counter()  # Chroma's own top-k query (what issue 14 compares with)
        self.chroma.query(query_embeddings=[v.tolist()], n_results=top_k)
        raw["chroma_top_k"].append(_ms(t))
        t = time.perf_counter()
        self.dense.search(v, pool, None)
        raw["dense"].append(_ms(t))
        if self.keyword is not None:
            t = time.perf_counter()
            bm25.search(self.keyword.latest(), q, pool)
            raw["keyword"].append(_ms(t))
        t = time.perf_counter()
        retriever.candidates(q, v, top_k)
        raw["candidates"].append(_ms(t))
        t = time.perf_counter()
        retriever.retrieve(q, v, top_k, self.one)
        raw["retrieve_one_collection"].append(_ms(t))
        if self.one_chunks:  # the dense search retrieval makes for that key: restricted to ids
            t = time.perf_counter()
            self.dense.search_among(v, pool, self.one_chunks)
            raw["dense_one_collection"].append(_ms(t))
        t = time.perf_counter()  # the same with Chroma's metadata condition instead
        self.dense.search(v, pool, None, self.one.collections)
        raw["dense_one_collection_where"].append(_ms(t))
        t = time.perf_counter()
        retriever.retrieve(q, v, top_k, self.every)
        raw["retrieve_all_collections"].append(_ms(t))
        return results


def _probe(pipeline: Any, top_k: int, pool: int) -> _Probe:
    from rag.retrieval import DenseSearch

    keyword = pipeline.keyword
    # The dense search as the retriever makes it (hits' texts from the keyword index's copy).
    dense = DenseSearch(pipeline.store, keyword.latest() if keyword is not None else None)
    # A key for one of the 10 synthetic collections (about a tenth of the chunks), and a key
    # naming every collection (the filter is applied but lets everything through).
    one = RetrievalFilters(collections=("bench-0",))
    every = RetrievalFilters(collections=tuple(pipeline.store.collections.names()))
    # The chunks a bench-0 key may see, as retrieval finds them (the keyword index's release).
    one_docs = {d for d, r in pipeline.store.documents().items() if r.collection == "bench-0"}
    one_chunks = ([c.chunk_id for c in keyword.latest().chunks_of(one_docs)] if keyword is not None
                  else [])
    chroma = pipeline.store.vector_store.client  # the chunks' Chroma collection
    return _Probe(pipeline.retriever, dense, keyword, chroma, top_k, pool, one, every,
                  one_chunks)


def _time_questions(probe: _Probe, embedder: Embedder, questions: list[str],
                    warmup: int) -> tuple[dict[str, list[float]], int]:
    """Each question's embedding, then (after ``warmup`` retrievals) each question through
    ``probe``: the milliseconds of every measurement and the passages retrieved."""
    raw: dict[str, list[float]] = {k: [] for k in
                                   ("embed", "retrieve", "chroma_top_k", "dense", "keyword",
                                    "candidates",
                                    "retrieve_one_collection", "dense_one_collection",
                                    "dense_one_collection_where",
                                    "retrieve_all_collections")}
    vectors = []
    for q in questions:
        t = time.perf_counter()
        vectors.append(embedder.embed([q])[0])
        raw["embed"].append(_ms(t))
    for q, v in list(zip(questions, vectors))[:warmup]:
        probe.retriever.retrieve(q, v, probe.top_k)
    results = 0
    for q, v in zip(questions, vectors):
        results += probe.time(q, v, raw)
    raw["rerank_dedup"] = [r - c for r, c in zip(raw["retrieve"], raw["candidates"])]
    return raw, results


def run_retrieval(settings: Any, corpus: Path, qa: Path, chunks: int = GOAL_CHUNKS,
                  queries: int = 200, seed: int = 7, warmup: int = 5,
                  embedder: Embedder | None = None) -> BenchResult:
    from rag.factory import build_embedder, build_pipeline

    corpus = Path(corpus).resolve()
    embedder = embedder or build_embedder(settings)
    built = build_index(settings, embedder, corpus, chunks, seed)
    pipeline = build_pipeline(settings.model_copy(update={"data_dir": built.data_dir}),
                              embedder=embedder)
    top_k = settings.retrieval.top_k
    pool = max(settings.retrieval.candidates, top_k)
    items = load_qa(qa)
    questions = [items[i % len(items)].question for i in range(queries)]
    stored = pipeline.store.count_chunks()
    raw, results = _time_questions(_probe(pipeline, top_k, pool), embedder, questions, warmup)
    params = {"chunks": chunks, "queries": queries, "seed": seed, "warmup": warmup,
              "corpus": str(corpus), "qa": str(Path(qa).resolve()), "top_k": top_k,
              "pool": pool, "mode": settings.retrieval.mode,
              "rerank": settings.retrieval.rerank, "reranker": settings.retrieval.reranker}
    return _retrieval_result(params, built, stored, raw, results)


def _retrieval_result(params: dict[str, Any], built: BuiltIndex, stored: int,
                      raw: dict[str, list[float]], results: int) -> BenchResult:
    summaries = {k: summarize(v) for k, v in raw.items()}
    p95 = summaries["retrieve"].p95
    top_k = params["top_k"]
    result = BenchResult(
        name="retrieval",
        params=params,
        raw={"ms": {k: [round(x, 4) for x in v] for k, v in raw.items()},
             "chunks_stored": stored, "base_chunks": built.base_chunks,
             "synthetic_chunks": built.synthetic_chunks,
             "index_build_seconds": (None if built.build_seconds is None
                                     else round(built.build_seconds, 1)),
             "index_dir": str(built.data_dir), "passages_returned": results},
        derived={f"{k}_ms": vars(s) for k, s in summaries.items()},
        goals=[Goal("retrieval.p95_ms", p95, 50.0, "lower", "ms",
                    f"HybridRetriever.retrieve p95 at {GOAL_CHUNKS} chunks",
                    stored >= GOAL_CHUNKS),
               Goal("retrieval.filtered_p95_ms", summaries["retrieve_one_collection"].p95, 50.0,
                    "lower", "ms", f"retrieve p95 at {GOAL_CHUNKS} chunks, one collection of "
                    f"{COLLECTIONS}", stored >= GOAL_CHUNKS),
               Goal("retrieval.p95_vs_chroma_top_k",
                    p95 / max(summaries["chroma_top_k"].p95, 1e-9), 1.5, "lower", "x",
                    f"retrieve p95 / Chroma's own top-{top_k} query p95 over the same vectors, "
                    f"at {GOAL_CHUNKS} chunks", stored >= GOAL_CHUNKS)],
    )
    result.rows.append(("index", f"{stored} chunks ({built.base_chunks} real, "
                        f"{built.synthetic_chunks} synthetic)"
                        + ("" if built.build_seconds is None
                           else f", built in {built.build_seconds:.0f} s")))
    for k in raw:
        result.rows.append((k, fmt_ms(summaries[k])))
    result.notes.append("rerank_dedup = retrieve - candidates of the same question (separate "
                        "calls); the stages are timed in their own calls, after retrieve")
    return result
