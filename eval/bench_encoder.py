"""Encoder options side by side: throughput and retrieval at each precision, in one run.

For every precision (float32, bfloat16) the corpus is ingested into its own index with the
encoder at that precision, and then:

- throughput: ``SentenceTransformer.encode`` at that precision (the raw encoder, its autocast
  context) over the same chunk texts (the float32 index's, at most ``texts``), texts/s;
- agreement: the cosine of each text's vector to its float32 vector;
- retrieval: each question is embedded at the index's precision and retrieved by the default
  pipeline (``full``: dense + BM25, fusion, reranker) and by the vector search alone (``dense``);
  recall@5 and MRR of the gold documents (``eval.metrics``, as the eval reports them). A third
  pairing, the float32 index queried at bfloat16, says whether an existing index can be queried
  on the faster path.

Goals: recall@5 and MRR of every pairing within 0.005 of float32's (same questions, same run).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_report import BenchResult, Goal
from eval.dataset import load_qa
from eval.metrics import recall_at_k, reciprocal_rank
from index.embedder import SentenceTransformerEmbedder
from rag.settings import Settings

PRECISIONS = ("float32", "bfloat16")
TOLERANCE = 0.005
# (index precision, query precision)
PAIRINGS = (("float32", "float32"), ("bfloat16", "bfloat16"), ("float32", "bfloat16"))


def _embedders(settings: Settings, given: Any) -> dict[str, SentenceTransformerEmbedder]:
    e = settings.embedding
    out = {}
    for p in PRECISIONS:
        if given is not None and getattr(given, "precision", None) == p:
            out[p] = given
        else:
            out[p] = SentenceTransformerEmbedder(e.model, device=e.device,
                                                 batch_size=e.batch_size, precision=p)
    return out


def _raw_rate(embedder: SentenceTransformerEmbedder, texts: list[str]) -> tuple[float,
                                                                                  np.ndarray]:
    with embedder.precision_context():
        embedder.encoder.encode(texts[:embedder.batch_size], batch_size=embedder.batch_size,
                                show_progress_bar=False)  # warm
        started = time.perf_counter()
        vectors = embedder.encoder.encode(texts, batch_size=embedder.batch_size,
                                          normalize_embeddings=True, convert_to_numpy=True,
                                          show_progress_bar=False)
        seconds = time.perf_counter() - started
    vectors = np.asarray(vectors, dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return seconds, vectors


def _scores(pipeline: Any, dense: Any, items: list[Any], vectors: np.ndarray,
            depth: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for mode, retriever in (("full", pipeline.retriever), ("dense", dense.retriever)):
        r5, rr = [], []
        for item, vector in zip(items, vectors):
            ranked = [p.doc_id for p in retriever.retrieve(item.question, vector, depth)]
            r5.append(recall_at_k(ranked, list(item.doc_ids), 5))
            rr.append(reciprocal_rank(ranked, list(item.doc_ids)))
        out[mode] = {"recall_at_5": round(float(np.mean(r5)), 4),
                     "mrr": round(float(np.mean(rr)), 4), "questions": len(r5)}
    return out


def run_encoder(settings: Settings, corpus: Path, questions: Path, workdir: Path,
                max_texts: int = 1024, max_questions: int = 500,
                embedder: Any = None) -> BenchResult:
    from rag.factory import build_pipeline

    corpus = Path(corpus).resolve()
    embedders = _embedders(settings, embedder)
    items = [i for i in load_qa(questions) if i.answerable and i.doc_ids]
    if len(items) > max_questions:  # evenly spaced through the file
        step = len(items) / max_questions
        items = [items[int(i * step)] for i in range(max_questions)]
    depth = max(settings.retrieval.top_k, 10)
    pipelines, dense, ingest_seconds = {}, {}, {}
    for p, emb in embedders.items():
        s = settings.model_copy(update={"data_dir": workdir / f"index-{p}"})
        emb.embed(["warm up"] * emb.batch_size)
        pipelines[p] = build_pipeline(s, embedder=emb)
        started = time.perf_counter()
        pipelines[p].ingest.sync(corpus)
        ingest_seconds[p] = round(time.perf_counter() - started, 3)
        d = s.model_copy(update={"retrieval": s.retrieval.model_copy(
            update={"mode": "dense", "rerank": False})})
        dense[p] = build_pipeline(d, embedder=emb)
    base = pipelines["float32"]
    chunks = base.store.committed_chunks(base.store.documents())
    texts = [c.text for c in sorted(chunks, key=lambda c: (c.doc_id, c.index))][:max_texts]
    throughput, vectors = {}, {}
    for p, emb in embedders.items():
        seconds, vectors[p] = _raw_rate(emb, texts)
        throughput[p] = {"texts": len(texts), "seconds": round(seconds, 3),
                         "texts_per_s": round(len(texts) / seconds, 3)}
    cos = (vectors["float32"] * vectors["bfloat16"]).sum(axis=1)
    agreement = {"min": round(float(cos.min()), 6), "mean": round(float(cos.mean()), 6),
                 "p01": round(float(np.percentile(cos, 1)), 6)}
    qvec = {p: emb.embed([i.question for i in items]) for p, emb in embedders.items()}
    qcos = (qvec["float32"] * qvec["bfloat16"]).sum(axis=1)
    retrieval = {}
    for index_p, query_p in PAIRINGS:
        key = f"index_{index_p}__query_{query_p}"
        retrieval[key] = _scores(pipelines[index_p], dense[index_p], items, qvec[query_p],
                                 depth)
    ref = retrieval["index_float32__query_float32"]
    goals = []
    for key, res in retrieval.items():
        if key == "index_float32__query_float32":
            continue
        for mode in ("full", "dense"):
            for metric in ("recall_at_5", "mrr"):
                diff = round(abs(res[mode][metric] - ref[mode][metric]), 4)
                goals.append(Goal(f"encoder.{key}.{mode}.{metric}_abs_diff", diff, TOLERANCE,
                                  "lower", "", f"|{metric} - float32's|, {mode} retrieval, "
                                  f"{len(items)} questions", True))
    result = BenchResult(
        name="encoder",
        params={"corpus": str(corpus), "questions": str(Path(questions).resolve()),
                "max_texts": max_texts, "max_questions": max_questions,
                "batch_size": settings.embedding.batch_size, "model": base.embedder.model_id},
        raw={"ingest_seconds": ingest_seconds, "throughput": throughput,
             "chunk_cosine_bf16_vs_f32": [round(float(c), 6) for c in cos],
             "question_ids": [i.id for i in items]},
        derived={"texts_per_s": {p: t["texts_per_s"] for p, t in throughput.items()},
                 "bfloat16_speedup": round(throughput["bfloat16"]["texts_per_s"]
                                           / throughput["float32"]["texts_per_s"], 3),
                 "chunk_cosine": agreement,
                 "question_cosine": {"min": round(float(qcos.min()), 6),
                                     "mean": round(float(qcos.mean()), 6)},
                 "retrieval": retrieval},
        goals=goals,
    )
    for p in PRECISIONS:
        t = throughput[p]
        result.rows.append((f"encode {p}", f"{t['texts']} texts in {t['seconds']:.2f} s = "
                            f"{t['texts_per_s']:.1f} texts/s (ingest {ingest_seconds[p]:.1f} s)"))
    result.rows.append(("cosine bf16/f32", f"chunks min {agreement['min']:.5f} mean "
                        f"{agreement['mean']:.5f}; questions min {float(qcos.min()):.5f}"))
    for key, res in retrieval.items():
        result.rows.append((key, "  ".join(f"{m}: R@5 {r['recall_at_5']:.4f} MRR "
                                           f"{r['mrr']:.4f}" for m, r in res.items())))
    return result
