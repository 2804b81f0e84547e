"""The one place that builds the pipeline from settings. Nothing heavy happens at import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.chunking import Chunker
from index.cleaning import Cleaner
from index.embedder import Embedder, SentenceTransformerEmbedder
from index.ingest import IngestService
from index.lock import WriteLock
from index.store import ChromaStore, make_client
from rag.generators.base import Generator
from rag.generators.extractive import ExtractiveGenerator
from rag.prompts import load_prompts
from rag.retrieval import DenseRetriever
from rag.service import AnswerService
from rag.settings import Settings


@dataclass
class Pipeline:
    settings: Settings
    embedder: Embedder
    store: ChromaStore
    ingest: IngestService
    answers: AnswerService


def build_embedder(settings: Settings) -> Embedder:
    e = settings.embedding
    return SentenceTransformerEmbedder(e.model, device=e.device, batch_size=e.batch_size)


def build_store(settings: Settings, embedder: Embedder) -> ChromaStore:
    s = settings.store
    client: Any = make_client(s.mode, settings.data_dir, s.host, s.port, s.ssl, s.headers)
    return ChromaStore(client, s.collection, embedder.model_id, embedder.dimension)


def open_existing_store(settings: Settings) -> ChromaStore | None:
    """The configured index for inspection (no model loaded), or None if nothing is indexed."""
    s = settings.store
    client: Any = make_client(s.mode, settings.data_dir, s.host, s.port, s.ssl, s.headers)
    return ChromaStore.existing(client, s.collection)


def build_lock(settings: Settings) -> WriteLock:
    """The index's write lock (a local file lock; see index/lock.py)."""
    s = settings.store
    match s.mode:
        case "embedded":
            return WriteLock(settings.data_dir / "locks", s.collection, allow_partitions=False)
        case "server":
            name = f"{s.host}-{s.port}-{s.collection}"
            return WriteLock(settings.data_dir / "locks", name, allow_partitions=True)


def build_ingest(settings: Settings, store: ChromaStore, embedder: Embedder) -> IngestService:
    i = settings.ingest
    chunker = Chunker(settings.chunking.chunk_size, settings.chunking.chunk_overlap,
                      embedder.tokenize)
    return IngestService(
        store, embedder, chunker,
        Cleaner(i.boilerplate_patterns, i.block_start_patterns),
        lock=build_lock(settings),
        max_file_bytes=int(i.max_file_mb * 1_000_000),
        near_duplicate_threshold=i.near_duplicate_threshold,
        embed_group_chunks=i.embed_group_chunks,
    )


def build_generator(settings: Settings, embedder: Embedder) -> Generator:
    match settings.generator.name:
        case "extractive":
            return ExtractiveGenerator(embedder, max_sentences=settings.generator.max_sentences)


def build_pipeline(settings: Settings, embedder: Embedder | None = None) -> Pipeline:
    """Load the model (unless given one), open the store and wire every stage."""
    prompts = load_prompts(settings.generator.prompt_version)
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    ingest = build_ingest(settings, store, embedder)
    answers = AnswerService(
        embedder=embedder,
        retriever=DenseRetriever(store, embedder),
        generator=build_generator(settings, embedder),
        prompts=prompts,
        top_k=settings.retrieval.top_k,
        min_relevance=settings.retrieval.min_relevance,
        max_question_chars=settings.server.max_question_chars,
    )
    return Pipeline(settings, embedder, store, ingest, answers)
