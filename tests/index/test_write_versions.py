"""A group of document versions written in one Chroma call each for chunks and records: each
version replaces only its own leftovers, and what is stored is what per-document writes store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from index.store import ChromaStore, DocumentRecord, make_client
from index.types import Chunk


def _version(doc_id: str, content_hash: str, n: int, word: str):  # noqa: ANN202
    chunks = [Chunk(chunk_id=f"{doc_id}#{content_hash[:12]}#{i}", doc_id=doc_id,
                    doc_hash=content_hash, title=doc_id.upper(), text=f"{word} {i}", start=i,
                    end=i + 1, index=i, metadata={"page_start": 1, "page_end": 1})
              for i in range(n)]
    vectors = np.random.default_rng(n).normal(size=(n, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    record = DocumentRecord(doc_id=doc_id, content_hash=content_hash, title=doc_id.upper(),
                            source_path=f"/{doc_id}", mtime=1.0, chunk_count=n,
                            char_count=10 * n, format="text", indexed_at=2.0)
    return record, chunks, vectors, f"{word} text of {doc_id}"


def _stored(store: ChromaStore) -> dict[str, tuple]:
    got = store._chunks.get(include=["documents", "metadatas", "embeddings"])
    return {cid: (text, meta,
                  np.round(np.asarray(vec), 6).tolist())
            for cid, text, meta, vec in zip(got["ids"], got["documents"], got["metadatas"],
                                            got["embeddings"])}


def test_a_group_write_replaces_each_versions_leftovers_only(tmp_path: Path) -> None:
    store = ChromaStore(make_client("embedded", tmp_path / "a"), "versions", "model", 4)
    # An interrupted write of a@h1 left 3 chunks; b@h0 is an older version of b another
    # release may still name, and c@h1 shares a's hash (the same content under another id).
    store.write_versions([_version("a", "h1" * 20, 3, "old")])
    store.write_versions([_version("b", "h0" * 20, 2, "kept")])
    store.write_versions([_version("c", "h1" * 20, 2, "other")])
    group = [_version("a", "h1" * 20, 2, "new"), _version("b", "h2" * 20, 1, "new")]
    store.write_versions(group)
    assert store.stored_versions() == Counter({("a", "h1" * 20): 2, ("b", "h0" * 20): 2,
                                               ("b", "h2" * 20): 1, ("c", "h1" * 20): 2})
    assert store.stored_version("a", "h1" * 20) is not None  # record and every chunk
    texts = store._chunks.get(where={"doc_id": "a"}, include=["documents"])["documents"]
    assert sorted(texts) == ["new 0", "new 1"]

    # The same versions written one by one store exactly the same.
    other = ChromaStore(make_client("embedded", tmp_path / "b"), "versions", "model", 4)
    for version in [_version("b", "h0" * 20, 2, "kept"), _version("c", "h1" * 20, 2, "other"),
                    *group]:
        other.write_version(*version)
    assert _stored(other) == _stored(store)
    records = store._docs.get(include=["metadatas", "documents"])
    again = other._docs.get(include=["metadatas", "documents"])
    assert sorted(zip(records["ids"], records["documents"])) == \
        sorted(zip(again["ids"], again["documents"]))
