"""What the store keeps about a document version, and the migrations of older indexes.

:class:`DocumentRecord` is one version's record in ``<name>__docs`` (id :func:`version_id`:
``doc_id@hash``) and its mapping to and from Chroma metadata. :class:`Migrations` brings an
index written before releases or before collections up to date when it is opened (both
idempotent: a crash part-way is finished by the next open).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from index.context import record_facts
from index.collections import DEFAULT, CollectionRegistry, stamp_default
from index.releases import Manifest, ReleaseLog

GET_PAGE = 5000  # records per paged read of a collection
PERIODS_STEP = ":periods-2"  # the migration that gave version records their period and series


@dataclass(frozen=True)
class DocumentRecord:
    """What the manifest knows about one committed document."""

    doc_id: str
    content_hash: str
    title: str
    source_path: str
    mtime: float
    chunk_count: int
    char_count: int
    format: str
    indexed_at: float
    extra: dict[str, Any] | None = None
    signature: str = ""  # near-duplicate MinHash (index.near_dup.Signature.encode())
    dup_group: str = ""  # id of the near-duplicate group (the smallest member's doc id)
    collection: str = DEFAULT  # index/collections.py; doc_id is the index-wide key
    date: str = ""  # ISO 8601: published or last updated (index.dates); empty before it existed
    date_source: str = ""  # metadata, text or file (only the first two are the document's word)
    # sha256 of the file's bytes (service/originals.py serves a file only when its bytes hash to
    # it); ``content_hash`` is the version hash, which also folds in how it was read and chunked
    file_hash: str = ""

    def to_metadata(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "content_hash": self.content_hash,
            "title": self.title,
            "source_path": self.source_path,
            "mtime": float(self.mtime),
            "chunk_count": int(self.chunk_count),
            "char_count": int(self.char_count),
            "format": self.format,
            "indexed_at": float(self.indexed_at),
            "extra": json.dumps(self.extra or {}),
            "signature": self.signature,
            "dup_group": self.dup_group or self.doc_id,
            "collection": self.collection or DEFAULT,
            "date": self.date,
            "date_source": self.date_source,
            "file_hash": self.file_hash,
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> "DocumentRecord":
        return cls(
            doc_id=str(meta["doc_id"]),
            content_hash=str(meta["content_hash"]),
            title=str(meta.get("title", "")),
            source_path=str(meta.get("source_path", "")),
            mtime=float(meta.get("mtime", 0.0)),
            chunk_count=int(meta.get("chunk_count", 0)),
            char_count=int(meta.get("char_count", 0)),
            format=str(meta.get("format", "text")),
            indexed_at=float(meta.get("indexed_at", 0.0)),
            extra=json.loads(str(meta.get("extra") or "{}")),
            signature=str(meta.get("signature") or ""),
            dup_group=str(meta.get("dup_group") or meta["doc_id"]),
            collection=str(meta.get("collection") or DEFAULT),
            date=str(meta.get("date") or ""),
            date_source=str(meta.get("date_source") or ""),
            # a record written before it existed: its version hash was its bytes' hash unless
            # context headers were on (then its original is refused as changed until re-indexed)
            file_hash=str(meta.get("file_hash") or meta["content_hash"]),
        )

def version_id(doc_id: str, content_hash: str) -> str:
    """The id of a document version's record in ``<name>__docs``."""
    return f"{doc_id}@{content_hash}"


class Migrations:
    """Part of :class:`index.store.ChromaStore`: run once by its constructor."""

    _chunks: Any
    _docs: Any
    releases: ReleaseLog
    collections: CollectionRegistry

    def _migrate(self) -> None:
        """An index written before releases existed: its manifest records become version
        records and the initial release, published. Idempotent, so a crash part-way is
        finished by the next open; readers see the old records until the pointer is set."""
        if self.releases.pointer() is not None:
            return
        legacy = self._legacy_records()
        if not legacy:
            return
        manifest: Manifest = {}
        for rid, meta, text, vector in legacy:
            rec = DocumentRecord.from_metadata(meta)
            self._docs.upsert(ids=[version_id(rec.doc_id, rec.content_hash)], embeddings=[vector],
                              metadatas=[{**rec.to_metadata(), "kind": "version"}],
                              documents=[text or ""])
            manifest[rec.doc_id] = [rec.content_hash, rec.dup_group or rec.doc_id]
        release = self.releases.create(base=None, scope="the whole index",
                                       note="initial release of an index built before releases")
        release.status = "published"
        release.published_at = time.time()
        release.documents = len(manifest)
        release.chunks = sum(int(m.get("chunk_count", 0)) for _, m, _, _ in legacy)
        self.releases.save(release, manifest)
        self.releases.set_pointer(release.release_id)
        self._docs.delete(ids=[rid for rid, _, _, _ in legacy])

    def _migrate_collections(self) -> None:
        """An index written before collections: every chunk and version record without a
        ``collection`` field is stamped ``default``, then the marker is written (idempotent:
        a crash part-way is finished by the next open)."""
        if self.collections.migrated():
            return
        stamp_default(self._chunks)
        stamp_default(self._docs)
        self.collections.mark_migrated()

    def _migrate_periods(self) -> None:
        """An index written before documents' periods were kept: every version record whose
        document states its period or series (index.context.record_facts, over the text the
        record holds) gets them in ``extra``, as ingest writes them now; then the marker.
        Idempotent."""
        if self.collections.migrated(PERIODS_STEP):
            return
        offset = 0
        while True:
            page = self._docs.get(where={"kind": "version"}, include=["metadatas", "documents"],
                                  limit=GET_PAGE, offset=offset)
            ids, metas = [], []
            for rid, meta, text in zip(page["ids"], page["metadatas"], page["documents"]):
                extra = json.loads(str(meta.get("extra") or "{}"))
                facts = record_facts(str(meta.get("title", "")), text or "",
                                     str(meta.get("doc_id", "")))
                if any(extra.get(k) != v for k, v in facts.items()):
                    ids.append(rid)
                    metas.append({"extra": json.dumps({**extra, **facts})})
            if ids:
                self._docs.update(ids=ids, metadatas=metas)
            if len(page["ids"]) < GET_PAGE:
                break
            offset += GET_PAGE
        self.collections.mark_migrated(PERIODS_STEP)

    def _legacy_records(self) -> list[tuple[str, dict[str, Any], str, Any]]:
        out = []
        offset = 0
        while True:
            page = self._docs.get(include=["metadatas", "documents", "embeddings"],
                                  limit=GET_PAGE, offset=offset)
            for i, rid in enumerate(page["ids"]):
                meta = page["metadatas"][i]
                if meta.get("kind") != "version":
                    out.append((rid, meta, page["documents"][i], page["embeddings"][i]))
            if len(page["ids"]) < GET_PAGE:
                return out
            offset += GET_PAGE
