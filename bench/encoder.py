"""Encoder options side by side: throughput and retrieval of each variant, in one run.

A variant is a backend and a precision: ``torch-float32`` (the reference), ``torch-bfloat16``,
``onnx-float32`` and ``onnx-int8`` (``--encoder-variants`` picks some). For each, the corpus is
ingested into its own index with that encoder, and then:

- throughput: the raw encoder of the variant (``raw_encode``: no lock, no coalescing) over the
  same chunk texts (the reference index's, at most ``texts``), texts/s;
- agreement: the cosine of each text's (and each question's) vector to its float32 vector;
- retrieval: each question is embedded by the index's variant and retrieved by the default
  pipeline (``full``: dense + BM25, fusion, reranker) and by the vector search alone (``dense``);
  recall@5 and MRR of the gold documents (``eval.metrics``, as the eval reports them). One more
  pairing per variant, the float32 index queried by that variant, says whether an existing index
  can be queried on the faster path.

Goals: recall@5 and MRR of every pairing within 0.005 of float32's (same questions, same run).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import BenchResult, Goal
from eval.dataset import load_qa
from eval.metrics import recall_at_k, reciprocal_rank
from index.embedder import SentenceTransformerEmbedder
from rag.settings import Settings

REFERENCE = "torch-float32"
VARIANTS = (REFERENCE, "torch-bfloat16", "onnx-float32", "onnx-int8")
TOLERANCE = 0.005


def parse_variants(text: str | None) -> tuple[str, ...]:
    """``--encoder-variants`` (comma separated); the reference is always included, first."""
    from index.errors import InputError

    wanted = [v.strip() for v in (text or ",".join(VARIANTS)).split(",") if v.strip()]
    unknown = [v for v in wanted if v not in VARIANTS]
    if unknown:
        raise InputError(f"unknown encoder variant {', '.join(unknown)}; choose from "
                         f"{', '.join(VARIANTS)}")
    return (REFERENCE, *dict.fromkeys(v for v in wanted if v != REFERENCE))


def _embedders(settings: Settings, given: Any,
               variants: tuple[str, ...]) -> dict[str, SentenceTransformerEmbedder]:
    from rag.factory import encoder_cache_dir

    e = settings.embedding
    out = {}
    for v in variants:
        backend, precision = v.split("-")
        if given is not None and (getattr(given, "backend", None),
                                  getattr(given, "precision", None)) == (backend, precision):
            out[v] = given
        else:
            out[v] = SentenceTransformerEmbedder(e.model, device=e.device,
                                                 batch_size=e.batch_size, precision=precision,
                                                 backend=backend,
                                                 cache_dir=encoder_cache_dir(settings))
    return out


def _raw_rate(embedder: SentenceTransformerEmbedder, texts: list[str]) -> tuple[float,
                                                                                  np.ndarray]:
    embedder.raw_encode(texts[:embedder.batch_size])  # warm
    started = time.perf_counter()
    vectors = embedder.raw_encode(texts)
    return time.perf_counter() - started, vectors


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


def _indexes(settings: Settings, corpus: Path, workdir: Path,
             embedders: dict[str, SentenceTransformerEmbedder]
             ) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    """The corpus ingested into an index per variant: each variant's default pipeline, its
    dense-only pipeline over the same index, and the seconds each ingest took."""
    from rag.factory import build_pipeline

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
    return pipelines, dense, ingest_seconds


def _cosines(vectors: dict[str, np.ndarray], qvec: dict[str, np.ndarray]
             ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Each variant's chunk and question vectors against float32's: cosine figures."""
    chunk_cos, question_cos = {}, {}
    for p in vectors:
        if p == REFERENCE:
            continue
        c = (vectors[REFERENCE] * vectors[p]).sum(axis=1)
        q = (qvec[REFERENCE] * qvec[p]).sum(axis=1)
        chunk_cos[p] = {"min": round(float(c.min()), 6), "mean": round(float(c.mean()), 6),
                        "p01": round(float(np.percentile(c, 1)), 6)}
        question_cos[p] = {"min": round(float(q.min()), 6), "mean": round(float(q.mean()), 6)}
    return chunk_cos, question_cos


def _goals(retrieval: dict[str, dict[str, dict[str, float]]], questions: int) -> list[Goal]:
    """Recall@5 and MRR of every pairing within ``TOLERANCE`` of float32's."""
    ref_key = f"index_{REFERENCE}__query_{REFERENCE}"
    ref = retrieval[ref_key]
    goals = []
    for key, res in retrieval.items():
        if key == ref_key:
            continue
        for mode in ("full", "dense"):
            for metric in ("recall_at_5", "mrr"):
                diff = round(abs(res[mode][metric] - ref[mode][metric]), 4)
                goals.append(Goal(f"encoder.{key}.{mode}.{metric}_abs_diff", diff, TOLERANCE,
                                  "lower", "", f"|{metric} - float32's|, {mode} retrieval, "
                                  f"{questions} questions", True))
    return goals


def run_encoder(settings: Settings, corpus: Path, questions: Path, workdir: Path,
                max_texts: int = 1024, max_questions: int = 500,
                embedder: Any = None, variants: tuple[str, ...] = VARIANTS) -> BenchResult:
    corpus = Path(corpus).resolve()
    embedders = _embedders(settings, embedder, variants)
    items = [i for i in load_qa(questions) if i.answerable and i.doc_ids]
    if len(items) > max_questions:  # evenly spaced through the file
        step = len(items) / max_questions
        items = [items[int(i * step)] for i in range(max_questions)]
    depth = max(settings.retrieval.top_k, 10)
    pipelines, dense, ingest_seconds = _indexes(settings, corpus, workdir, embedders)
    base = pipelines[REFERENCE]
    chunks = base.store.committed_chunks(base.store.documents())
    texts = [c.text for c in sorted(chunks, key=lambda c: (c.doc_id, c.index))][:max_texts]
    throughput, vectors = {}, {}
    for p, emb in embedders.items():
        seconds, vectors[p] = _raw_rate(emb, texts)
        throughput[p] = {"texts": len(texts), "seconds": round(seconds, 3),
                         "texts_per_s": round(len(texts) / seconds, 3)}
    qvec = {p: emb.embed([i.question for i in items]) for p, emb in embedders.items()}
    chunk_cos, question_cos = _cosines(vectors, qvec)
    pairings = [(p, p) for p in embedders] + [(REFERENCE, p) for p in embedders
                                              if p != REFERENCE]
    retrieval = {}
    for index_p, query_p in pairings:
        key = f"index_{index_p}__query_{query_p}"
        retrieval[key] = _scores(pipelines[index_p], dense[index_p], items, qvec[query_p],
                                 depth)
    ref_rate = throughput[REFERENCE]["texts_per_s"]
    result = BenchResult(
        name="encoder",
        params={"corpus": str(corpus), "questions": str(Path(questions).resolve()),
                "max_texts": max_texts, "max_questions": max_questions,
                "variants": list(embedders),
                "batch_size": settings.embedding.batch_size, "model": base.embedder.model_id},
        raw={"ingest_seconds": ingest_seconds, "throughput": throughput,
             "chunk_cosine_vs_float32": {p: [round(float(c), 6) for c in
                                             (vectors[REFERENCE] * vectors[p]).sum(axis=1)]
                                         for p in chunk_cos},
             "question_ids": [i.id for i in items]},
        derived={"texts_per_s": {p: t["texts_per_s"] for p, t in throughput.items()},
                 "speedup_over_float32": {p: round(t["texts_per_s"] / ref_rate, 3)
                                          for p, t in throughput.items()},
                 "chunk_cosine": chunk_cos, "question_cosine": question_cos,
                 "retrieval": retrieval},
        goals=_goals(retrieval, len(items)),
    )
    for p, t in throughput.items():
        result.rows.append((f"encode {p}", f"{t['texts']} texts in {t['seconds']:.2f} s = "
                            f"{t['texts_per_s']:.1f} texts/s, x{t['texts_per_s'] / ref_rate:.2f}"
                            f" (ingest {ingest_seconds[p]:.1f} s)"))
    for p, c in chunk_cos.items():
        result.rows.append((f"cosine {p}", f"chunks min {c['min']:.5f} mean {c['mean']:.5f}; "
                            f"questions min {question_cos[p]['min']:.5f} mean "
                            f"{question_cos[p]['mean']:.5f}"))
    for key, res in retrieval.items():
        result.rows.append((key, "  ".join(f"{m}: R@5 {r['recall_at_5']:.4f} MRR "
                                           f"{r['mrr']:.4f}" for m, r in res.items())))
    return result
