"""Make the index match a folder: the one entry point for every writer (CLI, upload, eval)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.chunking import Chunker
from index.cleaning import Cleaner
from index.embedder import Embedder
from index.errors import InputError
from index.loaders import discover, doc_id_for, load_document
from index.store import ChromaStore, DocumentRecord
from index.types import Chunk, Document

# Documents are embedded together until this many chunks are pending: large batches keep the
# encoder busy, and each document is still committed on its own.
EMBED_GROUP_CHUNKS = 512


@dataclass
class SyncReport:
    """What one sync did, by document id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc id -> reason
    chunks_written: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, object]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "failed": len(self.failed),
            "failures": [{"doc_id": k, "reason": v} for k, v in sorted(self.failed.items())],
            "chunks_written": self.chunks_written,
            "seconds": round(self.seconds, 3),
        }


Progress = Callable[[str, int], None]  # (event, amount): "file" or "chunks"


class IngestService:
    """Loads, cleans, chunks, embeds and stores documents."""

    def __init__(self, store: ChromaStore, embedder: Embedder, chunker: Chunker,
                 cleaner: Cleaner) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.cleaner = cleaner

    def sync(self, root: Path, delete_missing: bool = True,
             progress: Progress | None = None) -> SyncReport:
        """Add new files, replace changed ones and (unless told not to) remove vanished ones."""
        started = time.perf_counter()
        root = Path(root)
        if not root.exists():
            raise InputError(f"corpus path {root} does not exist")
        report = SyncReport()
        committed = self.store.documents()
        seen: set[str] = set()
        pending: list[Document] = []
        for path in discover(root):
            doc_id = doc_id_for(path, root) if root.is_dir() else path.name
            seen.add(doc_id)
            try:
                doc = load_document(path, root if root.is_dir() else path.parent)
            except (ValueError, OSError) as exc:
                report.failed[doc_id] = str(exc)
                continue
            finally:
                if progress:
                    progress("file", 1)
            previous = committed.get(doc_id)
            if previous is not None and previous.content_hash == doc.content_hash:
                report.unchanged.append(doc_id)
                continue
            (report.updated if previous else report.added).append(doc_id)
            pending.append(doc)
        self._write(pending, report, progress)
        if delete_missing and root.is_dir():
            for doc_id in sorted(set(committed) - seen):
                self.store.delete_document(doc_id)
                report.deleted.append(doc_id)
        self.store.collect_garbage()
        report.seconds = time.perf_counter() - started
        return report

    def add_documents(self, docs: Sequence[Document]) -> SyncReport:
        """Index already-loaded documents (e.g. uploads), replacing earlier versions by id."""
        report = SyncReport()
        committed = self.store.committed_hashes(d.doc_id for d in docs)
        todo = []
        for doc in docs:
            if committed.get(doc.doc_id) == doc.content_hash:
                report.unchanged.append(doc.doc_id)
            else:
                (report.updated if doc.doc_id in committed else report.added).append(doc.doc_id)
                todo.append(doc)
        self._write(todo, report, None)
        return report

    def _write(self, docs: Sequence[Document], report: SyncReport,
               progress: Progress | None) -> None:
        group: list[tuple[Document, list[Chunk]]] = []
        group_size = 0
        for doc in docs:
            try:
                chunks = self.chunker.split(self.cleaner.clean(doc))
            except ValueError as exc:
                _fail(report, doc.doc_id, f"could not chunk: {exc}")
                continue
            if not chunks:
                _fail(report, doc.doc_id, "no text left after cleaning")
                continue
            group.append((doc, chunks))
            group_size += len(chunks)
            if group_size >= EMBED_GROUP_CHUNKS:
                self._embed_and_commit(group, report, progress)
                group, group_size = [], 0
        if group:
            self._embed_and_commit(group, report, progress)

    def _embed_and_commit(self, group: list[tuple[Document, list[Chunk]]], report: SyncReport,
                          progress: Progress | None) -> None:
        texts = [c.text for _, chunks in group for c in chunks]
        vectors = self.embedder.embed(texts)
        at = 0
        for doc, chunks in group:
            doc_vectors = vectors[at : at + len(chunks)]
            at += len(chunks)
            self.store.write_document(_record(doc, chunks), chunks, np.asarray(doc_vectors), doc.text)
            report.chunks_written += len(chunks)
            if progress:
                progress("chunks", len(chunks))


def _record(doc: Document, chunks: Sequence[Chunk]) -> DocumentRecord:
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
    )


def _fail(report: SyncReport, doc_id: str, reason: str) -> None:
    for bucket in (report.added, report.updated):
        if doc_id in bucket:
            bucket.remove(doc_id)
    report.failed[doc_id] = reason
