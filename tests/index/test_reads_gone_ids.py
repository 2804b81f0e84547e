"""A batched read by chunk ids while a writer deletes some of them (index.store.reads.get_by_ids):
embedded Chroma's reader failed the whole batch with "InternalError: Error executing plan:
Internal error: Error finding id" during the soak's uploads and deletes (a 500 for the asker);
now each id is read alone and the ones that fail are left out, as a missing id is. The real
Chroma part: ids that are gone are left out of a real collection's read."""

from __future__ import annotations

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InternalError

from index.store.reads import get_by_ids


class Racing:
    """A collection whose batched read fails while ``gone`` is being deleted; a read of that
    id alone fails too, every other id reads."""

    def __init__(self, records: dict[str, str], gone: str) -> None:
        self.records, self.gone, self.calls = records, gone, []

    def get(self, ids, include):
        self.calls.append(list(ids))
        if self.gone in ids:
            raise InternalError("Error executing plan: Internal error: Error finding id")
        found = [i for i in ids if i in self.records]
        return {"ids": found, "documents": [self.records[i] for i in found],
                "metadatas": [{"doc_id": i} for i in found]}


def test_a_batch_failing_on_a_deleted_id_gives_the_others():
    racing = Racing({"a": "alpha", "b": "beta", "c": "gamma"}, gone="b")
    page = get_by_ids(racing, ["a", "b", "c"], ["documents", "metadatas"])
    assert page["ids"] == ["a", "c"] and page["documents"] == ["alpha", "gamma"]
    assert racing.calls == [["a", "b", "c"], ["a"], ["b"], ["c"]]


def test_a_batch_that_reads_is_read_once():
    racing = Racing({"a": "alpha", "c": "gamma"}, gone="b")
    assert get_by_ids(racing, ["a", "c"], ["documents"])["ids"] == ["a", "c"]
    assert racing.calls == [["a", "c"]]


def test_other_errors_are_not_hidden():
    class Broken:
        def get(self, ids, include):
            raise ValueError("a bad include")

    with pytest.raises(ValueError):
        get_by_ids(Broken(), ["a"], ["documents"])


def test_ids_gone_from_a_real_collection_are_left_out(tmp_path):
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    chunks = client.create_collection("chunks")
    chunks.add(ids=["a", "b", "c"], documents=["alpha", "beta", "gamma"],
               embeddings=[[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]],
               metadatas=[{"doc_id": "x"}] * 3)
    chunks.delete(ids=["b"])
    page = get_by_ids(chunks, ["a", "b", "c"], ["documents", "embeddings"])
    assert sorted(page["ids"]) == ["a", "c"]
    assert len(page["documents"]) == len(page["embeddings"]) == 2
