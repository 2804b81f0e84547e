"""The store's writes: document versions, staged releases, publishing and garbage collection.

A version is written chunks first, its record last (:meth:`Staging.write_versions`), and no
reader sees it until a published release names it. A release is staged
(:class:`StagedRelease`, :meth:`Staging.begin_release` ... :meth:`Staging.finish_release`) and
published by one upsert of the pointer; :meth:`Staging.collect_garbage` removes the chunks and
version records no retained release needs.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.collections import DEFAULT
from index.errors import NotFoundError
from index.faults import checkpoint
from index.releases import LIVE, Manifest, Release, ReleaseLog
from index.store.records import GET_PAGE, DocumentRecord, version_id
from index.types import Chunk

_DELETE_BATCH = 100  # (doc id, hash) pairs per "$or" filter


@dataclass
class StagedRelease:
    """A release being written: its record (status ``staging``) and its manifest so far."""

    release: Release
    manifest: Manifest

    @property
    def release_id(self) -> str:
        return self.release.release_id

    def put(self, record: DocumentRecord) -> None:
        self.manifest[record.doc_id] = [record.content_hash, record.doc_id]

    def date(self, doc_id: str, date: str, source: str) -> None:
        """Date the committed version of ``doc_id`` in this release: for a version indexed
        before dates were kept, whose record (immutable, cached by every reader) has none."""
        entry = self.manifest[doc_id]
        self.manifest[doc_id] = [entry[0], entry[1], date, source]

    def remove(self, doc_id: str) -> None:
        if doc_id not in self.manifest:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        del self.manifest[doc_id]
        checkpoint("manifest_deleted")


class Staging:
    """Part of :class:`index.store.ChromaStore`: its writes."""

    name: str
    dimension: int
    vector_store: Any
    releases: ReleaseLog
    _client: Any
    _chunks: Any
    _docs: Any
    _count: tuple[int, float] | None
    _version_cache: dict[str, DocumentRecord]

    def stored_version(self, doc_id: str, content_hash: str) -> DocumentRecord | None:
        """The record of a version that is stored whole (its record and every chunk), e.g. one
        a retained release still names: a new release reuses it without re-embedding."""
        page = self._docs.get(ids=[version_id(doc_id, content_hash)], include=["metadatas"])
        if not page["ids"]:
            return None
        record = DocumentRecord.from_metadata(page["metadatas"][0])
        stored = self._chunks.get(where={"$and": [{"doc_id": doc_id},
                                                  {"doc_hash": content_hash}]}, include=[])
        return record if len(stored["ids"]) == record.chunk_count else None

    def write_version(self, record: DocumentRecord, chunks: Sequence[Chunk],
                      vectors: np.ndarray, text: str) -> None:
        """Store one document version (chunks, then its version record). Invisible to readers
        until a published release names it."""
        self.write_versions([(record, chunks, vectors, text)])

    def write_versions(self, versions: Sequence[tuple[DocumentRecord, Sequence[Chunk],
                                                      np.ndarray, str]]) -> None:
        """Store several document versions: every chunk of them in one write, then their
        version records in one write, so each version's record still follows all of its
        chunks (a version without its record is invisible, as in :meth:`write_version`). One
        Chroma call per group rather than per document: each call has a fixed cost (about
        30 ms here), which per document was the largest part of the ingest's time outside the
        encoder (docs/performance.md)."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        for record, chunks, vectors, _ in versions:
            if len(chunks) != len(vectors):
                raise ValueError("one vector per chunk is required")
        if not versions:
            return
        # Leftovers of an interrupted write of these same versions would collide on ids.
        pairs = [{"$and": [{"doc_id": record.doc_id}, {"doc_hash": record.content_hash}]}
                 for record, _, _, _ in versions]
        for i in range(0, len(pairs), _DELETE_BATCH):
            batch = pairs[i : i + _DELETE_BATCH]
            self._chunks.delete(where=batch[0] if len(batch) == 1 else {"$or": batch})
        nodes = [
            TextNode(
                id_=c.chunk_id,
                text=c.text,
                embedding=vector,
                # llama-index writes the source's id into the "doc_id" metadata key; make it ours.
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=c.doc_id)},
                metadata={
                    "doc_id": c.doc_id,
                    "doc_hash": c.doc_hash,
                    "title": c.title,
                    "start": c.start,
                    "end": c.end,
                    "chunk_index": c.index,
                    "dup_group": record.dup_group or record.doc_id,
                    **c.metadata,
                    "collection": record.collection or DEFAULT,
                },
            )
            for record, chunks, vectors, _ in versions
            for c, vector in zip(chunks, np.asarray(vectors).tolist())
        ]
        if nodes:
            self.vector_store.add(nodes)
        self._count = None  # the next count is read
        for _ in versions:  # each document's chunks are stored (crash tests stop here)
            checkpoint("chunks_written")
        self._docs.upsert(
            ids=[version_id(record.doc_id, record.content_hash) for record, _, _, _ in versions],
            embeddings=[_mean_vector(vectors, self.dimension) for _, _, vectors, _ in versions],
            metadatas=[{**record.to_metadata(), "kind": "version"}
                       for record, _, _, _ in versions],
            documents=[text for _, _, _, text in versions])
        for _ in versions:
            checkpoint("committed")

    def begin_release(self, scope: str = "the whole index", note: str = "") -> "StagedRelease":
        """Start a release from the published one (status ``staging``)."""
        base = self.releases.pointer()
        manifest = {d: list(e) for d, e in (self.releases.manifest(base) if base else {}).items()}
        release = self.releases.create(base=base, scope=scope, note=note)
        checkpoint("release_begun")
        return StagedRelease(release, manifest)

    def rebase(self, stage: "StagedRelease", outside: Callable[[str], bool]) -> None:
        """Take the documents ``outside`` accepts from the release published *now* rather than
        from the stage's base, so a scoped worker never reverts another partition's work."""
        current = self.releases.pointer()
        if current and current != stage.release.base:
            now = self.releases.manifest(current)
            kept = {d: e for d, e in stage.manifest.items() if not outside(d)}
            kept.update({d: list(e) for d, e in now.items() if outside(d)})
            stage.manifest = kept
            stage.release.base = current

    def finish_release(self, stage: "StagedRelease", summary: dict[str, Any]) -> Release:
        """Complete a staged release: its manifest and record are written (status ``staged``)."""
        records = self.version_records(stage.manifest)
        release = stage.release
        release.status = "staged"
        release.documents = len(stage.manifest)
        release.chunks = sum(r.chunk_count for r in records.values())
        release.summary = summary
        self.releases.save(release, stage.manifest)
        checkpoint("release_staged")
        return release

    def publish(self, release_id: str) -> Release:
        """Make ``release_id`` the published release (one upsert: the atomic switch)."""
        release = self.releases.get(release_id)
        self.releases.check_publishable(release)
        self.releases.manifest(release_id)
        self.releases.set_pointer(release_id)
        checkpoint("published")
        release.status = "published"
        release.published_at = time.time()
        release.is_published = True
        self.releases.save(release)
        return release

    def set_status(self, release: Release, status: str, gate: dict[str, Any] | None = None) -> None:
        release.status = status
        if gate is not None:
            release.gate = gate
        self.releases.save(release)

    def collect_garbage(self, owns: Callable[[str], bool] | None = None,
                        retain: int = 5, keep: Iterable[str] = ()) -> int:
        """Retire releases beyond the newest ``retain`` (never the published one, nor ``keep``),
        mark dead stagings abandoned, then delete the chunks and version records no retained
        release names; return how many chunks were deleted. Run under the write lock.

        Only chunks whose doc id ``owns`` accepts are considered, so a partitioned worker never
        removes the not-yet-committed chunks another worker is writing."""
        whole = owns is None  # only a whole-index writer retires releases
        owns = owns or (lambda doc_id: True)
        pointer = self.releases.pointer()
        keep = set(keep) | ({pointer} if pointer else set())
        releases = self.releases.list()
        for r in releases:
            if r.status == "staging" and r.release_id not in keep and whole:
                self.set_status(r, "abandoned")
        live = [r for r in releases if r.status in LIVE]
        newest = {r.release_id for r in live[-max(retain, 1):]}
        needed: set[tuple[str, str]] = set()
        for r in releases:
            if r.status == "staging" and r.release_id in keep:
                continue
            if r.release_id in keep or r.release_id in newest:
                if r.status in LIVE:
                    for d, entry in self.releases.manifest(r.release_id).items():
                        needed.add((d, entry[0]))
            elif r.status in LIVE | {"abandoned"} and whole:
                self.releases.drop_manifest(r)
                checkpoint("gc_release")
        if any(r.status == "staging" and r.release_id in keep for r in releases):
            return 0  # a release is being written: its versions are not in any manifest yet
        stale = [cid for cid, doc_id, doc_hash in self._chunk_versions()
                 if owns(doc_id) and (doc_id, doc_hash) not in needed]
        for i in range(0, len(stale), GET_PAGE):
            self._chunks.delete(ids=stale[i : i + GET_PAGE])
            self._count = None
            checkpoint("gc_chunks")
        versions = self._docs.get(include=["metadatas"])
        dead = [vid for vid, meta in zip(versions["ids"], versions["metadatas"] or [])
                if owns(str(meta["doc_id"])) and (
                    meta.get("kind") != "version"  # left by a migration killed part-way
                    or (str(meta["doc_id"]), str(meta["content_hash"])) not in needed)]
        if dead:
            self._docs.delete(ids=dead)
            for vid in dead:
                self._version_cache.pop(vid, None)
        return len(stale)

    def record_sync(self, summary: dict[str, Any]) -> None:
        """Remember when the last sync finished and what it did (``rag status``)."""
        self._docs.modify(metadata={"last_sync": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                    "last_sync_summary": json.dumps(summary)})

    def last_sync(self) -> str | None:
        """When the last sync finished (ISO 8601, UTC), as recorded by any writer."""
        fresh = self._client.get_collection(f"{self.name}__docs", embedding_function=None)
        value = (fresh.metadata or {}).get("last_sync")
        return str(value) if value else None

    def _chunk_versions(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, doc id, doc hash) of every stored chunk, committed or not, page by page."""
        offset = 0
        while True:
            page = self._chunks.get(include=["metadatas"], limit=GET_PAGE, offset=offset)
            for cid, meta in zip(page["ids"], page["metadatas"] or []):
                yield cid, str(meta.get("doc_id")), str(meta.get("doc_hash"))
            if len(page["ids"]) < GET_PAGE:
                return
            offset += GET_PAGE

    def stored_versions(self) -> Counter[tuple[str, str]]:
        """How many chunks are stored per (doc id, doc hash), including uncommitted ones."""
        return Counter((doc_id, doc_hash) for _, doc_id, doc_hash in self._chunk_versions())


def _mean_vector(vectors: np.ndarray, dimension: int) -> list[float]:
    if len(vectors) == 0:
        v = np.zeros(dimension, dtype=np.float32)
        v[0] = 1.0
        return v.tolist()
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean)) or 1.0
    return (mean / norm).tolist()
