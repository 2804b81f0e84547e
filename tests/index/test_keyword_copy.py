"""What the release replica keeps of each release besides BM25: every chunk's analysed terms (as
vocabulary ids), stored vector and the injection screen's verdict, which retrieval reads instead
of analysing and screening texts and asking Chroma per question; and the one call that gives the
snapshot of a release or says why not. Built from a small in-memory source (the real store's
path: the retrieval tests over the sample corpus and tests/index/test_nearest_known.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import Analyzer, text_shingles
from index.bm25 import best_positive, search
from index.replica import PassageScreen, ReleaseReplica, Unavailable
from index.snapshot import ReleaseSnapshot
from index.store import DocumentRecord
from index.types import Chunk
from rag.rerank import term_hits

WORDS = ["border", "talks", "fentanyl", "Mexico", "López", "rail", "crossing", "the", "of",
         "closed", "agreed", "migrants", "Obrador", "delegation", "seizures", "agents"]


class Source:
    """One release of documents (one chunk each) with vectors, or without (``vectors=False``)."""

    def __init__(self, texts: dict[str, str], vectors: bool = True) -> None:
        self.texts = texts
        self.with_vectors = vectors
        self.vector_reads: list[list[str]] = []

    def release_id(self) -> str:
        return "r1"

    def documents(self, release=None) -> dict[str, DocumentRecord]:
        return {d: DocumentRecord(d, f"h{abs(hash(t))}", d, d, 0.0, 1, len(t), "txt", 0.0)
                for d, t in self.texts.items()}

    def committed_chunks(self, doc_ids, release=None):
        docs = self.documents()
        return [Chunk(f"{d}#0", d, docs[d].content_hash, d, self.texts[d], 0,
                      len(self.texts[d]), 0) for d in doc_ids if d in self.texts]

    def chunk_vectors(self, chunk_ids):
        self.vector_reads.append(list(chunk_ids))
        if not self.with_vectors:
            return {}
        return {cid: _vector(cid + self.texts[cid.split("#")[0]]) for cid in chunk_ids}


def _vector(chunk_id: str) -> np.ndarray:
    v = np.random.default_rng(abs(hash(chunk_id)) % 2**32).normal(size=8).astype(np.float32)
    return v / np.linalg.norm(v)


texts = st.dictionaries(
    st.sampled_from([f"d{i}.txt" for i in range(12)]),
    st.lists(st.sampled_from(WORDS), min_size=0, max_size=25).map(" ".join),
    min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(texts, st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join))
def test_stored_terms_give_the_hits_analysis_gives_and_search_orders_ties_by_index(
        tmp_path_factory, corpus, question):
    index = ReleaseReplica(tmp_path_factory.mktemp("kw"), check_interval=0.0)
    index.refresh(Source(corpus))
    snapshot = index.latest()
    chunks = snapshot.chunks_of(snapshot.documents)
    q_terms = sorted(set(index.terms(question)))
    q_index = {t: j for j, t in enumerate(q_terms)}
    ids = [c.chunk_id for c in chunks] + ["missing.txt#0"]
    found = index.matches(q_terms, ids)
    assert found.held.tolist() == [True] * len(chunks) + [False]  # a chunk the copy lacks
    per_chunk = [[] for _ in ids]
    for s, p, j in zip(found.segment.tolist(), found.position.tolist(), found.term.tolist()):
        per_chunk[s].append((p, j))
    assert per_chunk[-1] == []
    for chunk, hits in zip(chunks, per_chunk):
        assert hits == term_hits(index.terms(chunk.text), q_index)
        # near-duplicate shingles from the stored terms: those of the text analysed
        assert index.shingles(chunk) == text_shingles(Analyzer(), chunk.text)
        assert index.title_terms(chunk.title) == frozenset(index.terms(chunk.title))
    # BM25's top k: the best scores, ties by index order, only chunks holding a query term
    hits = search(snapshot, question, 3)
    scores = {h.chunk.chunk_id: h.score for h in search(snapshot, question, len(chunks))}
    order = [c.chunk_id for c in chunks]
    expected = sorted(scores, key=lambda cid: (-scores[cid], order.index(cid)))[:3]
    assert [h.chunk.chunk_id for h in hits] == expected
    assert all(h.score > 0 for h in hits)


def test_vectors_are_kept_per_version_and_read_only_for_changed_documents(tmp_path):
    source = Source({"a.txt": "border talks", "b.txt": "rail crossing closed"})
    index = ReleaseReplica(tmp_path / "kw", check_interval=0.0)
    index.refresh(source)
    held = index.latest().vectors_of(["a.txt#0", "b.txt#0", "nope#0"])
    assert held.keys() == {"a.txt#0", "b.txt#0"}
    np.testing.assert_array_equal(held["a.txt#0"], _vector("a.txt#0border talks"))
    # b changes: only its new chunk's vector is read (even under the same chunk id, as this
    # source gives); a's is copied from the last version
    source.texts["b.txt"] = "rail crossing reopened"
    source.vector_reads.clear()
    index.refresh(source)
    assert source.vector_reads == [["b.txt#0"]]
    np.testing.assert_array_equal(index.latest().vectors_of(["b.txt#0"])["b.txt#0"],
                                  _vector("b.txt#0rail crossing reopened"))
    # another process loads the saved version: same terms, same vectors
    other = ReleaseReplica(tmp_path / "kw", check_interval=0.0)
    assert other.chunk_count() == 2
    for cid in ("a.txt#0", "b.txt#0"):
        np.testing.assert_array_equal(other.latest().vectors_of([cid])[cid],
                                      index.latest().vectors_of([cid])[cid])
    q = sorted(set(index.terms("rail reopened border")))
    for mine, theirs in zip(other.matches(q, ["a.txt#0", "b.txt#0"]),
                            index.matches(q, ["a.txt#0", "b.txt#0"])):
        assert mine.tolist() == theirs.tolist()


def test_a_source_without_vectors_leaves_retrieval_to_read_them(tmp_path):
    index = ReleaseReplica(tmp_path / "kw", check_interval=0.0)
    index.refresh(Source({"a.txt": "border talks"}, vectors=False))
    assert index.chunk_count() == 1 and index.latest().vectors_of(["a.txt#0"]) == {}
    found = index.matches(["border"], ["a.txt#0"])
    assert [x.tolist() for x in found] == [[True], [0], [0], [0]]


def test_the_snapshot_of_a_release_is_given_only_for_the_release_the_replica_holds(tmp_path):
    """Exact search and the committed check over the replica (rag.retrieval) are only as right
    as the copy: the one call gives the snapshot of the release the live version was checked to
    hold (a refresh holds the release it read), and for any other release says why not, with
    the live version for reads keyed by chunk id."""
    source = Source({"a.txt": "border talks", "b.txt": "rail crossing closed"})
    index = ReleaseReplica(tmp_path / "kw", check_interval=3600.0)
    index.refresh(source)
    whole = index.snapshot(source, "r1")
    assert isinstance(whole, ReleaseSnapshot)
    assert {c.chunk_id for c in whole.chunks} == {"a.txt#0", "b.txt#0"}
    assert whole.documents.keys() == {"a.txt", "b.txt"}
    other = index.snapshot(source, "r2")  # not checked again within the interval
    assert isinstance(other, Unavailable) and "r1" in other.reason and other.latest is whole
    assert isinstance(index.snapshot(source, None), Unavailable)
    # a writer's refresh makes a new version of the release it reads; the old one is unchanged
    source.texts["c.txt"] = "agents"
    index.refresh(source)
    newer = index.snapshot(source, "r1")
    assert isinstance(newer, ReleaseSnapshot) and len(newer.chunks) == 3
    assert len(whole.chunks) == 2 and whole.documents.keys() == {"a.txt", "b.txt"}
    # a replica that loads the saved version checks it against the release on its first call
    fresh = ReleaseReplica(tmp_path / "kw", check_interval=3600.0)
    assert isinstance(fresh.snapshot(source, "r1"), ReleaseSnapshot)
    assert isinstance(fresh.snapshot(source, "r2"), Unavailable)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.5, 2.25, 3.0]), max_size=1500),
       st.integers(0, 40), st.sampled_from([1, 2, 16]))
def test_best_positive_is_a_stable_sort_of_the_positive_scores(values, k, stride):
    """BM25's top k from a sample's floor: the same positions, in the same order, as sorting
    every positive score (ties by position), with many ties and zeros."""
    scores = np.asarray(values, dtype=np.float32)
    expected = sorted((i for i, v in enumerate(values) if v > 0),
                      key=lambda i: (-values[i], i))[:k]
    assert best_positive(scores, k, stride).tolist() == expected


class CountingScreen:
    """Flags texts holding ``word``; counts the texts it judged."""

    def __init__(self, word: str) -> None:
        self.word, self.judged = word, []

    def __call__(self, text: str, title: str) -> bool:
        self.judged.append(text)
        return self.word in text.split()


def test_screen_verdicts_are_judged_once_per_version_and_kept_per_screen(tmp_path):
    source = Source({"a.txt": "border talks", "b.txt": "rail fentanyl", "c.txt": "agents"})
    first = CountingScreen("fentanyl")
    index = ReleaseReplica(tmp_path / "kw", check_interval=0.0,
                           screen=PassageScreen("v1", first))
    index.refresh(source)
    assert index.latest().flags_of(["a.txt#0", "b.txt#0", "c.txt#0", "nope#0"]) == [
        False, True, False, None]
    assert sorted(first.judged) == ["agents", "border talks", "rail fentanyl"]
    # one document changes: only its chunk is judged, the others' verdicts are copied
    first.judged.clear()
    source.texts["c.txt"] = "agents seized fentanyl"
    index.refresh(source)
    assert first.judged == ["agents seized fentanyl"]
    assert index.latest().flags_of(["a.txt#0", "b.txt#0", "c.txt#0"]) == [False, True, True]
    # another process with the same screen loads the kept verdicts: nothing judged again
    again = CountingScreen("fentanyl")
    reader = ReleaseReplica(tmp_path / "kw", check_interval=0.0, screen=PassageScreen("v1", again))
    assert again.judged == [] and reader.latest().flags_of(["c.txt#0"]) == [True]
    # other code (another screen version) never reads those verdicts: it judges every chunk,
    # keeps its own beside them, and the first screen's stay as they were
    other = CountingScreen("border")
    changed = ReleaseReplica(tmp_path / "kw", check_interval=0.0,
                             screen=PassageScreen("v2", other))
    assert len(other.judged) == 3
    assert changed.latest().flags_of(["a.txt#0", "b.txt#0", "c.txt#0"]) == [True, False, False]
    third = CountingScreen("fentanyl")
    kept = ReleaseReplica(tmp_path / "kw", check_interval=0.0, screen=PassageScreen("v1", third))
    assert kept.latest().flags_of(["b.txt#0"]) == [True]
    assert third.judged == []
    # without a screen there are no verdicts: retrieval judges each candidate itself
    unscreened = ReleaseReplica(tmp_path / "kw", check_interval=0.0)
    assert unscreened.latest().flags_of(["a.txt#0"]) == [None]
