"""``ChromaStore.count_chunks(max_age)``: Chroma's count grows with the collection (9 ms at 100k
chunks, more than its top-k query), so retrieval sizes its over-fetch with a count at most
``max_age`` seconds old. This process's writes reset it at once; another writer's are seen when
it expires. Real embedded Chroma in a temp dir; vectors of dimension 4, no model."""

from __future__ import annotations

import time

import numpy as np

from index.store import ChromaStore, DocumentRecord, make_client
from index.types import Chunk


def _write(store: ChromaStore, doc_id: str, n: int) -> None:
    text = " ".join(f"word{i}" for i in range(n))
    record = DocumentRecord(doc_id, f"h-{doc_id}", doc_id, doc_id, 0.0, n, len(text), "txt",
                            time.time())
    chunks = [Chunk(f"{doc_id}#{i}", doc_id, record.content_hash, doc_id, f"word{i}", 0, 1, i)
              for i in range(n)]
    vectors = np.eye(4, dtype=np.float32)[np.arange(n) % 4]
    store.write_version(record, chunks, vectors, text)


def test_a_cached_count_is_reset_by_this_store_and_expires_for_another(tmp_path):
    client = make_client("embedded", tmp_path)
    mine = ChromaStore(client, "chunks", "test-model", 4)
    other = ChromaStore(client, "chunks", "test-model", 4)  # another writer, same index
    assert mine.count_chunks(max_age=60) == 0

    _write(mine, "a.txt", 3)
    assert mine.count_chunks(max_age=60) == 3  # its own write: counted again at once

    _write(other, "b.txt", 2)
    assert mine.count_chunks(max_age=60) == 3  # another writer's: not yet
    assert mine.count_chunks(max_age=0) == 5  # a fresh count
    _write(other, "c.txt", 1)
    time.sleep(0.3)
    assert mine.count_chunks(max_age=0.2) == 6  # expired: read again
