"""The hybrid retriever: runs the steps of rag/retrieval/__init__.py in order."""

from __future__ import annotations

import functools
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from index import bm25
from index.embedder import Embedder
from index.replica import ReleaseReplica
from index.store import ChromaStore
from index.types import Chunk
from rag import time_scope
from rag.fusion import Candidate, chunk_shingles, collapse_duplicates, fuse
from rag.rerank import Reranker
from rag.shapes import versions
from rag.retrieval.config import RetrievalConfig
from rag.retrieval.dense import Hit, dense_path
from rag.retrieval.focus import focus_words, place, reread
from rag.retrieval.reads import ReleaseReads
from rag.retrieval.scope import Scope, resolve
from rag.retrieval.screen import harmless, screen
from rag.types import Passage, RetrievalFilters

OVERLAP_THREADS = 32  # dense queries in flight at once (one per question being retrieved)


class HybridRetriever:
    """Dense and BM25 candidates (one of them in dense or keyword mode) -> screen -> RRF ->
    committed only -> vectors -> rerank -> dedup. Every candidate's dense cosine is computed from
    its stored vector, whichever list found it. ``replica``: the release replica
    (index/replica.py), needed for BM25 and read for every fast path."""

    def __init__(self, store: ChromaStore, embedder: Embedder, config: RetrievalConfig,
                 replica: ReleaseReplica | None = None, reranker: Reranker | None = None) -> None:
        if config.mode not in ("dense", "keyword", "hybrid"):
            raise ValueError(f"unknown retrieval mode {config.mode!r}")
        if config.mode != "dense" and replica is None:
            raise ValueError(f"{config.mode} retrieval needs a keyword index")
        self._store = store
        # In dense mode a replica may still be kept for the reranker's statistics.
        self._replica = replica
        self._use_keyword = config.mode != "dense"
        self._use_dense = config.mode != "keyword"
        self._reranker = reranker
        self._config = config
        # near-duplicates compared by the terms the replica stored, when there is one
        self._shingles = replica.shingles if replica is not None else chunk_shingles
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
                 release: str | None = None, reread: bool = True) -> list[Passage]:
        candidates, reads, scope = self._gather(question, query_vector, top_k, filters, release)
        if self._reranker is not None:  # step 8
            candidates = self._reranker.rerank(question, query_vector, candidates)
        if self._config.time_scope:  # step 8b
            order = time_scope.prefer(time_scope.asked(question),
                                      [c.chunk.text for c in candidates],
                                      [c.period for c in candidates],
                                      [c.chunk.doc_id for c in candidates],
                                      [c.series for c in candidates])
            candidates = [candidates[i] for i in order]
        asked = time_scope.asked(question) if self._config.time_scope else None
        distinct = collapse_duplicates(candidates, self._config.duplicates, limit=top_k,
                                       shingles_of=self._shingles, scope=asked)  # step 9
        if self._config.time_scope and (asked is None or asked.latest):  # step 9b
            order = versions.newest_first([to_passage(c) for c in distinct])
            distinct = [distinct[i] for i in order]
        if reread and self._config.focus.enabled and distinct and reads is not None:  # step 10
            distinct = place(distinct, self._focused(question, query_vector, distinct, reads,
                                                     scope), top_k)
        return [to_passage(c) for c in distinct]

    def focus(self, question: str, top: Passage) -> tuple[str, ...]:
        """The question's words beyond naming ``top``'s document (rag/retrieval/focus.py): what
        the answer shapes judge a list's heading or a procedure's section by. () without a
        keyword index, or when the replica does not hold ``top``'s chunk."""
        if self._replica is None:
            return ()
        held = self._replica.latest()  # a chunk id names one version: any snapshot holding it
        row = held.row.get(top.chunk_id)
        if row is None:
            return ()
        return focus_words(held, question, held.chunks[row], self._config.focus)

    def candidates(self, question: str, query_vector: np.ndarray, top_k: int,
                   filters: RetrievalFilters | None = None,
                   release: str | None = None) -> list[Candidate]:
        """The fused candidates of the versions ``release`` (default: the published release)
        names, every one with its dense score (steps 1 to 7)."""
        return self._gather(question, query_vector, top_k, filters, release)[0]

    def _gather(self, question: str, query_vector: np.ndarray, top_k: int,
                filters: RetrievalFilters | None, release: str | None,
                ) -> tuple[list[Candidate], ReleaseReads | None, Scope]:
        """Steps 1 to 7, with the reads and the scope they were made under (reads None when
        nothing may be found)."""
        cfg = self._config
        reads = ReleaseReads(self._store, release or self._store.release_id(), self._replica)
        scope = resolve(filters, reads.documents)
        if scope is None:
            return [], None, Scope(allowed=set())
        dense, keyword = self._search(question, query_vector, max(cfg.pool, top_k), reads,
                                      scope)
        dense_chunks, keyword = screen([c for c, _ in dense], keyword, reads)
        candidates = self._committed(fuse(dense_chunks, keyword, cfg.rrf_k, cfg.dense_weight,
                                          cfg.keyword_weight), reads, scope.requested)
        self._fill_vectors(candidates, query_vector, {c.chunk_id: v for c, v in dense}, reads)
        return candidates, reads, scope

    def _focused(self, question: str, query_vector: np.ndarray, ranked: Sequence[Candidate],
                 reads: ReleaseReads, scope: Scope) -> list[Candidate]:
        """Step 10 (rag/retrieval/focus.py): the top passage's document's chunks that hold the
        question's focus and are not yet among ``ranked``, as candidates. Each is of a document
        the scope allows and goes through the committed read (the release's version, the
        requested collections) and the passage screen, as the searches' hits do."""
        held = reads.held
        top = ranked[0].chunk
        if held is None or (scope.allowed is not None and top.doc_id not in scope.allowed):
            return []
        present = {c.chunk.chunk_id for c in ranked}
        for c in ranked:
            present.update(v.chunk.chunk_id for v in c.versions)
        rule = self._config.focus
        _, hits = reread(held, question, top, present, rule, rule.passages)
        chunks = [h.chunk for h in hits]
        chunks = [c for c, ok in zip(chunks, harmless(chunks, reads)) if ok]
        added = self._committed([Candidate(c) for c in chunks], reads, scope.requested)
        self._fill_vectors(added, query_vector, {}, reads)
        return added

    def _search(self, question: str, query_vector: np.ndarray, pool: int, reads: ReleaseReads,
                scope: Scope) -> tuple[list[Hit], list[tuple[Chunk, float]]]:
        """Steps 2 and 3: the question's dense path and BM25 (over the replica's live version;
        the allowed documents mask it before its top k). When the dense search is a Chroma
        query it runs in a worker thread meanwhile: Chroma lets go of the interpreter lock while
        its Rust code searches (~0.5 ms a question less at 100k chunks: docs/performance.md)."""
        dense = dense_path(reads, scope, self._config.exact_max) if self._use_dense else None
        held = reads.held if self._use_keyword else None
        pending: Future[list[Hit]] | None = None
        found: list[Hit] = []
        if dense is not None and held is not None and dense.queries_chroma:
            pending = self._overlap().submit(functools.partial(dense.search, query_vector, pool))
        elif dense is not None:
            found = dense.search(query_vector, pool)
        keyword = ([(h.chunk, h.score) for h in bm25.search(held, question, pool, scope.allowed)]
                   if held is not None else [])
        if pending is not None:
            found = pending.result()
        return found, keyword

    def _overlap(self) -> ThreadPoolExecutor:
        """The threads dense queries run in while the asking thread runs BM25 (made at first
        use; one per question in flight, up to OVERLAP_THREADS)."""
        with self._overlap_lock:
            if self._overlap_pool is None:
                self._overlap_pool = ThreadPoolExecutor(OVERLAP_THREADS,
                                                        thread_name_prefix="dense-query")
            return self._overlap_pool

    @staticmethod
    def _committed(candidates: list[Candidate], reads: ReleaseReads,
                   collections: Collection[str] | None = None) -> list[Candidate]:
        """Step 6: drop chunks of uncommitted or replaced document versions (the committed-only
        read) and note each kept one's near-duplicate group and date. A chunk of a collection
        outside ``collections`` cannot arrive here (both searches exclude it); it is dropped
        anyway, before duplicates are collapsed, as a second line."""
        by_id = {c.chunk.chunk_id: c for c in candidates}
        kept = []
        for chunk, record in reads.committed([c.chunk for c in candidates]):
            if collections is not None and record.collection not in collections:
                continue
            candidate = by_id[chunk.chunk_id]
            candidate.group = record.dup_group or None
            candidate.date, candidate.date_source = record.date, record.date_source
            candidate.period = _period(record.extra)
            candidate.series = str((record.extra or {}).get("series", ""))
            kept.append(candidate)
        return kept

    @staticmethod
    def _fill_vectors(candidates: Sequence[Candidate], query_vector: np.ndarray,
                      known: dict[str, np.ndarray], reads: ReleaseReads) -> None:
        """Step 7: every candidate's stored vector (``known``: those the dense search read;
        the others in one batched read) and its cosine with the question, computed from them
        (both vectors are unit length)."""
        missing = [c.chunk.chunk_id for c in candidates if c.chunk.chunk_id not in known]
        vectors = {**known, **reads.vectors(missing)} if missing else known
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


def to_passage(c: Candidate) -> Passage:
    chunk = c.chunk
    return Passage(chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, title=chunk.title,
                   text=chunk.text, start=chunk.start, end=chunk.end,
                   score=round(c.dense if c.dense is not None else 0.0, 6), date=c.date,
                   date_source=c.date_source, page_start=_page(chunk, "page_start"),
                   page_end=_page(chunk, "page_end"), period=c.period, series=c.series,
                   versions=tuple(to_passage(v) for v in c.versions))


def _page(chunk: Chunk, key: str) -> int:
    """A page number of the chunk's metadata (index/chunking.py writes them for PDFs); 0 when
    its format has no pages."""
    value = chunk.metadata.get(key, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _period(extra: dict[str, object] | None) -> tuple[int, int] | None:
    """The years a document's record says it covers (index/ingest.py), None when unknown."""
    value = (extra or {}).get("period")
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None


def top_score(passages: Sequence[Passage]) -> float:
    return max((p.score for p in passages), default=-1.0)
