"""The dense query reading hits' texts from the keyword index's copy (``ChromaStore.nearest``
with ``known``) finds what the query reading them from Chroma finds: the same chunks (text,
offsets, metadata), in the same order, with the same stored vectors. Real model, real Chroma,
the sample corpus."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.errors import NotFoundError

QUESTIONS = ["Who led the Mexican delegation?", "What did the two governments agree on?",
             "How many migrants were apprehended at the border?", "fentanyl seizures",
             "Which rail crossings were closed?"]


def _fields(chunk):
    """Every field of the chunk; of its metadata, all but the near-duplicate group, which the
    keyword copy takes from the release's manifest (as every committed read does) and the
    chunk's own Chroma record keeps as it was when written (no reader uses that one)."""
    return replace(chunk, metadata={k: v for k, v in chunk.metadata.items()
                                    if k != "dup_group"})


def _same(a, b):
    assert [c.chunk_id for c, _ in a] == [c.chunk_id for c, _ in b]
    for (ca, va), (cb, vb) in zip(a, b):
        assert _fields(ca) == _fields(cb)  # text, offsets, title, index, other metadata
        np.testing.assert_array_equal(va, vb)


def test_hits_read_through_the_keyword_copy_equal_chroma_reads(seeded):
    store, keyword = seeded.store, seeded.keyword
    vectors = seeded.embedder.embed(QUESTIONS)
    fetched_half = []

    def half_known(chunk_id):  # every other hit is left for the read by id
        if len(fetched_half) % 2:
            fetched_half.append(chunk_id)
            return None
        fetched_half.append(chunk_id)
        return keyword.chunk(chunk_id)

    for v in vectors:
        plain = store.nearest(v, 30)
        assert len(plain) == min(30, store.count_chunks())
        _same(plain, store.nearest(v, 30, known=keyword.chunk))
        _same(plain, store.nearest(v, 30, known=half_known))
        _same(plain, store.nearest(v, 30, known=lambda _: None))  # nothing known: all read
        # vectors from the copy too: all of them, every other one, none
        _same(plain, store.nearest(v, 30, known=keyword.chunk, known_vectors=keyword.vectors))
        _same(plain, store.nearest(v, 30, known=half_known, known_vectors=lambda ids: {
            cid: vec for cid, vec in keyword.vectors(ids).items() if cid in ids[::2]}))
        _same(plain, store.nearest(v, 30, known=keyword.chunk, known_vectors=lambda _: {}))
        ids = [c.chunk_id for c, _ in plain[::3]]  # the id-restricted search too
        _same(store.nearest(v, 5, ids=ids), store.nearest(v, 5, ids=ids, known=keyword.chunk))
        _same(store.nearest(v, 5, ids=ids), store.nearest(v, 5, ids=ids, known=keyword.chunk,
                                                          known_vectors=keyword.vectors))
    assert fetched_half


def test_the_keyword_copy_knows_the_release_chunks_and_nothing_else(seeded):
    keyword = seeded.keyword
    chunks = keyword.chunks_of(keyword.documents())
    assert chunks and all(keyword.chunk(c.chunk_id) == c for c in chunks)
    # and their stored vectors, equal to Chroma's
    ids = [c.chunk_id for c in chunks]
    held, stored = keyword.vectors(ids + ["no-such-doc.txt#0#0"]), seeded.store.chunk_vectors(ids)
    assert held.keys() == stored.keys() == set(ids)
    for cid in ids:
        np.testing.assert_array_equal(held[cid], stored[cid])
    committed = {c.chunk_id: c for c in seeded.store.committed_chunks(keyword.documents())}
    assert {c.chunk_id: c for c in chunks} == committed  # the committed read, groups and all
    assert keyword.chunk("no-such-doc.txt#000000000000#0") is None


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


def test_retrieval_uses_the_keyword_copy_for_dense_hits(seeded, embedder, monkeypatch):
    """Over a release larger than ``retrieval.exact_max``, the retriever's dense search reads
    only ids from Chroma when the keyword index holds the hits and their vectors; over a
    smaller one it makes no Chroma query at all (exact search over the copy's vectors). Both
    answer as the Chroma query reading everything does."""
    from rag.factory import build_pipeline

    retrieval = seeded.settings.retrieval
    large = build_pipeline(seeded.settings.model_copy(update={
        "retrieval": retrieval.model_copy(update={"exact_max": 0})}), embedder=embedder)
    for q, v in zip(QUESTIONS, seeded.embedder.embed(QUESTIONS)):
        small_answer = seeded.retriever.retrieve(q, v, 5)
        large_answer = large.retriever.retrieve(q, v, 5)
        assert [p.chunk_id for p in small_answer] == [p.chunk_id for p in large_answer]
        plain = [c.chunk_id for c, _ in seeded.store.nearest(v, 30)]
        exact = seeded.retriever._dense_among(v, 30, seeded.keyword.release_chunks(
            seeded.store.release_id()))
        assert [c.chunk_id for c, _ in exact] == plain  # exact search = Chroma's here
    v = seeded.embedder.embed([QUESTIONS[0]])[0]
    before = large.retriever.retrieve(QUESTIONS[0], v, 5)
    include, reads = _spy_chroma(monkeypatch, large.store._chunks)
    assert large.retriever.retrieve(QUESTIONS[0], v, 5) == before
    assert include and all(inc == () for inc in include)  # no texts, no vectors
    include, reads = _spy_chroma(monkeypatch, seeded.store._chunks)
    seeded.retriever.retrieve(QUESTIONS[0], v, 5)
    assert include == [] and reads == []  # 20 chunks <= exact_max: no Chroma read


def test_the_committed_read_from_the_keyword_records_equals_the_stores(seeded, monkeypatch):
    """The committed-only check of candidates answered from the keyword index's records of
    the release (once its live version is known to be that release's) keeps exactly what the
    store's read keeps, groups included, and reads no record from Chroma; for another release,
    or before the check, it is the store's read."""
    retriever, keyword, store = seeded.retriever, seeded.keyword, seeded.store
    release = store.release_id()
    keyword.ensure_current(store, release)
    chunks = keyword.chunks_of(keyword.documents())
    stale = replace(chunks[0], chunk_id="x#0", doc_hash="0" * 12)  # a version not released
    asked = [stale, *chunks, replace(chunks[1], doc_id="gone.txt")]
    expected = store.committed(asked, release)
    assert len(expected) == len(chunks)
    reads: list = []
    get = store._docs.get
    monkeypatch.setattr(store._docs, "get", lambda *a, **k: reads.append(k) or get(*a, **k))
    store._release_records.clear()
    store._version_cache.clear()
    assert retriever._committed_records(asked, release) == expected
    assert reads == []  # every record from the keyword index's copy
    assert keyword.release_documents("r-other") is None
    with pytest.raises(NotFoundError):  # not the copy's release: the store answers
        retriever._committed_records(asked, "r-other")


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
    nearest = store.nearest

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return nearest(*args, **kwargs)

    monkeypatch.setattr(store, "nearest", spy)
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

    monkeypatch.setattr(store, "nearest", down)
    monkeypatch.setattr(retriever, "_overlap", overlap)  # in the worker thread again
    with pytest.raises(StoreUnavailableError, match="not answering"):
        retriever.retrieve(QUESTIONS[0], vectors[0], 5)
