"""Our embedder as a llama-index embed model (eval/bench_ingest.py's llama-index ingest)."""

from __future__ import annotations

from typing import Any

from index.embedder import Embedder


def llama_embedding(embedder: Embedder) -> Any:
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
