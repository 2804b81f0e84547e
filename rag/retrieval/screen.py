"""Step 4 of retrieval: the injection screen. Passages that only give the model orders
(rag.injection) take no place, and they leave both lists before the ranks are fused, so the
others keep the ranks they would have without them."""

from __future__ import annotations

from collections.abc import Sequence

from index.types import Chunk
from rag.injection import hostile
from rag.retrieval.reads import ReleaseReads


def harmless(chunks: Sequence[Chunk], reads: ReleaseReads) -> list[bool]:
    """Whether each of ``chunks`` may take a place (not rag.injection.hostile): the replica's
    stored verdict where it has one (judged once per version), else judged here."""
    return [not (hostile(c.text, c.title) if flag is None else flag)
            for c, flag in zip(chunks, reads.flags(chunks))]


def screen(dense: Sequence[Chunk], keyword: Sequence[tuple[Chunk, float]],
           reads: ReleaseReads) -> tuple[list[Chunk], list[tuple[Chunk, float]]]:
    """The dense list and the keyword (chunk, BM25 score) list without hostile passages."""
    kept_dense = [c for c, ok in zip(dense, harmless(dense, reads)) if ok]
    kept_keyword = [hit for hit, ok in zip(keyword, harmless([c for c, _ in keyword], reads))
                    if ok]
    return kept_dense, kept_keyword
