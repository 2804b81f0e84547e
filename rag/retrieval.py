"""Dense retrieval through llama-index over the Chroma store."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from index.embedder import Embedder
from index.store import ChromaStore, ScoredChunk, chunk_from_node
from rag.types import Passage


class Retriever(Protocol):
    def retrieve(self, question: str, query_vector: np.ndarray, top_k: int) -> list[Passage]: ...


def _llama_embedding(embedder: Embedder) -> Any:
    """Our embedder as a llama-index embed model, so llama-index never picks its remote default."""
    from llama_index.core.embeddings import BaseEmbedding

    class _Adapter(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()

    return _Adapter(model_name=embedder.model_id, embed_batch_size=64)


class DenseRetriever:
    """Top-k cosine retrieval. Over-fetches so that uncommitted versions can be dropped."""

    def __init__(self, store: ChromaStore, embedder: Embedder, overfetch: int = 3) -> None:
        from llama_index.core import VectorStoreIndex

        self._store = store
        self._overfetch = overfetch
        self._index = VectorStoreIndex.from_vector_store(
            store.vector_store, embed_model=_llama_embedding(embedder)
        )

    def retrieve(self, question: str, query_vector: np.ndarray, top_k: int) -> list[Passage]:
        from llama_index.core.schema import QueryBundle

        retriever = self._index.as_retriever(similarity_top_k=top_k * self._overfetch)
        bundle = QueryBundle(query_str=question, embedding=query_vector.tolist())
        results = retriever.retrieve(bundle)
        scored = [
            # Chroma returns cosine distance; llama-index turns it into exp(-distance).
            ScoredChunk(chunk_from_node(r.node), 1.0 + math.log(max(r.score or 1e-12, 1e-12)))
            for r in results
        ]
        visible = self._store.visible(scored)
        return [_passage(s) for s in visible[:top_k]]


def _passage(s: ScoredChunk) -> Passage:
    c = s.chunk
    return Passage(chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, text=c.text,
                   start=c.start, end=c.end, score=round(s.score, 6))


def top_score(passages: Sequence[Passage]) -> float:
    return max((p.score for p in passages), default=-1.0)
