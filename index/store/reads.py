"""The store's reads: which release they are made at, its documents, chunks and vectors, the
nearest-neighbour query, and the caches that keep them cheap.

Every read is of one release: the pinned one (:meth:`Reads.pinned`) or else the published one.
A finished release never changes, nor does a version's record, so what is read of them is
cached (version records by id, the records of the last few releases read, each release's chunk
count); the count of stored chunks is cached for at most the age a caller allows.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from index.collections import CollectionRegistry
from index.errors import NotFoundError
from index.releases import Manifest, ReleaseLog
from index.store.records import GET_PAGE, DocumentRecord, version_id
from index.types import Chunk

if TYPE_CHECKING:
    from index.store.chroma_store import ChromaStore

RELEASES_REMEMBERED = 4  # finished releases whose documents' records stay in memory
_WHERE_BATCH = 500  # document ids per "$in" filter


class Reads:
    """Part of :class:`index.store.ChromaStore`: its reads and their caches."""

    _chunks: Any
    _docs: Any
    releases: ReleaseLog
    collections: CollectionRegistry

    def _start_caches(self) -> None:
        self._pinned: str | None = None
        self._version_cache: dict[str, DocumentRecord] = {}
        # Per finished release (its manifest never changes, nor does a version's record): the
        # records read of it so far, by doc id. The last few releases only.
        self._release_records: OrderedDict[str, dict[str, DocumentRecord]] = OrderedDict()
        self._visible: dict[str, int] = {}
        self._count: tuple[int, float] | None = None  # (chunks stored, when it was read)

    # ---- the release reads are made at ----------------------------------------------------

    def pinned(self, release_id: str) -> "ChromaStore":
        """The same index read at one release (e.g. a staged one the gate evaluates) instead of
        the published one. Shares the client and collections."""
        self.releases.manifest(release_id)  # NotFoundError for an unknown or collected one
        view = copy.copy(self)
        view._pinned = release_id
        return view

    @property
    def pinned_release(self) -> str | None:
        return self._pinned

    def release_id(self) -> str | None:
        """The release reads are made at: the pinned one, else the published one (one read)."""
        return self._pinned or self.releases.pointer()

    def release_date(self, release_id: str | None) -> str | None:
        """When ``release_id``'s corpus state was made (ISO 8601), None for none."""
        return self.releases.created_at(release_id) if release_id else None

    def _manifest(self, release: str | None = None) -> Manifest:
        rid = release or self.release_id()
        return self.releases.manifest(rid) if rid else {}

    def collection_counts(self, release: str | None = None) -> dict[str, int]:
        """Documents per collection in the release (every registered collection, even empty)."""
        counts = {name: 0 for name in self.collections.names()}
        for rec in self.documents(release).values():
            counts[rec.collection] = counts.get(rec.collection, 0) + 1
        return counts

    def version_records(self, manifest: Manifest,
                        doc_ids: Iterable[str] | None = None) -> dict[str, DocumentRecord]:
        """The records of ``manifest``'s versions (of ``doc_ids`` only, when given), each with
        the manifest's near-duplicate group."""
        wanted = sorted(manifest if doc_ids is None else
                        {d for d in doc_ids if d in manifest})  # per query: not O(manifest)
        records: dict[str, DocumentRecord] = {}
        missing = []
        for d in wanted:
            vid = version_id(d, manifest[d][0])
            rec = self._version_cache.get(vid)
            if rec is None:
                missing.append(vid)
            else:
                records[d] = rec
        for i in range(0, len(missing), _WHERE_BATCH):
            page = self._docs.get(ids=missing[i : i + _WHERE_BATCH], include=["metadatas"])
            for vid, meta in zip(page["ids"], page["metadatas"] or []):
                rec = DocumentRecord.from_metadata(meta)
                self._version_cache[vid] = rec
                records[rec.doc_id] = rec
        out = {}
        for d, rec in records.items():
            if d not in manifest or rec.content_hash != manifest[d][0]:
                continue
            group = manifest[d][1] or d
            if rec.dup_group != group:  # kept with this group: the next query copies nothing
                rec = self._version_cache[version_id(d, rec.content_hash)] = replace(
                    rec, dup_group=group)
            if len(manifest[d]) > 3 and not rec.date_source:  # dated by the release
                rec = replace(rec, date=manifest[d][2], date_source=manifest[d][3])
            out[d] = rec
        return out

    # ---- manifest (of the published release, or the pinned one) --------------------------

    def documents(self, release: str | None = None) -> dict[str, DocumentRecord]:
        """Every document of the release, by id."""
        return self.version_records(self._manifest(release))

    def document(self, doc_id: str, release: str | None = None) -> DocumentRecord:
        rec = self.records([doc_id], release).get(doc_id)
        if rec is None:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        return rec

    def document_text(self, doc_id: str, release: str | None = None) -> str:
        """The original text of a document of the release (offsets index into it)."""
        manifest = self._manifest(release)
        if doc_id not in manifest:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        page = self._docs.get(ids=[version_id(doc_id, manifest[doc_id][0])],
                              include=["documents"])
        if not page["ids"]:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        return page["documents"][0] or ""

    def committed_hashes(self, doc_ids: Iterable[str],
                         release: str | None = None) -> dict[str, str]:
        manifest = self._manifest(release)
        return {d: manifest[d][0] for d in set(doc_ids) if d in manifest}

    def records(self, doc_ids: Iterable[str],
                release: str | None = None) -> dict[str, DocumentRecord]:
        """The records of those of ``doc_ids`` that the release holds (every query asks this
        of its candidates' documents: a finished release's are remembered as read)."""
        rid = release or self.release_id()
        if not rid:
            return {}
        manifest = self.releases.manifest(rid)
        if not self.releases.finished(rid):
            return self.version_records(manifest, doc_ids)
        known = self._release_records.get(rid)
        if known is None:
            known = self._release_records[rid] = {}
            while len(self._release_records) > RELEASES_REMEMBERED:
                self._release_records.popitem(last=False)
        wanted = [d for d in dict.fromkeys(doc_ids) if d in manifest]
        missing = [d for d in wanted if d not in known]
        if missing:
            known.update(self.version_records(manifest, missing))
        return {d: known[d] for d in wanted if d in known}

    def count_chunks(self, max_age: float = 0.0) -> int:
        """Every stored chunk, of every retained release and of staged ones. ``max_age``: a
        count read at most that many seconds ago will do (Chroma's count grows with the
        collection: 9 ms at 100k chunks, more than its top-k query)."""
        now = time.monotonic()
        cached = self._count
        if cached is not None and max_age > 0 and now - cached[1] <= max_age:
            return cached[0]
        count = int(self._chunks.count())
        self._count = (count, now)
        return count

    def visible_chunks(self, release: str | None = None) -> int:
        """How many chunks the release's documents have (cached: a release never changes)."""
        rid = release or self.release_id()
        if rid is None:
            return 0
        count = self._visible.get(rid)
        if count is None:
            count = sum(r.chunk_count for r in self.documents(rid).values())
            self._visible[rid] = count
        return count

    # ---- chunks and vectors ----------------------------------------------------------------

    def document_chunks(self, doc_id: str, release: str | None = None) -> list[Chunk]:
        manifest = self._manifest(release)
        if doc_id not in manifest:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        committed, group = manifest[doc_id]
        page = self._chunks.get(where={"$and": [{"doc_id": doc_id}, {"doc_hash": committed}]},
                                include=["metadatas", "documents"])
        chunks = [
            _chunk_from(cid, text or "", {**meta, "dup_group": group or doc_id})
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"])
        ]
        return sorted(chunks, key=lambda c: c.index)

    def committed_chunks(self, doc_ids: Iterable[str], release: str | None = None) -> list[Chunk]:
        """The chunks of ``doc_ids`` in the release, read in batches (not one round trip per doc)."""
        ids = sorted(set(doc_ids))
        manifest = self._manifest(release)
        chunks: list[Chunk] = []
        for i in range(0, len(ids), _WHERE_BATCH):
            batch = ids[i : i + _WHERE_BATCH]
            offset = 0
            while True:
                page = self._chunks.get(where={"doc_id": {"$in": batch}},
                                        include=["metadatas", "documents"],
                                        limit=GET_PAGE, offset=offset)
                for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                    entry = manifest.get(str(meta.get("doc_id")))
                    if entry is not None and entry[0] == meta.get("doc_hash"):
                        chunks.append(_chunk_from(cid, text or "",
                                                  {**meta, "dup_group": entry[1] or meta["doc_id"]}))
                if len(page["ids"]) < GET_PAGE:
                    break
                offset += GET_PAGE
        return chunks

    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``chunk_ids`` (one batched read); missing ids are left out."""
        if not chunk_ids:
            return {}
        page = get_by_ids(self._chunks, chunk_ids, ["embeddings"])
        return {cid: np.asarray(vec, dtype=np.float32)
                for cid, vec in zip(page["ids"], page["embeddings"])}

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """Stored chunks with their vectors by id (one batched read), each chunk's metadata as
        written with it; ids whose record is gone (garbage-collected meanwhile) are left out."""
        if not chunk_ids:
            return {}
        page = get_by_ids(self._chunks, chunk_ids, ["documents", "metadatas", "embeddings"])
        return {cid: (_chunk_from(cid, text or "", dict(meta)), np.asarray(vec, dtype=np.float32))
                for cid, text, meta, vec in zip(page["ids"], page["documents"] or [],
                                                page["metadatas"] or [], page["embeddings"])
                if meta and "doc_id" in meta and vec is not None}

    def nearest(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None,
                ids: Sequence[str] | None = None) -> list[tuple[Chunk, np.ndarray]]:
        """Chroma's own top-``n`` cosine query over the chunks (of every stored version: the
        caller keeps the committed ones), each hit with its text, metadata and stored vector
        from the same call. ``where``: a Chroma metadata condition; ``ids``: search only these
        chunks (Chroma's HNSW search with an allowed-id set)."""
        args = _query_args(vector, n, where, ids)
        if args is None:
            return []
        return hits_from_query(self._chunks.query(
            include=["documents", "metadatas", "embeddings"], **args))

    def nearest_ids(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None,
                    ids: Sequence[str] | None = None) -> list[str]:
        """The ids of :meth:`nearest`'s hits, best first, and nothing else read: for a caller
        that holds chunks and vectors by id (reading 30 hits' texts and metadata was most of
        the query's cost: at 100k chunks ~5 ms against ~2 ms for ids and vectors, ~0.6 ms less
        again for ids alone; docs/performance.md)."""
        args = _query_args(vector, n, where, ids)
        if args is None:
            return []
        result = self._chunks.query(include=[], **args)
        return list(result["ids"][0]) if result.get("ids") else []

    def committed(self, chunks: Sequence[Chunk],
                  release: str | None = None) -> list[tuple[Chunk, DocumentRecord]]:
        """The chunks of document versions the release names, in their order, each with its
        document's record. The one committed-only read: every query path filters its hits
        through it, so a staged, retired or half-written version is never seen."""
        records = self.records((c.doc_id for c in chunks), release)
        return [(c, records[c.doc_id]) for c in chunks
                if c.doc_id in records and records[c.doc_id].content_hash == c.doc_hash]


def hits_from_query(result: Mapping[str, Any]) -> list[tuple[Chunk, np.ndarray]]:
    """The (chunk, stored vector) pairs of a one-vector Chroma query (``include`` documents,
    metadatas and embeddings), in order, leaving out those whose record was gone by the time
    Chroma read it: a chunk garbage-collected (a release retired past ``releases.retain``) while
    the query ran is found by the vector search but comes back with no metadata. It belongs to
    no retained release, so nothing can cite it. (Found by the soak, eval/soak.py: a KeyError
    'doc_id' and a 500 about once in 6,000 questions while releases were published and
    collected.)"""
    ids = result["ids"][0] if result.get("ids") else []
    if not ids:
        return []
    hits = []
    for cid, text, meta, vec in zip(ids, result["documents"][0], result["metadatas"][0],
                                    result["embeddings"][0]):
        if not meta or "doc_id" not in meta or vec is None:
            continue
        hits.append((_chunk_from(cid, text or "", dict(meta)),
                     np.asarray(vec, dtype=np.float32)))
    return hits


def _query_args(vector: np.ndarray, n: int, where: dict[str, Any] | None,
                ids: Sequence[str] | None) -> dict[str, Any] | None:
    """The arguments of a one-vector Chroma query for ``n`` hits (at most ``len(ids)``), None
    when it can find nothing."""
    if n <= 0 or (ids is not None and not ids):
        return None
    args: dict[str, Any] = {"query_embeddings": [np.asarray(vector, dtype=np.float32)]}
    if where:
        args["where"] = where
    if ids is not None:
        args["ids"] = list(ids)
        n = min(n, len(args["ids"]))
    args["n_results"] = n
    return args


def _chunk_from(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    known = {"doc_id", "doc_hash", "title", "start", "end", "chunk_index"}  # fields of Chunk
    extra = {k: v for k, v in meta.items() if k not in known and not k.startswith("_")
             and k not in {"document_id", "doc_id", "ref_doc_id"}}
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        doc_hash=str(meta["doc_hash"]),
        title=str(meta.get("title", "")),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        index=int(meta.get("chunk_index", 0)),
        metadata=extra,
    )


def get_by_ids(collection: Any, ids: Sequence[str], include: list[str]) -> dict[str, list]:
    """``collection.get(ids=ids, include=include)``, with ids deleted meanwhile left out.
    Embedded Chroma's Rust reader can fail a batched read by ids whose records a writer is
    deleting at that moment ("InternalError: Error executing plan: Internal error: Error
    finding id", seen under the soak's uploads and deletes) instead of returning the rest:
    then each id is read alone and the ones that fail are taken as gone, as a missing id is."""
    from chromadb.errors import InternalError

    try:
        return collection.get(ids=list(ids), include=include)
    except InternalError:
        pass
    out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    for cid in ids:
        try:
            one = collection.get(ids=[cid], include=include)
        except InternalError:
            continue
        out["ids"].extend(one["ids"])
        for key in include:
            out[key].extend(one[key] if one[key] is not None else [None] * len(one["ids"]))
    return out
