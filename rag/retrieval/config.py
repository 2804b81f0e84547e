"""What a retriever is (:class:`Retriever`) and how the hybrid one is set
(:class:`RetrievalConfig`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rag.fusion import DuplicateRule
from rag.retrieval.focus import FocusRule
from rag.types import Passage, RetrievalFilters


class Retriever(Protocol):
    def retrieve(self, question: str, query_vector: np.ndarray, top_k: int,
                 filters: RetrievalFilters | None = None,
                 release: str | None = None, reread: bool = True) -> list[Passage]:
        """The ranked passages; ``reread``: with the focused re-read of the top document (when
        the retriever makes one)."""
        ...

    def focus(self, question: str, top: Passage) -> tuple[str, ...]:
        """The question's words beyond naming ``top``'s document (its title, file name, opening:
        rag/retrieval/focus.py), () when not known."""
        ...

    def release_id(self) -> str | None:
        """The release a question asked now is answered from (index/releases.py)."""
        ...

    def release_date(self, release_id: str | None) -> str | None:
        """When that release's corpus state was made (ISO 8601), None when unknown."""
        ...


@dataclass(frozen=True)
class RetrievalConfig:
    mode: str = "hybrid"  # "dense", "keyword" (BM25 only) or "hybrid"
    pool: int = 30  # candidates taken from each retriever
    rrf_k: float = 60.0
    # A filtered dense search over at most this many allowed chunks is exact: their stored
    # vectors are read by id and scored here (Chroma's filtered HNSW search is slowest when
    # the allowed set is small); so is an unfiltered one over a release this small.
    exact_max: int = 400
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    duplicates: DuplicateRule = DuplicateRule()
    time_scope: bool = True  # a question's period orders documents and passages (rag.time_scope)
    focus: FocusRule = FocusRule()  # the focused re-read (rag/retrieval/focus.py)
