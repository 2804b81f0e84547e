"""The release replica learns of other writers through the release pointer (a change token), not
by re-reading the manifest at every check. A small in-memory source stands in for the store to
count reads; the real store's path is tested in tests/rag/test_hybrid.py (replicas over a Chroma
server)."""

from __future__ import annotations

from index.bm25 import search
from index.replica import ReleaseReplica
from index.store import DocumentRecord
from index.types import Chunk


class CountingSource:
    """Documents and chunks by release, with a pointer; counts manifest reads."""

    def __init__(self) -> None:
        self.releases: dict[str, dict[str, str]] = {}  # release -> doc id -> text
        self.pointer: str | None = None
        self.manifest_reads = 0

    def publish(self, release: str, texts: dict[str, str]) -> None:
        self.releases[release] = texts
        self.pointer = release

    def release_id(self) -> str | None:
        return self.pointer

    def documents(self, release=None) -> dict[str, DocumentRecord]:
        self.manifest_reads += 1
        texts = self.releases.get(self.pointer or "", {})
        return {d: DocumentRecord(d, f"h{abs(hash(t))}", d, d, 0.0, 1, len(t), "txt", 0.0)
                for d, t in texts.items()}

    def committed_chunks(self, doc_ids, release=None):
        docs = self.documents()
        self.manifest_reads -= 1  # the chunks' own read is not a check
        texts = self.releases[self.pointer or ""]
        return [Chunk(f"{d}#0", d, docs[d].content_hash, d, texts[d], 0, len(texts[d]), 0)
                for d in doc_ids if d in texts]

    def chunk_vectors(self, chunk_ids):
        return {}  # a source without vectors: the index keeps none


def test_the_manifest_is_read_only_when_the_release_pointer_moved(tmp_path):
    source = CountingSource()
    source.publish("r1", {"a.txt": "the canteen opens at noon", "b.txt": "parking in lot C"})
    index = ReleaseReplica(tmp_path / "kw", check_interval=0.0)

    index.snapshot(source, source.release_id())
    assert source.manifest_reads == 1
    assert [h.chunk.doc_id for h in search(index.latest(), "canteen", 3)] == ["a.txt"]
    for _ in range(50):  # the pointer did not move: no manifest read at all
        index.snapshot(source, source.release_id())
        index.snapshot(source, "r1")
    assert source.manifest_reads == 1

    source.publish("r2", {"a.txt": "the canteen opens at noon", "c.txt": "the gym is closed"})
    index.snapshot(source, source.release_id())  # another writer published: seen next check
    assert source.manifest_reads == 2
    assert [h.chunk.doc_id for h in search(index.latest(), "gym", 3)] == ["c.txt"]
    assert search(index.latest(), "parking", 3) == []

    source.pointer = "r1"  # a rollback moves the token too
    index.snapshot(source, source.release_id())
    assert source.manifest_reads == 3 and search(index.latest(), "gym", 3) == []
    assert [h.chunk.doc_id for h in search(index.latest(), "parking", 3)] == ["b.txt"]


def test_a_snapshot_another_process_wrote_is_checked_again(tmp_path):
    """Adopting the version ``CURRENT`` names (written by another process) forgets the token:
    that version may be older than the release this process last checked."""
    source = CountingSource()
    source.publish("r1", {"a.txt": "the canteen opens at noon"})
    writer = ReleaseReplica(tmp_path / "kw", check_interval=0.0)
    writer.refresh(source)
    reader = ReleaseReplica(tmp_path / "kw", check_interval=0.0)
    reader.snapshot(source, source.release_id())
    reads = source.manifest_reads
    source.publish("r2", {"a.txt": "the canteen opens at noon", "c.txt": "the gym is closed"})
    writer.refresh(source)  # moves CURRENT
    reader.snapshot(source, source.release_id())
    assert source.manifest_reads > reads + 1  # the writer's refresh, then the reader's check
    assert [h.chunk.doc_id for h in search(reader.latest(), "gym", 3)] == ["c.txt"]
