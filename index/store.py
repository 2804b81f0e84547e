"""The Chroma store: chunk vectors plus a manifest of committed document versions.

Two collections per index:

- ``<name>``: one record per chunk (vector, cleaned text, doc id, doc hash, offsets), written and
  queried through llama-index's ``ChromaVectorStore``.
- ``<name>__docs``: one record per document (the manifest). A document version becomes visible
  only when its manifest record names its content hash, written *after* all of its chunks. Readers
  drop chunks whose hash is not the committed one, so a crash between the two writes leaves the
  old version answering, never a mix; the next sync deletes the orphans.

The chunk collection's metadata records the embedding model id and dimension; opening an index
built with another model raises :class:`IndexMismatchError`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexMismatchError, NotFoundError, StoreUnavailableError
from index.faults import checkpoint
from index.types import Chunk

SCHEMA_VERSION = 1
_GET_PAGE = 5000
_WHERE_BATCH = 500  # document ids per "$in" filter


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
        )


def make_client(mode: str, data_dir: Path, host: str = "127.0.0.1", port: int = 8001,
                ssl: bool = False, headers: dict[str, str] | None = None) -> Any:
    """A Chroma client with telemetry off: persistent under ``data_dir`` or HTTP to a server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "embedded":
        path = Path(data_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    try:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=headers or None,
                                   settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain exceptions when the server is down
        scheme = "https" if ssl else "http"
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {scheme}://{host}:{port}: {exc}. Start it with "
            "'chroma run --path DIR --port PORT' or fix RAG_STORE__HOST/RAG_STORE__PORT"
        ) from None


class ChromaStore:
    """Chunks and manifest of one index in Chroma. Safe to share between threads."""

    def __init__(self, client: Any, collection: str, model_id: str, dimension: int) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.name = collection
        self._client = client
        self.model_id = model_id
        self.dimension = dimension
        try:
            self._chunks = client.get_or_create_collection(
                collection,
                embedding_function=None,
                metadata={
                    "hnsw:space": "cosine",
                    "embedding_model": model_id,
                    "embedding_dim": dimension,
                    "schema_version": SCHEMA_VERSION,
                },
            )
            self._docs = client.get_or_create_collection(
                f"{collection}__docs", embedding_function=None
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {collection!r}: {exc}") from None
        meta = self._chunks.metadata or {}
        built_with = (meta.get("embedding_model"), meta.get("embedding_dim"))
        if built_with != (model_id, dimension):
            raise IndexMismatchError(
                f"the index {collection!r} was built with embedding model {built_with[0]!r} "
                f"(dimension {built_with[1]}), but the configured model is {model_id!r} "
                f"(dimension {dimension}). Set RAG_EMBEDDING__MODEL back to {built_with[0]!r}, "
                "or use a new collection (RAG_STORE__COLLECTION) or data directory to rebuild."
            )
        self.vector_store = ChromaVectorStore(chroma_collection=self._chunks)

    @classmethod
    def existing(cls, client: Any, collection: str) -> "ChromaStore | None":
        """Open an index for inspection without loading its model; None if there is none yet."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        try:
            meta = client.get_collection(collection, embedding_function=None).metadata or {}
        except ChromaNotFound:
            return None
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {collection!r}: {exc}") from None
        return cls(client, collection, str(meta.get("embedding_model")),
                   int(meta.get("embedding_dim") or 0))

    # ---- manifest -------------------------------------------------------------------------

    def documents(self) -> dict[str, DocumentRecord]:
        """Every committed document, by id."""
        records: dict[str, DocumentRecord] = {}
        offset = 0
        while True:
            page = self._docs.get(include=["metadatas"], limit=_GET_PAGE, offset=offset)
            for meta in page["metadatas"] or []:
                rec = DocumentRecord.from_metadata(meta)
                records[rec.doc_id] = rec
            if len(page["ids"]) < _GET_PAGE:
                return records
            offset += _GET_PAGE

    def document(self, doc_id: str) -> DocumentRecord:
        page = self._docs.get(ids=[doc_id], include=["metadatas"])
        if not page["ids"]:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        return DocumentRecord.from_metadata(page["metadatas"][0])

    def document_text(self, doc_id: str) -> str:
        """The original text of a committed document (offsets index into it)."""
        page = self._docs.get(ids=[doc_id], include=["documents"])
        if not page["ids"]:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        return page["documents"][0] or ""

    def committed_hashes(self, doc_ids: Iterable[str]) -> dict[str, str]:
        return {d: rec.content_hash for d, rec in self.records(doc_ids).items()}

    def records(self, doc_ids: Iterable[str]) -> dict[str, DocumentRecord]:
        """The manifest records of those of ``doc_ids`` that are committed (one read)."""
        ids = sorted(set(doc_ids))
        if not ids:
            return {}
        page = self._docs.get(ids=ids, include=["metadatas"])
        return {m["doc_id"]: DocumentRecord.from_metadata(m) for m in page["metadatas"] or []}

    def count_chunks(self) -> int:
        return int(self._chunks.count())

    # ---- writes ---------------------------------------------------------------------------

    def write_document(self, record: DocumentRecord, chunks: Sequence[Chunk],
                       vectors: np.ndarray, text: str) -> None:
        """Replace a document's committed version with ``chunks``, atomically for readers."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        # Leftovers of an interrupted write of this same version would collide on ids.
        self._chunks.delete(where={"$and": [{"doc_id": record.doc_id},
                                            {"doc_hash": record.content_hash}]})
        nodes = [
            TextNode(
                id_=c.chunk_id,
                text=c.text,
                embedding=vectors[i].tolist(),
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
                },
            )
            for i, c in enumerate(chunks)
        ]
        if nodes:
            self.vector_store.add(nodes)
        checkpoint("chunks_written")
        # The commit point: from here on readers see the new version.
        doc_vector = _mean_vector(vectors, self.dimension)
        self._docs.upsert(ids=[record.doc_id], embeddings=[doc_vector],
                          metadatas=[record.to_metadata()], documents=[text])
        checkpoint("committed")
        self._delete_other_versions(record.doc_id, keep=record.content_hash)

    def delete_document(self, doc_id: str) -> None:
        """Remove a document: manifest first (readers stop seeing it), then its chunks."""
        self.document(doc_id)  # raises NotFoundError
        self._docs.delete(ids=[doc_id])
        checkpoint("manifest_deleted")
        self._chunks.delete(where={"doc_id": doc_id})

    def set_dup_groups(self, groups: dict[str, str]) -> None:
        """Record each document's near-duplicate group in its manifest record and its chunks."""
        for doc_id, group in sorted(groups.items()):
            committed = self.committed_hashes([doc_id]).get(doc_id)
            if committed is None:
                continue  # deleted meanwhile
            ids = self._chunks.get(where={"$and": [{"doc_id": doc_id}, {"doc_hash": committed}]},
                                   include=[])["ids"]
            if ids:
                self._chunks.update(ids=ids, metadatas=[{"dup_group": group}] * len(ids))
            self._docs.update(ids=[doc_id], metadatas=[{"dup_group": group}])
            checkpoint("dup_group_set")

    def record_sync(self, summary: dict[str, Any]) -> None:
        """Remember when the last sync finished and what it did (``rag status``)."""
        self._docs.modify(metadata={"last_sync": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                    "last_sync_summary": json.dumps(summary)})

    def last_sync(self) -> str | None:
        """When the last sync finished (ISO 8601, UTC), as recorded by any writer."""
        fresh = self._client.get_collection(f"{self.name}__docs", embedding_function=None)
        value = (fresh.metadata or {}).get("last_sync")
        return str(value) if value else None

    def _delete_other_versions(self, doc_id: str, keep: str) -> None:
        self._chunks.delete(where={"$and": [{"doc_id": doc_id}, {"doc_hash": {"$ne": keep}}]})

    def collect_garbage(self, owns: Callable[[str], bool] = lambda doc_id: True) -> int:
        """Delete chunks of versions that were never committed (a crashed write); return count.

        Only chunks whose doc id ``owns`` accepts are considered, so a partitioned worker never
        removes the not-yet-committed chunks another worker is writing.
        """
        committed = {d.doc_id: d.content_hash for d in self.documents().values()}
        stale = [cid for cid, doc_id, doc_hash in self._chunk_versions()
                 if owns(doc_id) and committed.get(doc_id) != doc_hash]
        for i in range(0, len(stale), _GET_PAGE):
            self._chunks.delete(ids=stale[i : i + _GET_PAGE])
        return len(stale)

    def _chunk_versions(self) -> Iterator[tuple[str, str, str]]:
        """(chunk id, doc id, doc hash) of every stored chunk, committed or not, page by page."""
        offset = 0
        while True:
            page = self._chunks.get(include=["metadatas"], limit=_GET_PAGE, offset=offset)
            for cid, meta in zip(page["ids"], page["metadatas"] or []):
                yield cid, str(meta.get("doc_id")), str(meta.get("doc_hash"))
            if len(page["ids"]) < _GET_PAGE:
                return
            offset += _GET_PAGE

    # ---- reads ----------------------------------------------------------------------------

    def stored_versions(self) -> Counter[tuple[str, str]]:
        """How many chunks are stored per (doc id, doc hash), including uncommitted ones."""
        return Counter((doc_id, doc_hash) for _, doc_id, doc_hash in self._chunk_versions())

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        committed = self.committed_hashes([doc_id]).get(doc_id)
        if committed is None:
            raise NotFoundError(f"no document with id {doc_id!r} in the index")
        page = self._chunks.get(where={"$and": [{"doc_id": doc_id}, {"doc_hash": committed}]},
                                include=["metadatas", "documents"])
        chunks = [
            _chunk_from(cid, text or "", meta)
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"])
        ]
        return sorted(chunks, key=lambda c: c.index)

    def committed_chunks(self, doc_ids: Iterable[str]) -> list[Chunk]:
        """The committed chunks of ``doc_ids``, read in batches (not one round trip per doc)."""
        ids = sorted(set(doc_ids))
        committed = self.committed_hashes(ids)
        chunks: list[Chunk] = []
        for i in range(0, len(ids), _WHERE_BATCH):
            batch = ids[i : i + _WHERE_BATCH]
            offset = 0
            while True:
                page = self._chunks.get(where={"doc_id": {"$in": batch}},
                                        include=["metadatas", "documents"],
                                        limit=_GET_PAGE, offset=offset)
                for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                    if committed.get(str(meta.get("doc_id"))) == meta.get("doc_hash"):
                        chunks.append(_chunk_from(cid, text or "", meta))
                if len(page["ids"]) < _GET_PAGE:
                    break
                offset += _GET_PAGE
        return chunks

    def chunk_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``chunk_ids`` (one batched read); missing ids are left out."""
        if not chunk_ids:
            return {}
        page = self._chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: np.asarray(vec, dtype=np.float32)
                for cid, vec in zip(page["ids"], page["embeddings"])}

    def committed(self, chunks: Sequence[Chunk]) -> list[tuple[Chunk, DocumentRecord]]:
        """The chunks of committed document versions, in their order, each with its document's
        record (one manifest read). The one committed-only read: every query path filters its
        hits through it, so an uncommitted or replaced version is never seen (module docstring)."""
        records = self.records(c.doc_id for c in chunks)
        return [(c, records[c.doc_id]) for c in chunks
                if c.doc_id in records and records[c.doc_id].content_hash == c.doc_hash]


def chunk_from_node(node: Any) -> Chunk:
    """Convert a llama-index node read back from Chroma into our :class:`Chunk`."""
    return _chunk_from(node.node_id, node.get_content(), node.metadata)


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


def _mean_vector(vectors: np.ndarray, dimension: int) -> list[float]:
    if len(vectors) == 0:
        v = np.zeros(dimension, dtype=np.float32)
        v[0] = 1.0
        return v.tolist()
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean)) or 1.0
    return (mean / norm).tolist()


def now() -> float:
    return time.time()
