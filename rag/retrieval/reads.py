"""What one question reads of the release it is answered from: the replica's snapshot of that
release when it has one (index/replica.py: no Chroma read), else the store, chosen once per
question by :class:`ReleaseReads`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from index.replica import ReleaseReplica, Unavailable
from index.snapshot import ReleaseSnapshot
from index.store import ChromaStore, DocumentRecord
from index.types import Chunk


class ReleaseReads:
    """The reads of one question over ``release``.

    ``whole``: the replica's snapshot of exactly this release (None when the replica cannot
    give it, with ``unavailable`` saying why, or when there is no replica): it answers the reads
    that must be the release's (its documents, its chunks, the committed check); without it the
    store answers them. ``held``: the replica's live version (None without a replica), which
    answers the reads keyed by chunk id (a chunk id names one version of one document, so any
    version holding it is right) and BM25, whose hits the committed check filters."""

    def __init__(self, store: ChromaStore, release: str | None,
                 replica: ReleaseReplica | None) -> None:
        self.store = store
        self.release = release
        self.whole: ReleaseSnapshot | None = None
        self.held: ReleaseSnapshot | None = None
        self.unavailable = "no replica" if replica is None else ""
        if replica is not None:
            got = replica.snapshot(store, release)
            if isinstance(got, Unavailable):
                self.held, self.unavailable = got.latest, got.reason
            else:
                self.whole = self.held = got

    def documents(self) -> Mapping[str, DocumentRecord]:
        """The records of every document of the release."""
        if self.whole is not None:
            return self.whole.documents
        return self.store.documents(self.release)

    def committed(self, chunks: Sequence[Chunk]) -> list[tuple[Chunk, DocumentRecord]]:
        """The store's committed-only read (ChromaStore.committed), from the snapshot's records
        of the release when there is one (no record read: ~0.3 ms a question at 100k chunks)."""
        if self.whole is not None:
            return self.whole.committed(chunks)
        return self.store.committed(chunks, self.release)

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``chunk_ids``: from the replica's copy where it holds them (no
        Chroma read: ~1-2 ms at 100k chunks), the rest in one read by id."""
        found = self.held.vectors_of(chunk_ids) if self.held is not None else {}
        rest = [cid for cid in chunk_ids if cid not in found]
        return {**found, **self.store.chunk_vectors(rest)} if rest else found

    def flags(self, chunks: Sequence[Chunk]) -> list[bool | None]:
        """The passage screen's stored verdict on each chunk (None where there is none)."""
        if self.held is None:
            return [None] * len(chunks)
        return self.held.flags_of([c.chunk_id for c in chunks])
