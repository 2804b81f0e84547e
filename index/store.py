"""The Chroma store: chunk vectors, document versions and the releases that name them.

Four Chroma collections per index (not to be confused with the document *collections* of
index/collections.py, which are a metadata field):

- ``<name>``: one record per chunk (vector, cleaned text, doc id, doc hash, offsets), written
  through llama-index's ``ChromaVectorStore`` and queried with Chroma's own query
  (:meth:`ChromaStore.nearest`, which reads each hit's vector in the same call).
- ``<name>__docs``: one record per document *version* (id ``doc_id@hash``: its record and
  original text), written after all of its chunks.
- ``<name>__releases``: the releases (index/releases.py). A version is *committed* when the
  published release names it. Readers drop chunks whose (doc id, hash) the release they read
  does not name, so staged, retired or half-written versions are never seen; a crash anywhere
  leaves the published release answering, and garbage collection removes what no retained
  release needs.
- ``<name>__collections``: the names of the document collections and the migration marker
  (index/collections.py). Chunks and version records carry a ``collection`` field.

The chunk collection's metadata records the embedding model id and dimension; opening an index
built with another model raises :class:`IndexMismatchError`.
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from index.collections import DEFAULT, CollectionRegistry, stamp_default
from index.errors import IndexMismatchError, NotFoundError, StoreUnavailableError
from index.faults import checkpoint
from index.releases import LIVE, Manifest, Release, ReleaseLog
from index.types import Chunk

SCHEMA_VERSION = 1
_GET_PAGE = 5000
RELEASES_REMEMBERED = 4  # finished releases whose documents' records stay in memory
_WHERE_BATCH = 500  # document ids per "$in" filter
_DELETE_BATCH = 100  # (doc id, hash) pairs per "$or" filter


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
        )


def make_client(mode: str, data_dir: Path, host: str = "127.0.0.1", port: int = 8001,
                ssl: bool = False, headers: dict[str, str] | None = None,
                timeout: float = 30.0) -> Any:
    """A Chroma client with telemetry off: persistent under ``data_dir`` or HTTP to a server
    whose every reply is waited for at most ``timeout`` seconds."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "embedded":
        path = Path(data_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=headers or None,
                                     settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain exceptions when the server is down
        scheme = "https" if ssl else "http"
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {scheme}://{host}:{port}: {exc}. Start it with "
            "'chroma run --path DIR --port PORT' or fix RAG_STORE__HOST/RAG_STORE__PORT"
        ) from None
    bound_http_waits(client, timeout)
    return client


def bound_http_waits(client: Any, timeout: float) -> None:
    """Give the HTTP client's session a timeout: chromadb 1.5 makes its ``httpx.Client`` with
    ``timeout=None`` and has no setting for it, so a hung server would hold every request
    forever. A timeout surfaces as ``httpx.ReadTimeout``, reported as 503 like a refused
    connection (service/errors.py)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        raise StoreUnavailableError(
            "this chromadb client has no HTTP session to bound; the store's timeout cannot be "
            "applied (chromadb's client changed: pin chromadb as pyproject.toml does)")
    session.timeout = httpx.Timeout(timeout, connect=min(5.0, timeout))


def mismatch_message(collection: str, built_with: tuple[Any, Any], model_id: str,
                     dimension: int) -> str:
    """Why an index cannot be read with the configured encoder, and what to set instead."""
    built_model, built_dim = built_with
    if built_model == model_id:
        back = ("point the encoder at the model the index was built with (the same name now "
                "gives other vectors)")
    elif str(built_model).startswith("openai:"):
        back = ("set RAG_EMBEDDING__BACKEND=openai and RAG_EMBEDDING__API_MODEL="
                f"{str(built_model).removeprefix('openai:')!r} (its server)")
    else:
        back = (f"set RAG_EMBEDDING__MODEL back to {built_model!r} (backend 'local', or an "
                "embeddings server declared to run it)")
    return (f"the index {collection!r} was built with embedding model {built_model!r} "
            f"(dimension {built_dim}), but the configured model is {model_id!r} (dimension "
            f"{dimension}). To read it, {back}; or use a new collection "
            "(RAG_STORE__COLLECTION) or data directory to rebuild.")


class ChromaStore:
    """Chunks and manifest of one index in Chroma. Safe to share between threads."""

    def __init__(self, client: Any, collection: str, model_id: str, dimension: int,
                 pointer_token: Path | None = None) -> None:
        """``pointer_token``: the release pointer's change token file (index.releases), for
        an embedded Chroma whose directory every process shares; None: read the pointer."""
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
            self.releases = ReleaseLog(client, f"{collection}__releases", pointer_token)
            self.collections = CollectionRegistry(client, f"{collection}__collections")
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open Chroma collection {collection!r}: {exc}") from None
        meta = self._chunks.metadata or {}
        built_with = (meta.get("embedding_model"), meta.get("embedding_dim"))
        if built_with != (model_id, dimension):
            raise IndexMismatchError(mismatch_message(collection, built_with, model_id,
                                                      dimension))
        self.vector_store = ChromaVectorStore(chroma_collection=self._chunks)
        self._pinned: str | None = None
        self._version_cache: dict[str, DocumentRecord] = {}
        # Per finished release (its manifest never changes, nor does a version's record): the
        # records read of it so far, by doc id. The last few releases only.
        self._release_records: OrderedDict[str, dict[str, DocumentRecord]] = OrderedDict()
        self._visible: dict[str, int] = {}
        self._count: tuple[int, float] | None = None  # (chunks stored, when it was read)
        self._migrate()
        self._migrate_collections()

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

    # ---- releases -------------------------------------------------------------------------

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

    def collection_counts(self, release: str | None = None) -> dict[str, int]:
        """Documents per collection in the release (every registered collection, even empty)."""
        counts = {name: 0 for name in self.collections.names()}
        for rec in self.documents(release).values():
            counts[rec.collection] = counts.get(rec.collection, 0) + 1
        return counts

    def _legacy_records(self) -> list[tuple[str, dict[str, Any], str, Any]]:
        out = []
        offset = 0
        while True:
            page = self._docs.get(include=["metadatas", "documents", "embeddings"],
                                  limit=_GET_PAGE, offset=offset)
            for i, rid in enumerate(page["ids"]):
                meta = page["metadatas"][i]
                if meta.get("kind") != "version":
                    out.append((rid, meta, page["documents"][i], page["embeddings"][i]))
            if len(page["ids"]) < _GET_PAGE:
                return out
            offset += _GET_PAGE

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

    # ---- writes ---------------------------------------------------------------------------

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
        for i in range(0, len(stale), _GET_PAGE):
            self._chunks.delete(ids=stale[i : i + _GET_PAGE])
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
                                        limit=_GET_PAGE, offset=offset)
                for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                    entry = manifest.get(str(meta.get("doc_id")))
                    if entry is not None and entry[0] == meta.get("doc_hash"):
                        chunks.append(_chunk_from(cid, text or "",
                                                  {**meta, "dup_group": entry[1] or meta["doc_id"]}))
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

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, tuple[Chunk, np.ndarray]]:
        """Stored chunks with their vectors by id (one batched read), each chunk's metadata as
        written with it; ids whose record is gone (garbage-collected meanwhile) are left out."""
        if not chunk_ids:
            return {}
        page = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas",
                                                               "embeddings"])
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


def version_id(doc_id: str, content_hash: str) -> str:
    """The id of a document version's record in ``<name>__docs``."""
    return f"{doc_id}@{content_hash}"



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
