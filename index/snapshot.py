"""One release as the replica holds it (index/replica.py): :class:`ReleaseSnapshot`, immutable.

A snapshot holds the release's committed chunks and document records, the BM25 matrix of the
chunks (index/bm25.py), each chunk's analysed text as BM25 vocabulary ids (the reranker reads
where the question's terms sit instead of analysing texts per question), each chunk's stored
vector (retrieval reads it instead of asking Chroma) and the passage screen's verdict on each
chunk. A chunk id names one version of one document, so whatever a snapshot holds under an id is
what Chroma holds under it: reads keyed by chunk id are right from any snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from index.analysis import Analyzer, term_shingles, text_shingles
from index.bm25 import Bm25
from index.store import DocumentRecord
from index.types import Chunk


class TermHits(NamedTuple):
    """Where given (analysed) terms occur in given chunks: hit ``h`` is term ``term[h]`` (an
    index into the terms asked) at ``position[h]`` of chunk ``segment[h]`` (an index into the
    chunks asked), ordered by chunk then position. ``held[i]``: chunk ``i`` was looked at (a
    chunk not held has no hits here, which says nothing about its text)."""

    held: np.ndarray
    segment: np.ndarray
    position: np.ndarray
    term: np.ndarray


def record_version(record: DocumentRecord) -> str:
    """What must match for a document's indexed chunks and record to be current: its content
    hash, anything copied into its chunks' metadata after the commit (the near-duplicate group),
    its date (a release may date a version indexed before dates were kept) and its period (a
    migration gives one to a version indexed before periods were kept)."""
    extra = getattr(record, "extra", None) or {}
    period, series = extra.get("period"), extra.get("series")
    return (f"{record.content_hash}|{getattr(record, 'dup_group', '')}|"
            f"{getattr(record, 'date', '')}" + (f"|{period[0]}-{period[1]}" if period else "")
            + (f"|{series}" if series else ""))


def state_key(state: Mapping[str, str]) -> str:
    """A short digest of a manifest state (doc id -> version)."""
    h = hashlib.sha256()
    for doc_id in sorted(state):
        h.update(doc_id.encode())
        h.update(b"\0")
        h.update(state[doc_id].encode())
        h.update(b"\n")
    return h.hexdigest()[:20]


class ReleaseSnapshot:
    """One immutable version (nothing changes it once made; its arrays are read-only): chunks (in index order), their documents' records, the BM25
    matrix, each chunk's analysed text as term ids (``term_ids[offsets[i]:offsets[i + 1]]`` for
    chunk ``i``, ids of the BM25 vocabulary), each chunk's stored vector (row ``i``; None when
    the source gave none) and the screen's verdicts (``flags[i]`` true when chunk ``i`` is
    flagged; None without a screen). Arrays may be memory-mapped: pages of chunks no question
    reaches stay on disk."""

    def __init__(self, chunks: list[Chunk], documents: dict[str, DocumentRecord], bm25: Bm25,
                 analyzer: Analyzer, term_ids: np.ndarray, offsets: np.ndarray,
                 vectors: np.ndarray | None = None, flags: np.ndarray | None = None) -> None:
        if len(offsets) != len(chunks) + 1 or (len(chunks) and offsets[-1] != len(term_ids)):
            raise ValueError("the analysed terms do not match the chunks")
        if vectors is not None and (vectors.ndim != 2 or len(vectors) != len(chunks)):
            raise ValueError("the vectors do not match the chunks")
        if flags is not None and flags.shape != (len(chunks),):
            raise ValueError("the screen's verdicts do not match the chunks")
        self.vectors = vectors.view(np.ndarray) if vectors is not None else None
        self.chunks = chunks
        self.row = {c.chunk_id: i for i, c in enumerate(chunks)}  # chunk id -> its position
        # A plain array over a memory map: slicing a np.memmap makes a memmap object per slice.
        self.term_ids = term_ids.view(np.ndarray)
        self.offsets = offsets
        # Each distinct title's terms (a document's title is on every chunk of it): the
        # reranker's title feature, analysed once per version rather than per question.
        self.titles: dict[str, frozenset[str]] = {}
        for c in chunks:
            if c.title not in self.titles:
                self.titles[c.title] = frozenset(analyzer.terms(c.title))
        self.documents = documents
        self.state = {d.doc_id: d.content_hash for d in documents.values()}
        self.versions = {d.doc_id: record_version(d) for d in documents.values()}
        self.key = state_key(self.versions)
        self.bm25 = bm25
        # each vocabulary term's hash (by id): shingles of a chunk from its stored term ids
        vocab = bm25.vocab
        self.term_hash = np.zeros(bm25.vocab_size, dtype=np.int64)
        if vocab:
            self.term_hash[np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))] = (
                np.fromiter(map(hash, vocab), dtype=np.int64, count=len(vocab)))
        self.doc_order = sorted(documents)
        position = {d: i for i, d in enumerate(self.doc_order)}
        self.chunk_doc = np.fromiter((position[c.doc_id] for c in chunks), dtype=np.int64,
                                     count=len(chunks))
        self.analyzer = analyzer
        self.flags = flags.astype(bool, copy=False) if flags is not None else None
        self.flagged: frozenset[str] = (
            frozenset(chunks[i].chunk_id for i in np.flatnonzero(self.flags))
            if self.flags is not None else frozenset())
        for array in (self.vectors, self.term_ids, self.offsets, self.flags):
            if array is not None:
                array.flags.writeable = False  # never changed after it is made

    @classmethod
    def build(cls, chunks: list[Chunk], documents: dict[str, DocumentRecord],
              analyzer: Analyzer, k1: float, b: float, vectors: np.ndarray | None = None,
              flags: np.ndarray | None = None) -> "ReleaseSnapshot":
        analysed = [analyzer.terms(c.text) for c in chunks]
        # BM25 reads each chunk's header (its document's title, subject, period and headings:
        # index/context.py) with its text; the stored term ids, which the reranker's and the
        # selector's text features read, are the passage's own words only.
        headers = [analyzer.terms(str(c.metadata.get("context") or "")) for c in chunks]
        bm25, term_ids = Bm25.build(analysed, k1, b, headers)
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in analysed], out=offsets[1:])
        return cls(chunks, documents, bm25, analyzer, term_ids, offsets, vectors, flags)

    # ---- reads by chunk id (right from any snapshot: an id names one version's chunk) -----

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The chunk ``chunk_id``, None when this version has none by that id."""
        i = self.row.get(chunk_id)
        return None if i is None else self.chunks[i]

    def vectors_of(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors this version holds of ``chunk_ids`` (read-only rows)."""
        if self.vectors is None:
            return {}
        return {cid: self.vectors[i] for cid in chunk_ids
                if (i := self.row.get(cid)) is not None}

    def flags_of(self, chunk_ids: Sequence[str]) -> list[bool | None]:
        """The screen's verdict on each of ``chunk_ids``: None for a chunk this version lacks,
        and for all when it has no screen's verdicts."""
        if self.flags is None:
            return [None] * len(chunk_ids)
        row, flagged = self.row, self.flagged
        return [(cid in flagged) if cid in row else None for cid in chunk_ids]

    def shingles(self, chunk: Chunk) -> frozenset[int]:
        """The chunk's 3-grams of analysed terms (index.analysis.term_shingles), from the stored
        term ids when this version holds the chunk, else analysed here."""
        i = self.row.get(chunk.chunk_id)
        if i is None or self.chunks[i].text != chunk.text:
            return text_shingles(self.analyzer, chunk.text)
        ids = self.term_ids[self.offsets[i]:self.offsets[i + 1]]
        return term_shingles(self.term_hash[ids])

    def matches(self, q_terms: Sequence[str], chunk_ids: Sequence[str]) -> TermHits:
        """Every occurrence of one of ``q_terms`` in the analysed text of each of ``chunk_ids``
        this version holds, in one vectorised pass over their stored term ids."""
        rows = [self.row.get(cid) for cid in chunk_ids]
        held = np.fromiter((r is not None for r in rows), dtype=bool, count=len(rows))
        none = np.zeros(0, dtype=np.int64)
        vocab = self.bm25.vocab
        known = [(vocab[t], j) for j, t in enumerate(q_terms) if t in vocab]
        present = np.flatnonzero(held)
        if not known or not len(present):
            return TermHits(held, none, none, none)
        # vocabulary id -> 1 + index of the question term (0: not a question term); zeroed
        # pages cost nothing until written
        lookup = np.zeros(self.bm25.vocab_size, dtype=np.int32)
        lookup[[g for g, _ in known]] = [j + 1 for _, j in known]
        at = np.array([rows[i] for i in present], dtype=np.int64)
        starts = self.offsets[at]
        lengths = self.offsets[at + 1] - starts
        begin = np.cumsum(lengths) - lengths  # each chunk's first place in ``flat``
        flat = self.term_ids[np.repeat(starts - begin, lengths) + np.arange(int(lengths.sum()))]
        term = lookup[flat]
        where = np.flatnonzero(term)
        local = np.searchsorted(begin, where, side="right") - 1  # an empty chunk: skipped
        return TermHits(held, present[local], where - begin[local], term[where] - 1)

    # ---- reads of the version as a whole ---------------------------------------------------

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Inverse document frequency of each known term (the reranker's coverage feature)."""
        return self.bm25.idf(terms, len(self.chunks))

    def chunks_of(self, doc_ids: Collection[str]) -> list[Chunk]:
        """The chunks of ``doc_ids`` in this version, in index order."""
        position = {d: i for i, d in enumerate(self.doc_order)}
        wanted = np.zeros(len(self.doc_order), dtype=bool)
        wanted[[position[d] for d in doc_ids if d in position]] = True
        return [self.chunks[i] for i in np.flatnonzero(wanted[self.chunk_doc])]

    def doc_mask(self, doc_ids: Collection[str]) -> np.ndarray:
        """1.0 for each chunk of ``doc_ids``, 0.0 for the others (BM25's weight mask)."""
        allowed = np.zeros(len(self.doc_order), dtype=np.float32)
        position = {d: i for i, d in enumerate(self.doc_order)}
        for d in doc_ids:
            if d in position:
                allowed[position[d]] = 1.0
        return allowed[self.chunk_doc]

    def committed(self, chunks: Sequence[Chunk]) -> list[tuple[Chunk, DocumentRecord]]:
        """The store's committed-only read (index.store.ChromaStore.committed) of this
        version's release, from the records it holds: the chunks of document versions the
        release names, in their order, each with its document's record."""
        records = self.documents
        return [(c, records[c.doc_id]) for c in chunks
                if c.doc_id in records and records[c.doc_id].content_hash == c.doc_hash]
