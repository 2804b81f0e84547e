"""Step 2 of retrieval: the dense search, one object per path. :func:`dense_path` picks the path
of a question:

- :class:`ExactSearch`: few chunks (a filtered question's allowed ones, or a whole small
  release): their stored vectors scored here, no Chroma query;
- :class:`AmongSearch`: many allowed chunks the snapshot names: Chroma's query restricted to
  their ids, no metadata condition to evaluate;
- :class:`VisibleSearch`: Chroma's query with the scope's conditions, hits of versions the
  release does not name filtered out.

The two Chroma paths query through :class:`DenseSearch`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Protocol

import numpy as np

from index.snapshot import ReleaseSnapshot
from index.store import ChromaStore
from index.types import Chunk
from rag.retrieval.reads import ReleaseReads
from rag.retrieval.scope import Scope

Hit = tuple[Chunk, np.ndarray]  # a chunk and its stored (unit) vector
# How old a count of the stored chunks may be when sizing the dense fetch (this process's
# writes reset it; another process's are seen within this many seconds).
COUNT_MAX_AGE = 2.0


class DenseSearch:
    """Top-n cosine search of the chunk collection: Chroma's own query, each hit with its chunk
    and stored vector.

    llama-index writes the chunks (``ChromaVectorStore``); the query skips its retriever, which
    rebuilt a node from JSON for every hit (about 3 ms a query at 100k chunks, most of what it
    added to Chroma's own 4 ms) and returned no vectors (docs/performance.md). With ``held`` (a
    replica's snapshot) the query reads only hit ids (:meth:`ChromaStore.nearest_ids`): chunks
    and vectors come from the snapshot, what it lacks from one read by id
    (:meth:`ChromaStore.chunks_by_id`). A held chunk's metadata carries its release's
    near-duplicate group; a chunk read from Chroma, the group written with it."""

    def __init__(self, store: ChromaStore, held: ReleaseSnapshot | None = None) -> None:
        self._store = store
        self._held = held

    def search(self, query_vector: np.ndarray, n: int,
               allowed_doc_ids: Collection[str] | None,
               collections: Collection[str] | None = None) -> list[Hit]:
        """The ``n`` nearest chunks, best first. ``collections`` becomes a ``collection $in``
        condition of the Chroma query itself (ANDed with the ``doc_id $in`` one), so the
        nearest chunks are taken among allowed ones only."""
        conditions: list[dict[str, Any]] = []
        if collections is not None:
            conditions.append({"collection": {"$in": sorted(collections)}})
        if allowed_doc_ids is not None:
            conditions.append({"doc_id": {"$in": sorted(allowed_doc_ids)}})
        where = (None if not conditions else conditions[0] if len(conditions) == 1
                 else {"$and": conditions})
        return self._nearest(query_vector, n, where=where)

    def search_among(self, query_vector: np.ndarray, n: int,
                     chunk_ids: Sequence[str]) -> list[Hit]:
        """The ``n`` nearest of the chunks ``chunk_ids``: Chroma's query restricted to those
        ids (its HNSW search with an allowed-id set), with no metadata condition to evaluate."""
        return self._nearest(query_vector, n, ids=chunk_ids)

    def _nearest(self, query_vector: np.ndarray, n: int, where: dict[str, Any] | None = None,
                 ids: Sequence[str] | None = None) -> list[Hit]:
        held = self._held
        if held is None:
            return self._store.nearest(query_vector, n, where, ids)
        found = self._store.nearest_ids(query_vector, n, where, ids)
        chunks = {cid: chunk for cid in found if (chunk := held.chunk(cid)) is not None}
        vectors = held.vectors_of(found)
        missing = [cid for cid in found if cid not in chunks or cid not in vectors]
        for cid, (chunk, vector) in self._store.chunks_by_id(missing).items():
            chunks.setdefault(cid, chunk)
            vectors.setdefault(cid, vector)
        return [(chunks[cid], np.asarray(vectors[cid], dtype=np.float32)) for cid in found
                if cid in chunks and cid in vectors]


class DensePath(Protocol):
    queries_chroma: bool  # whether the search is a Chroma query (BM25 then runs beside it)

    def search(self, query_vector: np.ndarray, pool: int) -> list[Hit]: ...


class ExactSearch:
    """The ``pool`` nearest of ``chunks`` (all of the release's that may be found, so nothing
    is hidden), exact over their stored vectors: Chroma's filtered HNSW search is slowest when
    the allowed set is small, and even an unfiltered query costs ~1.5 ms at 20 chunks."""

    queries_chroma = False

    def __init__(self, chunks: Sequence[Chunk], reads: ReleaseReads) -> None:
        self._chunks = chunks
        self._reads = reads

    def search(self, query_vector: np.ndarray, pool: int) -> list[Hit]:
        vectors = self._reads.vectors([c.chunk_id for c in self._chunks])
        present = [c for c in self._chunks if c.chunk_id in vectors]
        if not present:
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        scores = np.stack([vectors[c.chunk_id] for c in present]) @ q
        best = np.lexsort((np.arange(len(present)), -scores))[:pool]  # ties: index order
        return [(present[i], vectors[present[i].chunk_id]) for i in best]


class AmongSearch:
    """The ``pool`` nearest of the allowed chunks ``chunk_ids`` (the release's, from its
    snapshot): Chroma's query restricted to their ids instead of evaluating a metadata
    condition (about 4x faster at 100k chunks: docs/performance.md)."""

    queries_chroma = True

    def __init__(self, chunk_ids: Sequence[str], query: DenseSearch) -> None:
        self._ids = chunk_ids
        self._query = query

    def search(self, query_vector: np.ndarray, pool: int) -> list[Hit]:
        return self._query.search_among(query_vector, pool, self._ids)


class VisibleSearch:
    """The ``pool`` nearest chunks of the release within the scope: Chroma's query carries the
    collection condition, and the document-id list only when another filter narrows further.
    Chunks of staged and retained releases share the collection, so up to three times the pool
    is fetched and filtered through the store's committed read."""

    queries_chroma = True

    def __init__(self, query: DenseSearch, store: ChromaStore, release: str | None,
                 scope: Scope) -> None:
        self._query = query
        self._store = store
        self._release = release
        self._scope = scope

    def search(self, query_vector: np.ndarray, pool: int) -> list[Hit]:
        store, release = self._store, self._release
        hidden = max(0, store.count_chunks(COUNT_MAX_AGE) - store.visible_chunks(release))
        fetch = pool + min(hidden, 2 * pool)
        found = self._query.search(query_vector, fetch, self._scope.dense_ids,
                                   self._scope.collections)
        if not hidden:
            return found[:pool]
        vectors = {c.chunk_id: v for c, v in found}
        return [(c, vectors[c.chunk_id])
                for c, _ in store.committed([c for c, _ in found], release)][:pool]


def dense_path(reads: ReleaseReads, scope: Scope, exact_max: int) -> DensePath:
    """The search of a question: over the release's snapshot where there is one (exact over
    at most ``exact_max`` chunks, else Chroma's query among the allowed chunks' ids), else
    Chroma's query with the scope's conditions."""
    query = DenseSearch(reads.store, reads.held)
    whole = reads.whole
    if whole is not None and scope.allowed is not None:
        among = whole.chunks_of(scope.allowed)
        if len(among) <= exact_max:
            return ExactSearch(among, reads)
        return AmongSearch([c.chunk_id for c in among], query)
    if whole is not None and len(whole.chunks) <= exact_max:
        return ExactSearch(whole.chunks, reads)
    return VisibleSearch(query, reads.store, reads.release, scope)
