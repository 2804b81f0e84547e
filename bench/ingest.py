"""Ingestion throughput: our ingest against the raw encoder and a plain llama-index pipeline.

Three systems do the same job on the same corpus, each into its own fresh data directory, with
one model loaded (and warmed) before anything is timed:

- ``ours``: ``IngestService.sync`` as ``rag ingest`` runs it (load, clean, chunk, embed, Chroma,
  manifest, near-duplicates, BM25), built by ``rag.factory.build_pipeline``.
- ``raw_encoder``: the bare encoder our embedder runs (``raw_encode``: the same backend and
  precision, e.g. ``SentenceTransformer.encode`` under its autocast or the ONNX session), same
  batch size, over exactly the chunk texts ``ours`` stored; only the encode is timed. No
  ingest can beat it, so ``ours / raw`` says how much of the time goes to anything else.
- ``llama_index``: ``SimpleDirectoryReader`` -> ``IngestionPipeline`` (``SentenceSplitter`` at our
  chunk size and overlap, counted in the same model's word pieces; the same model wrapped as a
  llama-index embedding with our batch size) -> ``ChromaVectorStore`` in a temp
  ``PersistentClient``. (llama-index's HuggingFace embedding package is not installed here; it
  would wrap the same ``SentenceTransformer``.)
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.report import BenchResult, Goal
from index.embedder import SentenceTransformerEmbedder
from index.store import make_client
from rag.settings import Settings

SYSTEMS = ("ours", "raw_encoder", "llama_index")


@dataclass(frozen=True)
class IngestRun:
    system: str
    repeat: int
    order: int  # position within its repeat
    chunks: int
    seconds: float
    documents: int
    failed: int = 0


def _ours(settings: Settings, embedder: SentenceTransformerEmbedder, corpus: Path,
          data_dir: Path) -> tuple[float, int, int, int, list[str]]:
    from rag.factory import build_pipeline

    pipeline = build_pipeline(settings.model_copy(update={"data_dir": data_dir}),
                              embedder=embedder)
    started = time.perf_counter()
    report = pipeline.ingest.sync(corpus)
    seconds = time.perf_counter() - started
    docs = pipeline.store.documents()
    chunks = sorted(pipeline.store.committed_chunks(docs), key=lambda c: (c.doc_id, c.index))
    return seconds, report.chunks_written, len(docs), len(report.failed), [c.text for c in chunks]


def _raw(embedder: SentenceTransformerEmbedder, texts: list[str]) -> float:
    """The bare encode on the path our ingest uses (same backend and precision)."""
    started = time.perf_counter()
    embedder.raw_encode(texts)
    return time.perf_counter() - started


def _llama_index(settings: Settings, embedder: SentenceTransformerEmbedder, corpus: Path,
                 data_dir: Path) -> tuple[float, int, int]:
    """``embedder`` here is the model at llama-index's own default, float32 (its HuggingFace
    embedding runs sentence-transformers without autocast)."""
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.retrieval import llama_embedding

    client = make_client("embedded", data_dir)  # telemetry off, no default embedding function
    collection = client.get_or_create_collection("bench", embedding_function=None,
                                                 metadata={"hnsw:space": "cosine"})
    embed_model = llama_embedding(embedder)
    embed_model.embed_batch_size = embedder.batch_size
    c = settings.chunking
    started = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus), recursive=True).load_data()
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=c.chunk_size, chunk_overlap=c.chunk_overlap,
                                          tokenizer=embedder.tokenize, include_metadata=False),
                         embed_model],
        vector_store=ChromaVectorStore(chroma_collection=collection))
    nodes = pipeline.run(documents=documents)
    seconds = time.perf_counter() - started
    if collection.count() != len(nodes):
        raise RuntimeError(f"llama-index stored {collection.count()} of {len(nodes)} chunks")
    return seconds, len(nodes), len(documents)


def _median(runs: list[IngestRun], system: str, key: str) -> float:
    return statistics.median(getattr(r, key) for r in runs if r.system == system)


def derive(runs: list[IngestRun]) -> dict[str, Any]:
    """Per system: median seconds and chunks/s over repeats; then the ratios."""
    per = {}
    for system in SYSTEMS:
        rates = [r.chunks / r.seconds for r in runs if r.system == system]
        per[system] = {"seconds_median": round(_median(runs, system, "seconds"), 4),
                       "chunks_median": _median(runs, system, "chunks"),
                       "chunks_per_s_median": round(statistics.median(rates), 3)}
    ours, raw, li = (per[s] for s in SYSTEMS)
    return {
        **per,
        "ours_over_raw_throughput": round(ours["chunks_per_s_median"]
                                          / raw["chunks_per_s_median"], 4),
        "speedup_over_llama_index_seconds": round(li["seconds_median"]
                                                  / ours["seconds_median"], 4),
        "speedup_over_llama_index_throughput": round(ours["chunks_per_s_median"]
                                                     / li["chunks_per_s_median"], 4),
    }


def _encoders(settings: Settings, embedder: SentenceTransformerEmbedder | None
              ) -> tuple[SentenceTransformerEmbedder, SentenceTransformerEmbedder, float]:
    """Our encoder and the plain llama-index pipeline's, both warm, and the seconds taken."""
    from rag.factory import build_embedder

    load_started = time.perf_counter()
    if embedder is None:
        embedder = build_embedder(settings)
        assert isinstance(embedder, SentenceTransformerEmbedder)
    embedder.embed(["warm up the encoder"] * embedder.batch_size)
    # The plain llama-index pipeline runs the same model at its defaults: float32.
    plain = embedder if (embedder.backend, embedder.precision) == ("torch", "float32") else \
        SentenceTransformerEmbedder(settings.embedding.model, device=settings.embedding.device,
                                    batch_size=embedder.batch_size, precision="float32",
                                    backend="torch")
    plain.embed(["warm up the encoder"] * embedder.batch_size)
    return embedder, plain, time.perf_counter() - load_started


def _time_systems(settings: Settings, embedder: SentenceTransformerEmbedder,
                  plain: SentenceTransformerEmbedder, corpus: Path, workdir: Path,
                  repeats: int) -> tuple[list[IngestRun], list[str]]:
    """Every system's runs, and the chunk texts our ingest made."""
    runs: list[IngestRun] = []
    texts: list[str] = []
    for rep in range(repeats):
        # ``ours`` must run once before the raw encoder (whose input is the chunks ours made).
        order = SYSTEMS if rep % 2 == 0 else tuple(reversed(SYSTEMS))
        if not texts and order[0] != "ours":
            order = SYSTEMS
        for pos, system in enumerate(order):
            match system:
                case "ours":
                    secs, chunks, docs, failed, texts = _ours(
                        settings, embedder, corpus, workdir / f"ours-{rep}")
                    runs.append(IngestRun(system, rep, pos, chunks, secs, docs, failed))
                case "raw_encoder":
                    runs.append(IngestRun(system, rep, pos, len(texts), _raw(embedder, texts),
                                          0))
                case "llama_index":
                    secs, chunks, docs = _llama_index(settings, plain, corpus,
                                                      workdir / f"llama-{rep}")
                    runs.append(IngestRun(system, rep, pos, chunks, secs, docs))
    return runs, texts


def run_ingest(settings: Settings, corpus: Path, workdir: Path, repeats: int = 1,
               embedder: SentenceTransformerEmbedder | None = None) -> BenchResult:
    """Time the three systems ``repeats`` times, alternating their order every repeat."""
    corpus = Path(corpus).resolve()
    embedder, plain, load_seconds = _encoders(settings, embedder)
    runs, texts = _time_systems(settings, embedder, plain, corpus, workdir, repeats)
    derived = derive(runs)
    n_chars = sum(len(t) for t in texts)
    derived["distinct_chunk_texts"] = len(set(texts))
    result = BenchResult(
        name="ingest",
        params={"corpus": str(corpus), "repeats": repeats,
                "batch_size": embedder.batch_size,
                "chunk_size": settings.chunking.chunk_size,
                "chunk_overlap": settings.chunking.chunk_overlap,
                "embed_group_chunks": settings.ingest.embed_group_chunks,
                "model": embedder.model_id, "backend": embedder.backend,
                "precision": embedder.precision,
                "llama_index_precision": plain.precision},
        raw={"runs": [asdict(r) for r in runs], "model_load_and_warm_seconds":
             round(load_seconds, 3), "chunk_chars_total": n_chars},
        derived=derived,
        goals=[
            Goal("ingest.ours_over_raw_throughput", derived["ours_over_raw_throughput"], 0.90,
                 "higher", "x", "chunks/s of our ingest / chunks/s of the raw encoder on the "
                 f"ingest's path ({embedder.backend} {embedder.precision})", True),
            Goal("ingest.speedup_over_llama_index", derived["speedup_over_llama_index_seconds"],
                 1.5, "higher", "x", "llama-index pipeline seconds / our seconds, same corpus",
                 True),
        ],
    )
    for system in SYSTEMS:
        d = derived[system]
        result.rows.append((system, f"{d['chunks_median']:.0f} chunks in {d['seconds_median']:.2f}"
                            f" s = {d['chunks_per_s_median']:.1f} chunks/s"))
    if derived["llama_index"]["chunks_median"] != derived["ours"]["chunks_median"]:
        result.notes.append("llama-index cut a different number of chunks than ours (its "
                            "splitter sees uncleaned text); compare seconds, not only chunks/s")
    return result
