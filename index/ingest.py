"""Make the index match a folder: the one entry point for every writer (CLI, upload, eval).

Files are streamed: each is read, compared with the published release by content hash, and (if
new or changed) cleaned and chunked; chunks of several documents are embedded together for
throughput and written together, each version with its own record after all of its chunks
(see index/store/staging.py). Every change builds one *staged release* (index/releases.py),
published at the end unless the caller gates it (``publish=False``: the CLI's gate,
cli/releases_commands.py). Every write happens under the index's :class:`WriteLock`; a sync
touches only documents inside its :class:`Scope`. A sync's steps (plan, stage, put versions,
remove the gone, finish the release) are index/sync.py's, shared with the queue's coordinator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.attachments import attachment_extra, child_outcomes, children_in
from index.chunking import Chunker
from index.context import embedded_text, record_facts
from index.collections import DEFAULT, check_name, key_for
from index.cleaning import Cleaner
from index.embedder import Embedder
from index.formats import reader_version
from index.disk_space import INDEX_BYTES_PER_TEXT_BYTE
from index.loaders import DEFAULT_MAX_BYTES, doc_id_for, load_document
from index.lock import WriteLock
from index.prefetch import ahead
from index.near_dup import DEFAULT_THRESHOLD, Signature, signature
from index.scope import Scope
from index.dates import DocumentDate as Dated
from index.store import ChromaStore, DocumentRecord, StagedRelease
from index.sync import (SyncPlan, SyncReport, SyncRequest, corpus_base, finish_release, locked,
                        run_sync)
from index.tables import table_records
from index.types import Chunk, Document

# Documents are embedded together until this many chunks are pending: large batches keep the
# encoder busy, and the group is written in one Chroma call for its chunks and one for its
# version records (each version still has its own record, after its chunks).
EMBED_GROUP_CHUNKS = 512
# Vectors of chunk texts already encoded in this sync, kept to reuse for a repeated text
# (near-duplicate stories repeat whole paragraphs); at most this many (384 floats each).
MAX_REMEMBERED_TEXTS = 200_000
# Documents loaded, cleaned and chunked ahead of the encoder by the producer thread.
PREPARE_AHEAD = 64


@dataclass(frozen=True)
class DocumentJob:
    """What one queued document job did: ``outcome`` is added, updated, unchanged or failed;
    ``reused`` when a version stored whole was taken as it was (nothing embedded)."""

    doc_id: str
    outcome: str
    content_hash: str = ""
    chunks: int = 0
    reused: bool = False
    reason: str = ""
    children: tuple["DocumentJob", ...] = ()  # a mail's attachments (index/attachments.py)

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "DocumentJob":
        kids = tuple(cls.from_dict(k) for k in data.get("children") or ())  # type: ignore[union-attr]
        return cls(**{**data, "children": kids})  # type: ignore[arg-type]


Progress = Callable[[str, int], None]  # (event, amount): "files_total", "file", "chunks",
# "ocr_pages" and "ocr_ms" (pages a document needed OCR for, and the milliseconds it took)


@dataclass
class _Pending:
    """Cleaned, chunked documents waiting to be embedded together."""

    items: list[tuple[Document, list[Chunk], Signature]] = field(default_factory=list)
    chunks: int = 0
    # sha256 of a chunk text -> its vector, for every text encoded in this sync.
    vectors: dict[bytes, np.ndarray] = field(default_factory=dict)


class IngestService:
    """Loads, cleans, chunks, embeds and stores documents."""

    def __init__(self, store: ChromaStore, embedder: Embedder, chunker: Chunker,
                 cleaner: Cleaner, lock: WriteLock | None = None,
                 max_file_bytes: int = DEFAULT_MAX_BYTES,
                 near_duplicate_threshold: float = DEFAULT_THRESHOLD,
                 embed_group_chunks: int = EMBED_GROUP_CHUNKS,
                 on_change: Callable[[], object] | None = None, retain: int = 5,
                 check_room: Callable[[int], None] | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.cleaner = cleaner
        self.lock = lock
        self.max_file_bytes = max_file_bytes
        self.near_duplicate_threshold = near_duplicate_threshold
        self.embed_group_chunks = embed_group_chunks
        # Called after every write, e.g. the keyword index catching up with the store.
        self.on_change = on_change or (lambda: None)
        self.retain = retain  # releases kept rollback-able (garbage collection)
        # Raises StorageFullError before a write of about N bytes starts without room for it.
        self.check_room = check_room or (lambda need: None)

    def sync(self, root: Path, delete_missing: bool = True, progress: Progress | None = None,
             scope: Scope = Scope(), publish: bool = True,
             collection: str = DEFAULT) -> SyncReport:
        """Add new files, replace changed ones and (unless told not to) remove vanished ones,
        as one release; published at once unless ``publish`` is False (then ``staged``).

        Only documents ``scope`` owns are read, written, deleted or garbage-collected. Every
        document goes into ``collection`` (its key: :func:`index.collections.key_for`), and only
        that collection's documents are compared with the files or deleted. The steps are
        index/sync.py's, which the queue's coordinator runs too; this one loads, chunks and
        embeds the documents in-process (:meth:`_index_files`).
        """
        collection = check_name(collection)
        started = time.perf_counter()
        root = Path(root)
        corpus_base(root)  # a missing folder is an InputError before any work
        notify = progress or (lambda event, amount: None)
        self.check_room(0)
        request = SyncRequest(root, scope, collection, f"ingest {root}", delete_missing, publish)
        report = run_sync(self.store, self.lock, request,
                          lambda plan: self._index_files(plan, notify),
                          threshold=self.near_duplicate_threshold, retain=self.retain,
                          started=started)
        self.on_change()
        return report

    def _index_files(self, plan: SyncPlan, notify: Progress) -> None:
        """The in-process step of a sync: each of the plan's files loaded, compared with its
        published version, and if new or changed, chunked, embedded, stored and put into the
        release. Loading, cleaning and chunking run in a producer thread ahead of the encoder
        (which releases the GIL); results are consumed here in the order of the files. Closed
        on the way out, so an error here also stops the producer at once."""
        notify("files_total", len(plan.files))
        report, stage, collection = plan.report, plan.stage, plan.collection
        pending = _Pending()
        with contextlib.closing(ahead(self._load_all(plan), PREPARE_AHEAD)) as prepared_docs:
            for doc_id, outcome in prepared_docs:
                if doc_id in plan.files:  # a mail's attachments are not files of the bar
                    notify("file", 1)
                plan.seen.add(doc_id)
                self._take(doc_id, outcome, plan.changed, pending, report, notify, stage,
                           collection)
        self._flush(pending, report, notify, stage, collection)

    def _take(self, doc_id: str, outcome: _Outcome, changed: Callable[[str], None],
              pending: _Pending, report: SyncReport, notify: Progress, stage: StagedRelease,
              collection: str) -> None:
        """One document's outcome into the report, and a new version towards the release."""
        if isinstance(outcome, str):
            report.failed[doc_id] = outcome
        elif outcome is None:
            report.unchanged.append(doc_id)
        elif isinstance(outcome, Dated):
            stage.date(doc_id, outcome.value, outcome.source)
            report.dated.append(doc_id)
        else:
            doc, prepared = outcome
            if doc.ocr_pages:  # (pages, milliseconds): the bar shows OCR's share of the time
                notify("ocr_pages", len(doc.ocr_pages))
                notify("ocr_ms", round(doc.ocr_seconds * 1000))
            changed(doc_id)
            self._add(doc, prepared, pending, report, notify, stage, collection)

    def add_documents(self, docs: Sequence[Document], publish: bool = True,
                      collection: str = DEFAULT) -> SyncReport:
        """Index already-loaded documents (e.g. uploads) into ``collection``, replacing earlier
        versions by id (within that collection), as one release (published at once unless
        ``publish`` is False). Reported ids are the index-wide keys."""
        started = time.perf_counter()
        report = SyncReport()
        collection = check_name(collection)
        docs = [dataclasses.replace(d, doc_id=key_for(collection, d.doc_id),
                                    content_hash=self._version(d)) for d in docs]
        self.check_room(0)
        quiet: Progress = lambda event, amount: None  # noqa: E731
        with locked(self.lock, Scope()):
            self.store.collections.ensure(collection)
            stage = self.store.begin_release(note="upload")
            committed = {doc_id: entry[0] for doc_id, entry in stage.manifest.items()}
            pending = _Pending()
            uploaded = {d.doc_id for d in docs}
            for doc in docs:
                new = committed.get(doc.doc_id) != doc.content_hash
                outcomes = [(doc.doc_id, (doc, self._chunk(doc)) if new else None),
                            *self._children(doc, committed.get, uploaded)]
                for doc_id, outcome in outcomes:
                    self._take(doc_id, outcome, lambda i: (
                        report.updated if i in committed else report.added).append(i),
                        pending, report, quiet, stage, collection)
                if doc.doc_id in committed:  # attachments the mail no longer carries
                    kept = {doc_id for doc_id, _ in outcomes}
                    for gone in children_in(self.store, stage.manifest, doc.doc_id, kept):
                        stage.remove(gone)
                        report.deleted.append(gone)
            self._flush(pending, report, quiet, stage, collection)
            report.seconds = time.perf_counter() - started
            self._finish(stage, report, publish, Scope())
        self.on_change()
        report.seconds = time.perf_counter() - started
        return report

    def delete_ids(self, doc_ids: Iterable[str], publish: bool = True) -> SyncReport:
        """Remove documents by id as one release (NotFoundError for an unknown one)."""
        self.check_room(0)
        try:
            return delete_documents(self.store, self.lock, doc_ids, self.near_duplicate_threshold,
                                    retain=self.retain, publish=publish)
        finally:
            self.on_change()

    def ingest_one(self, path: Path, base: Path, collection: str = DEFAULT,
                   committed_hash: str | None = None) -> DocumentJob:
        """One document of a queued sync (index/queue.py): load it, and unless the release's
        version (``committed_hash``) or a version stored whole already holds its content, chunk,
        embed and store it; a mail's attachments likewise, each a job of ``children`` (the
        coordinator compares them with the release). Idempotent by content hash: run again (a
        redelivered job) it re-embeds nothing that was stored whole, and a half-written version
        is rewritten. Publishes nothing: the coordinator puts the versions into one release."""
        doc_id = key_for(check_name(collection), doc_id_for(path, base))
        try:
            doc = load_document(path, base, self.max_file_bytes)
        except (ValueError, OSError) as exc:
            return DocumentJob(doc_id, "failed", reason=str(exc))
        doc = dataclasses.replace(doc, doc_id=doc_id, content_hash=self._version(doc))
        changed = "added" if committed_hash is None else "updated"
        if doc.content_hash == committed_hash:
            job = DocumentJob(doc_id, "unchanged", doc.content_hash)
        else:
            job = self._write_one(doc, None, changed, collection)
        if not doc.attachments:
            return job
        kids = []
        for kid_id, version, outcome in child_outcomes(
                doc, lambda i, v: self.store.stored_version(i, v) is not None,
                self._stored_as, self._chunk,
                self.max_file_bytes):
            if isinstance(outcome, str):
                kids.append(DocumentJob(kid_id, "failed", version, reason=outcome))
            elif outcome is None:  # stored whole before: the coordinator compares it
                kids.append(DocumentJob(kid_id, "added", version, reused=True))
            else:
                kids.append(self._write_one(outcome[0], outcome[1], "added", collection))
        return dataclasses.replace(job, children=tuple(kids))

    def _write_one(self, doc: Document, prepared: tuple[list[Chunk], Signature] | str | None,
                   changed: str, collection: str) -> DocumentJob:
        """Store one version of ``doc`` whole (unless stored whole already) for a queued job;
        ``prepared``: its chunks, or None to chunk it here when needed."""
        reused = self.store.stored_version(doc.doc_id, doc.content_hash)
        if reused is not None:
            return DocumentJob(doc.doc_id, changed, doc.content_hash, reused.chunk_count, True)
        prepared = self._chunk(doc) if prepared is None else prepared
        if isinstance(prepared, str):
            return DocumentJob(doc.doc_id, "failed", doc.content_hash, reason=prepared)
        chunks, sig = prepared
        embedded = [embedded_text(c.text, c.metadata) for c in chunks]
        texts = sorted(set(embedded), key=len, reverse=True)  # each text once
        by_text = dict(zip(texts, _embed_documents(self.embedder, texts)))
        self.store.write_version(_record(doc, chunks, sig, collection), chunks,
                                 np.stack([by_text[t] for t in embedded]), doc.text)
        return DocumentJob(doc.doc_id, changed, doc.content_hash, len(chunks))

    def _finish(self, stage: StagedRelease, report: SyncReport, publish: bool,
                scope: Scope) -> None:
        finish_release(self.store, self.lock, stage, report, publish=publish, scope=scope,
                       threshold=self.near_duplicate_threshold, retain=self.retain)

    def _load_all(self, plan: SyncPlan) -> Iterator[tuple[str, _Outcome]]:
        """Per file of the plan: its doc id (its key in the collection) and a failure reason,
        None (unchanged) or the prepared document. Touches no shared state, so it runs in the
        producer thread."""
        hashes = {doc_id: record.content_hash for doc_id, record in plan.committed.items()}
        for doc_id, path in plan.files.items():
            try:
                doc = load_document(path, plan.base, self.max_file_bytes)
                doc = dataclasses.replace(doc, doc_id=doc_id, content_hash=self._version(doc))
            except (ValueError, OSError) as exc:
                yield doc_id, str(exc)
                continue
            previous = plan.committed.get(doc_id)
            if previous is not None and previous.content_hash == doc.content_hash:
                # A version indexed before dates were kept gets its date from this release.
                undated = not previous.date_source and doc.date_source
                yield doc_id, Dated(doc.date, doc.date_source) if undated else None
            else:
                yield doc_id, (doc, self._chunk(doc))
            yield from self._children(doc, hashes.get, plan.files)

    def _children(self, doc: Document, committed_hash: Callable[[str], str | None],
                  taken: Container[str]) -> list[tuple[str, _Outcome]]:
        """Per attachment of a mail (index/attachments.py): its id and outcome, as for a file:
        None when ``committed_hash`` (of the release) is its version, else read and chunked."""
        if not doc.attachments:
            return []
        return [(doc_id, outcome) for doc_id, _, outcome in child_outcomes(
            doc, lambda i, version: committed_hash(i) == version,
            self._stored_as, self._chunk,
            self.max_file_bytes, taken)]

    def _version(self, doc: Document) -> str:
        """The hash a version of ``doc`` is stored under: its bytes' sha256 for plain chunks,
        else that and the chunker's signature hashed together, so a version chunked another
        way (context headers turned on or off) or read by another version of its format's
        reader (index.formats.READER_VERSIONS) is a new version: re-embedded at the next sync,
        the old one kept for the releases that name it (index.context.VERSION)."""
        return self._stored_as(doc.content_hash, doc.format)

    def _stored_as(self, content_hash: str, fmt: str) -> str:
        """The version hash of a document of format ``fmt`` whose bytes hash to
        ``content_hash``: the chunker's signature and the format's reader version
        (index.formats.READER_VERSIONS) folded in, so either changing re-reads it."""
        extra = "|".join(x for x in (self.chunker.signature, reader_version(fmt)) if x)
        return version_hash(content_hash, extra)

    def _chunk(self, doc: Document) -> tuple[list[Chunk], Signature] | str:
        """The document's chunks and signature, or why it cannot be indexed."""
        try:
            clean = self.cleaner.clean(doc)
            chunks = self.chunker.split(clean)
        except ValueError as exc:
            return f"could not chunk: {exc}"
        if not chunks:
            return "no text left after cleaning"
        return chunks, signature(clean.text)

    def _add(self, doc: Document, prepared: tuple[list[Chunk], Signature] | str,
             pending: _Pending, report: SyncReport, notify: Progress,
             stage: StagedRelease, collection: str = DEFAULT) -> None:
        reused = self.store.stored_version(doc.doc_id, doc.content_hash)
        if reused is not None:  # e.g. a file changed back: copy-on-write, nothing re-embedded
            stage.put(reused)
            return
        if isinstance(prepared, str):
            _fail(report, doc.doc_id, prepared)
            return
        chunks, sig = prepared
        pending.items.append((doc, chunks, sig))
        pending.chunks += len(chunks)
        if pending.chunks >= self.embed_group_chunks:
            self._flush(pending, report, notify, stage, collection)

    def _flush(self, pending: _Pending, report: SyncReport, notify: Progress,
               stage: StagedRelease, collection: str = DEFAULT) -> None:
        if not pending.items:
            return
        # Room for this group's writes (its texts as versions and chunks, their vectors), checked
        # before any of them: a sync stops cleanly between groups as the disk fills.
        self.check_room(INDEX_BYTES_PER_TEXT_BYTE * sum(len(doc.text.encode("utf-8", "replace"))
                                                        for doc, _, _ in pending.items))
        # Each distinct text not encoded earlier in this sync is encoded once, the group's
        # texts longest first (across documents), so batches pad little.
        keys = {t: _text_key(t) for _, chunks, _ in pending.items
                for t in (embedded_text(c.text, c.metadata) for c in chunks)}
        new = sorted((t for t, k in keys.items() if k not in pending.vectors),
                     key=len, reverse=True)
        if new:
            fresh = _embed_documents(self.embedder, new)
            for text, vector in zip(new, fresh):
                pending.vectors[keys[text]] = vector
        # The group's versions in one write (each record still after all of its chunks).
        versions = [(_record(doc, chunks, sig, collection), chunks,
                     np.stack([pending.vectors[keys[embedded_text(c.text, c.metadata)]]
                               for c in chunks]), doc.text)
                    for doc, chunks, sig in pending.items]
        self.store.write_versions(versions)
        for record, chunks, _, _ in versions:
            stage.put(record)
            report.chunks_written += len(chunks)
            notify("chunks", len(chunks))
        if len(pending.vectors) >= MAX_REMEMBERED_TEXTS:  # bound the memory of a huge sync
            pending.vectors.clear()
        pending.items.clear()
        pending.chunks = 0


_Outcome = str | None | Dated | tuple[Document, tuple[list[Chunk], Signature] | str]


def _embed_documents(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Chunk texts through the embedder's ingest path when it has one (the local model's
    ``embed_documents``: the same vectors, less work around the model), else ``embed``."""
    encode = getattr(embedder, "embed_documents", None)
    return encode(texts) if encode is not None else embedder.embed(texts)


def version_hash(content_hash: str, chunking: str) -> str:
    """``content_hash`` when ``chunking`` is empty, else sha256 of both (hex, like it)."""
    if not chunking:
        return content_hash
    return hashlib.sha256(f"{content_hash}|{chunking}".encode()).hexdigest()


def _text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def delete_documents(store: ChromaStore, lock: WriteLock | None, doc_ids: Iterable[str],
                     threshold: float = DEFAULT_THRESHOLD, *, retain: int = 5,
                     publish: bool = True) -> SyncReport:
    """Remove documents by id under the write lock, as one release (NotFoundError for an
    unknown id, and then nothing changes)."""
    report = SyncReport()
    with locked(lock, Scope()):
        stage = store.begin_release(note="delete")
        try:
            for doc_id in doc_ids:
                if doc_id in report.deleted:  # an attachment of a mail deleted just before
                    continue
                stage.remove(doc_id)
                report.deleted.append(doc_id)
                for child in children_in(store, stage.manifest, doc_id):  # a mail's attachments
                    stage.remove(child)
                    report.deleted.append(child)
        except BaseException:
            store.releases.delete(stage.release_id)
            raise
        finish_release(store, lock, stage, report, publish=publish, scope=Scope(),
                       threshold=threshold, retain=retain)
    return report


def _record(doc: Document, chunks: Sequence[Chunk], sig: Signature,
            collection: str = DEFAULT) -> DocumentRecord:
    return DocumentRecord(
        doc_id=doc.doc_id,
        content_hash=doc.content_hash,
        title=doc.title,
        source_path=doc.source_path,
        mtime=doc.mtime,
        chunk_count=len(chunks),
        char_count=len(doc.text),
        format=doc.format,
        indexed_at=time.time(),
        extra=_extra(doc),
        signature=sig.encode(),
        collection=collection,
        date=doc.date,
        date_source=doc.date_source,
        file_hash=doc.file_hash,
    )


def _extra(doc: Document) -> dict[str, object] | None:
    """What the record adds for formats with pages: the page count, and the pages OCR read with
    the seconds it took (a record marked as OCR: its text is a machine's reading of an image)."""
    extra: dict[str, object] = {}
    if doc.page_starts:
        extra["pages"] = len(doc.page_starts)
    if doc.ocr_pages:
        extra.update(ocr_pages=list(doc.ocr_pages), ocr_seconds=round(doc.ocr_seconds, 2))
    if doc.tables:  # cited rows are answered as tables (rag.table_rows)
        extra["tables"] = table_records(doc.tables)
    extra.update(record_facts(doc.title, doc.text, doc.doc_id))  # period, series: rag.time_scope
    extra.update(attachment_extra(doc))  # a mail's attachment: the mail it came with
    return extra or None


def _fail(report: SyncReport, doc_id: str, reason: str) -> None:
    for bucket in (report.added, report.updated):
        if doc_id in bucket:
            bucket.remove(doc_id)
    report.failed[doc_id] = reason
