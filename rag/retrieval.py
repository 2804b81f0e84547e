"""Retrieval: dense (Chroma's own query) and BM25 candidates, fused, reranked, deduplicated.

``Retriever.retrieve`` returns passages best first. ``Passage.score`` is always the cosine of the
question and the passage vectors (for keyword-only hits it is computed from the stored vector),
so downstream thresholds mean the same in every mode; the order is the retriever's.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from index.embedder import Embedder
from index.keyword import KeywordIndex
from index.store import ChromaStore, DocumentRecord
from index.types import Chunk
from rag.filters import allowed_documents
from rag.fusion import Candidate, DuplicateRule, chunk_shingles, collapse_duplicates, fuse
from rag.injection import hostile
from rag.rerank import Reranker
from rag.types import Passage, RetrievalFilters


class Retriever(Protocol):
    def retrieve(self, question: str, query_vector: np.ndarray, top_k: int,
                 filters: RetrievalFilters | None = None,
                 release: str | None = None) -> list[Passage]: ...

    def release_id(self) -> str | None:
        """The release a question asked now is answered from (index/releases.py)."""
        ...

    def release_date(self, release_id: str | None) -> str | None:
        """When that release's corpus state was made (ISO 8601), None when unknown."""
        ...


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


Hit = tuple[Chunk, np.ndarray]  # a chunk and its stored (unit) vector
# How old a count of the stored chunks may be when sizing the dense fetch (this process's
# writes reset it; another process's are seen within this many seconds).
COUNT_MAX_AGE = 2.0
OVERLAP_THREADS = 32  # dense queries in flight at once (one per question being retrieved)


class DenseSearch:
    """Top-n cosine search of the chunk collection: Chroma's own query
    (:meth:`ChromaStore.nearest`), each hit's stored vector read in the same call.

    llama-index writes the chunks (``ChromaVectorStore``); the query skips its retriever, which
    rebuilt a node from JSON for every hit (about 3 ms a query at 100k chunks, most of what it
    added to Chroma's own 4 ms) and returned no vectors, so the retriever read them again in a
    second call (docs/performance.md). ``known``: the chunks the caller holds by id (the
    keyword index's), so the query reads only the hits' ids and vectors; ``known_vectors``: the
    stored vectors the caller holds (the same copy's), so it reads only ids."""

    def __init__(self, store: ChromaStore,
                 known: Callable[[str], Chunk | None] | None = None,
                 known_vectors: Callable[[Sequence[str]], Mapping[str, np.ndarray]] | None = None
                 ) -> None:
        self._store = store
        self._known = known
        self._known_vectors = known_vectors

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
        return self._store.nearest(query_vector, n, where, known=self._known,
                                   known_vectors=self._known_vectors)

    def search_among(self, query_vector: np.ndarray, n: int,
                     chunk_ids: Sequence[str]) -> list[Hit]:
        """The ``n`` nearest of the chunks ``chunk_ids``: Chroma's query restricted to those
        ids (its HNSW search with an allowed-id set), with no metadata condition to evaluate."""
        return self._store.nearest(query_vector, n, ids=chunk_ids, known=self._known,
                                   known_vectors=self._known_vectors)


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


class HybridRetriever:
    """Dense and BM25 candidates (one of them in dense or keyword mode) -> RRF -> committed
    only -> rerank -> dedup. Every candidate's dense cosine is computed from its stored vector,
    whichever list found it."""

    def __init__(self, store: ChromaStore, embedder: Embedder, config: RetrievalConfig,
                 keyword: KeywordIndex | None = None, reranker: Reranker | None = None) -> None:
        if config.mode not in ("dense", "keyword", "hybrid"):
            raise ValueError(f"unknown retrieval mode {config.mode!r}")
        if config.mode != "dense" and keyword is None:
            raise ValueError(f"{config.mode} retrieval needs a keyword index")
        self._store = store
        self._dense = (DenseSearch(store, keyword.chunk, keyword.vectors) if keyword is not None
                       else DenseSearch(store))
        # In dense mode a keyword index may still be kept current for the reranker's statistics.
        self._keyword = keyword
        self._use_keyword = config.mode != "dense"
        self._use_dense = config.mode != "keyword"
        self._reranker = reranker
        self._config = config
        # near-duplicates compared by the terms the keyword index stored, when there is one
        self._shingles = keyword.shingles if keyword is not None else chunk_shingles
        self._overlap_lock = threading.Lock()
        self._overlap_pool: ThreadPoolExecutor | None = None

    @property
    def config(self) -> RetrievalConfig:
        return self._config

    def release_id(self) -> str | None:
        return self._store.release_id()

    def release_date(self, release_id: str | None) -> str | None:
        return self._store.release_date(release_id)

    def retrieve(self, question: str, query_vector: np.ndarray, top_k: int,
                 filters: RetrievalFilters | None = None,
                 release: str | None = None) -> list[Passage]:
        candidates = self.candidates(question, query_vector, top_k, filters, release)
        if self._reranker is not None:
            candidates = self._reranker.rerank(question, query_vector, candidates)
        distinct = collapse_duplicates(candidates, self._config.duplicates, limit=top_k,
                                       shingles_of=self._shingles)
        return [_passage(c) for c in distinct]

    def candidates(self, question: str, query_vector: np.ndarray, top_k: int,
                   filters: RetrievalFilters | None = None,
                   release: str | None = None) -> list[Candidate]:
        """The fused candidates of the versions ``release`` (default: the published release)
        names, every one with its dense score."""
        cfg = self._config
        release = release or self._store.release_id()
        if self._keyword is not None:
            self._keyword.ensure_current(self._store, release)
        allowed = None
        collections = None  # the condition the two searches carry
        requested = filters.collections if filters is not None else None
        if filters is not None and not filters.is_empty():
            if requested is not None and not requested:
                return []
            documents = (self._keyword.documents() if self._keyword is not None
                         else self._store.documents(release))
            if requested is not None and {d.collection for d in documents.values()} <= set(
                    requested):
                # Every document's collection is allowed (e.g. a key naming them all): the
                # condition would let everything through, and Chroma's metadata filter costs
                # far more than it does then; _committed still checks every candidate.
                filters = replace(filters, collections=None)
            if not filters.is_empty():
                allowed = allowed_documents(filters, documents)
                if not allowed:
                    return []
                collections = filters.collections
        pool = max(cfg.pool, top_k)
        dense_search: Callable[[], list[Hit]] | None = None
        queries_chroma = True  # the dense search is a Chroma query (not exact over the copy)
        if not self._use_dense:
            dense_search = None
        elif allowed is not None and self._keyword is not None:
            # The keyword index holds the release's chunks with their documents: the dense
            # search is restricted to the allowed chunks' ids instead of evaluating a metadata
            # condition in Chroma (about 4x faster at 100k chunks: docs/performance.md).
            among = self._keyword.chunks_of(allowed)
            queries_chroma = len(among) > cfg.exact_max
            dense_search = functools.partial(self._dense_among, query_vector, pool, among)
        elif (allowed is None and collections is None and self._keyword is not None
              and self._keyword.chunk_count() <= cfg.exact_max
              and (whole := self._keyword.release_chunks(release)) is not None):
            # A small release the keyword index holds whole: exact search over its stored
            # vectors, no Chroma query (~1.5 ms of fixed cost even at 20 chunks).
            queries_chroma = False
            dense_search = functools.partial(self._dense_among, query_vector, pool, whole)
        else:
            # The dense query carries the collection condition; the document-id list only when
            # another filter narrows further.
            dense_ids = None if filters is None or filters.only_collections() else allowed
            dense_search = functools.partial(self._dense_visible, query_vector, pool, dense_ids,
                                             release, collections)
        # BM25 masks the allowed documents before its top k.
        keyword_search = (functools.partial(self._keyword.search, question, pool, allowed)
                          if self._keyword is not None and self._use_keyword else None)
        pending = None
        if dense_search is not None and keyword_search is not None and queries_chroma:
            # Chroma's query lets go of the interpreter lock while its Rust code searches: BM25
            # runs meanwhile (~0.5 ms a question less at 100k chunks: docs/performance.md).
            pending = self._overlap().submit(dense_search)
        elif dense_search is not None:
            dense = dense_search()
        keyword = ([(h.chunk, h.score) for h in keyword_search()]
                   if keyword_search is not None else [])
        if pending is not None:
            dense = pending.result()
        elif dense_search is None:
            dense = []
        # Passages that only give the model orders take no place (rag.injection), before the
        # ranks are fused: the others keep the ranks they would have without them.
        vectors = {c.chunk_id: v for c, v in dense}
        dense_chunks = [c for c, _ in dense]
        dense_chunks = [c for c, ok in zip(dense_chunks, self._harmless(dense_chunks)) if ok]
        keyword = [hit for hit, ok in zip(keyword, self._harmless([c for c, _ in keyword]))
                   if ok]
        candidates = self._committed(fuse(dense_chunks, keyword, cfg.rrf_k, cfg.dense_weight,
                                          cfg.keyword_weight), release, requested)
        self._fill_vectors(candidates, query_vector, vectors)
        return candidates

    def _overlap(self) -> ThreadPoolExecutor:
        """The threads dense queries run in while the asking thread runs BM25 (made at first
        use; one per question in flight, up to OVERLAP_THREADS)."""
        with self._overlap_lock:
            if self._overlap_pool is None:
                self._overlap_pool = ThreadPoolExecutor(OVERLAP_THREADS,
                                                        thread_name_prefix="dense-query")
            return self._overlap_pool

    def _harmless(self, chunks: Sequence[Chunk]) -> list[bool]:
        """Whether each of ``chunks`` may take a place (not rag.injection.hostile): the keyword
        index's stored verdict where it has one (judged once per version), else judged here."""
        flags = (self._keyword.flags([c.chunk_id for c in chunks]) if self._keyword is not None
                 else [None] * len(chunks))
        return [not (hostile(c.text, c.title) if flag is None else flag)
                for c, flag in zip(chunks, flags)]

    def _dense_among(self, query_vector: np.ndarray, pool: int,
                     chunks: Sequence[Chunk]) -> list[Hit]:
        """The ``pool`` nearest of ``chunks`` (all of the read release, so nothing is hidden):
        exact over their stored vectors when there are few, else Chroma's id-restricted query."""
        if len(chunks) > self._config.exact_max:
            return self._dense.search_among(query_vector, pool, [c.chunk_id for c in chunks])
        vectors = self._stored_vectors([c.chunk_id for c in chunks])
        present = [c for c in chunks if c.chunk_id in vectors]
        if not present:
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        scores = np.stack([vectors[c.chunk_id] for c in present]) @ q
        best = np.lexsort((np.arange(len(present)), -scores))[:pool]  # ties: index order
        return [(present[i], vectors[present[i].chunk_id]) for i in best]

    def _dense_visible(self, query_vector: np.ndarray, pool: int,
                       allowed: Collection[str] | None, release: str | None,
                       collections: Collection[str] | None = None) -> list[Hit]:
        """The ``pool`` nearest chunks of the release: chunks of staged and retained releases
        share the collection, so up to three times the pool is fetched and filtered."""
        hidden = max(0, self._store.count_chunks(COUNT_MAX_AGE)
                     - self._store.visible_chunks(release))
        fetch = pool + min(hidden, 2 * pool)
        found = self._dense.search(query_vector, fetch, allowed, collections)
        if not hidden:
            return found[:pool]
        vectors = {c.chunk_id: v for c, v in found}
        return [(c, vectors[c.chunk_id])
                for c, _ in self._store.committed([c for c, _ in found], release)][:pool]

    def _committed(self, candidates: list[Candidate], release: str | None = None,
                   collections: Collection[str] | None = None) -> list[Candidate]:
        """Drop chunks of uncommitted or replaced document versions (the store's committed-only
        read) and note each kept one's near-duplicate group. A chunk of a collection outside
        ``collections`` cannot arrive here (both retrievers exclude it); it is dropped anyway,
        before duplicates are collapsed, as a second line."""
        by_id = {c.chunk.chunk_id: c for c in candidates}
        kept = []
        for chunk, record in self._committed_records([c.chunk for c in candidates], release):
            if collections is not None and record.collection not in collections:
                continue
            candidate = by_id[chunk.chunk_id]
            candidate.group = record.dup_group or None
            candidate.date, candidate.date_source = record.date, record.date_source
            kept.append(candidate)
        return kept

    def _committed_records(self, chunks: list[Chunk],
                           release: str | None) -> list[tuple[Chunk, DocumentRecord]]:
        """The store's committed-only read (ChromaStore.committed), answered from the keyword
        index's records when its live version is known to be ``release``'s (no read of
        records it has not cached: ~0.3 ms a question at 100k chunks)."""
        records = (self._keyword.release_documents(release)
                   if self._keyword is not None and release is not None else None)
        if records is None:
            return self._store.committed(chunks, release)
        return [(c, records[c.doc_id]) for c in chunks
                if c.doc_id in records and records[c.doc_id].content_hash == c.doc_hash]

    def _fill_vectors(self, candidates: Sequence[Candidate], query_vector: np.ndarray,
                      known: dict[str, np.ndarray]) -> None:
        """Every candidate's stored vector (``known``: those the dense search read; the
        others in one batched read) and its cosine with the question, computed from them (both
        vectors are unit length)."""
        missing = [c.chunk.chunk_id for c in candidates if c.chunk.chunk_id not in known]
        vectors = {**known, **self._stored_vectors(missing)} if missing else known
        held = []
        for c in candidates:
            c.vector = vectors.get(c.chunk.chunk_id)
            c.dense = 0.0
            if c.vector is not None:
                held.append(c)
        if held:
            cosines = np.stack([c.vector for c in held]) @ np.asarray(query_vector,
                                                                      dtype=np.float32)
            for c, cosine in zip(held, cosines.tolist()):
                c.dense = cosine


    def _stored_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``chunk_ids``: from the keyword index's copy of the release where
        it holds them (no Chroma read: ~1-2 ms at 100k chunks), the rest in one read by id."""
        found = self._keyword.vectors(chunk_ids) if self._keyword is not None else {}
        rest = [cid for cid in chunk_ids if cid not in found]
        return {**found, **self._store.chunk_vectors(rest)} if rest else found


def _passage(c: Candidate) -> Passage:
    chunk = c.chunk
    return Passage(chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, title=chunk.title,
                   text=chunk.text, start=chunk.start, end=chunk.end,
                   score=round(c.dense if c.dense is not None else 0.0, 6), date=c.date,
                   date_source=c.date_source)


def top_score(passages: Sequence[Passage]) -> float:
    return max((p.score for p in passages), default=-1.0)
