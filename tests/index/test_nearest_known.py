"""The dense query reading hits' texts and vectors from the release replica's snapshot
(``ChromaStore.nearest_ids`` composed with the snapshot and ``ChromaStore.chunks_by_id`` for what
it lacks: rag.retrieval.DenseSearch) finds what the query reading them from Chroma finds: the
same chunks (text, offsets, metadata), in the same order, with the same stored vectors. Real
model, real Chroma, the sample corpus."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.errors import NotFoundError
from index.replica import ReleaseReplica
from rag.retrieval import DenseSearch
from rag.retrieval.dense import ExactSearch
from rag.retrieval.reads import ReleaseReads

QUESTIONS = ["Who led the Mexican delegation?", "What did the two governments agree on?",
             "How many migrants were apprehended at the border?", "fentanyl seizures",
             "Which rail crossings were closed?"]


def _fields(chunk):
    """Every field of the chunk; of its metadata, all but the near-duplicate group, which the
    replica takes from the release's manifest (as every committed read does) and the chunk's
    own Chroma record keeps as it was when written (no reader uses that one)."""
    return replace(chunk, metadata={k: v for k, v in chunk.metadata.items()
                                    if k != "dup_group"})


def _same(a, b):
    assert [c.chunk_id for c, _ in a] == [c.chunk_id for c, _ in b]
    for (ca, va), (cb, vb) in zip(a, b):
        assert _fields(ca) == _fields(cb)  # text, offsets, title, index, other metadata
        np.testing.assert_array_equal(va, vb)


class Partly:
    """A snapshot holding only the texts (``chunks``) or vectors (``vectors``) of some chunk
    ids (None: all it holds): the rest are read from Chroma by id."""

    def __init__(self, snapshot, chunks=None, vectors=None) -> None:
        self._snapshot, self._chunks, self._vectors = snapshot, chunks, vectors

    def chunk(self, chunk_id):
        if self._chunks is not None and chunk_id not in self._chunks:
            return None
        return self._snapshot.chunk(chunk_id)

    def vectors_of(self, chunk_ids):
        return {cid: v for cid, v in self._snapshot.vectors_of(chunk_ids).items()
                if self._vectors is None or cid in self._vectors}


def test_hits_read_through_the_replica_equal_chroma_reads(seeded):
    store, snapshot = seeded.store, seeded.keyword.latest()
    for v in seeded.embedder.embed(QUESTIONS):
        plain = store.nearest(v, 30)
        assert len(plain) == min(30, store.count_chunks())
        ids = [c.chunk_id for c, _ in plain]
        assert store.nearest_ids(v, 30) == ids
        some, others = set(ids[::2]), set(ids[1::2])
        for held in (snapshot, Partly(snapshot, chunks=some), Partly(snapshot, chunks=set()),
                     Partly(snapshot, vectors=some), Partly(snapshot, chunks=some,
                                                            vectors=others),
                     Partly(snapshot, vectors=set())):
            _same(plain, DenseSearch(store, held).search(v, 30, None))
        among = ids[::3]  # the id-restricted search too
        _same(store.nearest(v, 5, ids=among), DenseSearch(store, snapshot).search_among(
            v, 5, among))
        _same(store.nearest(v, 5, ids=among), DenseSearch(store).search_among(v, 5, among))


def test_the_replica_knows_the_release_chunks_and_nothing_else(seeded):
    snapshot = seeded.keyword.latest()
    chunks = snapshot.chunks_of(snapshot.documents)
    assert chunks and all(snapshot.chunk(c.chunk_id) == c for c in chunks)
    # and their stored vectors, equal to Chroma's
    ids = [c.chunk_id for c in chunks]
    held = snapshot.vectors_of(ids + ["no-such-doc.txt#0#0"])
    stored = seeded.store.chunk_vectors(ids)
    assert held.keys() == stored.keys() == set(ids)
    for cid in ids:
        np.testing.assert_array_equal(held[cid], stored[cid])
    committed = {c.chunk_id: c for c in seeded.store.committed_chunks(snapshot.documents)}
    assert {c.chunk_id: c for c in chunks} == committed  # the committed read, groups and all
    assert snapshot.chunk("no-such-doc.txt#000000000000#0") is None
    # the store's read by id gives the same chunks (as written) and vectors
    by_id = seeded.store.chunks_by_id(ids + ["no-such-doc.txt#000000000000#0"])
    assert by_id.keys() == set(ids)
    for cid, (chunk, vector) in by_id.items():
        assert _fields(chunk) == _fields(snapshot.chunk(cid))
        np.testing.assert_array_equal(vector, held[cid])


def _spy_chroma(monkeypatch, chunks):
    """Record the ``include`` of every Chroma query and the ids of every read by id."""
    include: list[tuple] = []
    reads: list = []
    query, get = chunks.query, chunks.get

    def spy(*args, **kwargs):
        include.append(tuple(kwargs.get("include", ())))
        return query(*args, **kwargs)

    monkeypatch.setattr(chunks, "query", spy)
    monkeypatch.setattr(chunks, "get", lambda *a, **k: reads.append(k.get("ids")) or get(*a, **k))
    return include, reads


def test_retrieval_uses_the_replica_for_dense_hits(seeded, embedder, monkeypatch):
    """Over a release larger than ``retrieval.exact_max``, the retriever's dense search reads
    only ids from Chroma when the replica holds the hits and their vectors; over a smaller one
    it makes no Chroma query at all (exact search over the snapshot's vectors). Both answer as
    the Chroma query reading everything does."""
    from rag.factory import build_pipeline

    retrieval = seeded.settings.retrieval
    large = build_pipeline(seeded.settings.model_copy(update={
        "retrieval": retrieval.model_copy(update={"exact_max": 0})}), embedder=embedder)
    for q, v in zip(QUESTIONS, seeded.embedder.embed(QUESTIONS)):
        small_answer = seeded.retriever.retrieve(q, v, 5)
        large_answer = large.retriever.retrieve(q, v, 5)
        assert [p.chunk_id for p in small_answer] == [p.chunk_id for p in large_answer]
        reads = ReleaseReads(seeded.store, seeded.store.release_id(), seeded.keyword)
        assert reads.whole is not None
        # Chroma also holds versions only older releases name (a document another test of the
        # session uploaded and deleted): the release's own are the ones to compare.
        plain = [c.chunk_id for c, _ in seeded.store.nearest(v, 60)
                 if c.doc_id in reads.documents()][:30]
        exact = ExactSearch(reads.whole.chunks, reads).search(v, 30)
        assert [c.chunk_id for c, _ in exact] == plain  # exact search = Chroma's here
    v = seeded.embedder.embed([QUESTIONS[0]])[0]
    before = large.retriever.retrieve(QUESTIONS[0], v, 5)
    include, reads = _spy_chroma(monkeypatch, large.store._chunks)
    assert large.retriever.retrieve(QUESTIONS[0], v, 5) == before
    assert include and all(inc == () for inc in include)  # no texts, no vectors
    include, reads = _spy_chroma(monkeypatch, seeded.store._chunks)
    seeded.retriever.retrieve(QUESTIONS[0], v, 5)
    assert include == [] and reads == []  # 20 chunks <= exact_max: no Chroma read


def test_the_committed_read_from_the_snapshot_records_equals_the_stores(seeded, monkeypatch):
    """The committed-only check of candidates answered from the snapshot's records of the
    release keeps exactly what the store's read keeps, groups included, and reads no record
    from Chroma; for a release the replica cannot give (here: another one, within the check
    interval), the store answers."""
    store = seeded.store
    release = store.release_id()
    replica = ReleaseReplica(seeded.keyword.directory, check_interval=3600.0)
    reads = ReleaseReads(store, release, replica)  # the first call checks: the release's
    assert reads.whole is not None and reads.unavailable == ""
    chunks = reads.whole.chunks_of(reads.whole.documents)
    stale = replace(chunks[0], chunk_id="x#0", doc_hash="0" * 12)  # a version not released
    asked = [stale, *chunks, replace(chunks[1], doc_id="gone.txt")]
    expected = store.committed(asked, release)
    assert len(expected) == len(chunks)
    records: list = []
    get = store._docs.get
    monkeypatch.setattr(store._docs, "get", lambda *a, **k: records.append(k) or get(*a, **k))
    store._release_records.clear()
    store._version_cache.clear()
    assert reads.committed(asked) == expected
    assert records == []  # every record from the replica's snapshot
    other = ReleaseReads(store, "r-other", replica)  # not checked again within the hour
    assert other.whole is None and "r-other" in other.unavailable
    assert other.held is reads.whole  # reads by chunk id still come from the replica
    with pytest.raises(NotFoundError):  # not the snapshot's release: the store answers
        other.committed(asked)


def test_the_dense_query_runs_beside_bm25_and_answers_as_it_would_alone(seeded, embedder,
                                                                          monkeypatch):
    """Over a release searched through Chroma, the dense query runs in a worker thread while
    the asking thread runs BM25 (Chroma lets go of the interpreter lock while it searches);
    the passages are those of the same searches made one after the other, and a failing
    query fails the retrieval as before."""
    import threading
    from concurrent.futures import Future

    from index.errors import StoreUnavailableError
    from rag.factory import build_pipeline

    retrieval = seeded.settings.retrieval
    large = build_pipeline(seeded.settings.model_copy(update={
        "retrieval": retrieval.model_copy(update={"exact_max": 0})}), embedder=embedder)
    retriever, store = large.retriever, large.store
    threads: list[str] = []
    nearest_ids = store.nearest_ids

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return nearest_ids(*args, **kwargs)

    monkeypatch.setattr(store, "nearest_ids", spy)
    vectors = seeded.embedder.embed(QUESTIONS)
    overlapped = [retriever.retrieve(q, v, 5) for q, v in zip(QUESTIONS, vectors)]
    assert threads and all(t.startswith("dense-query") for t in threads)

    class Inline:  # the same searches, one after the other in the asking thread
        def submit(self, fn):
            done: Future = Future()
            done.set_result(fn())
            return done

    overlap = retriever._overlap
    monkeypatch.setattr(retriever, "_overlap", Inline)
    threads.clear()
    assert [retriever.retrieve(q, v, 5) for q, v in zip(QUESTIONS, vectors)] == overlapped
    assert threads == [threading.current_thread().name] * len(QUESTIONS)

    def down(*args, **kwargs):
        raise StoreUnavailableError("Chroma is not answering")

    monkeypatch.setattr(store, "nearest_ids", down)
    monkeypatch.setattr(retriever, "_overlap", overlap)  # in the worker thread again
    with pytest.raises(StoreUnavailableError, match="not answering"):
        retriever.retrieve(QUESTIONS[0], vectors[0], 5)
