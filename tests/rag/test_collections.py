"""Collections inside retrieval (docs/collections.md): the dense query and BM25 search only the
allowed collections (no starvation when a forbidden collection holds every better match),
near-duplicate collapse happens among allowed candidates only, and an index built before
collections is migrated to all-'default'."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index.collections import check_name, key_for, split_key
from index.errors import InputError
from index.store import ChromaStore, make_client
from rag.factory import build_pipeline
from rag.types import RetrievalFilters
from tests.helpers import make_settings

PARKING = ("# Parking\n\nStaff may park in lot C after 6 pm. Visitors park in lot A next to the "
           "main entrance, and bicycles go in the covered racks by door 4.\n")


def test_names_and_keys():
    assert check_name("finance-2024") == "finance-2024"
    for bad in ("", "Finance", "a b", "-x", "x" * 64, "a::b"):
        with pytest.raises(InputError, match="not a valid collection name"):
            check_name(bad)
    assert key_for("default", "a.md") == "a.md"
    assert key_for("hr", "a.md") == "hr::a.md" and split_key("hr::a.md", "hr") == "a.md"


def _world(tmp_path: Path, embedder, mode: str, pool: int):
    settings = make_settings(tmp_path / "data", retrieval={"mode": mode, "candidates": pool,
                                                           "rerank": False})
    pipeline = build_pipeline(settings, embedder=embedder)
    allowed, forbidden, twin_a, twin_b = (tmp_path / n for n in ("a", "b", "ta", "tb"))
    for folder in (allowed, forbidden):
        folder.mkdir()
    # the forbidden collection holds 30 documents matching the question better than the one
    # allowed document does
    for i in range(30):
        (forbidden / f"p{i:02}.md").write_text(
            f"# Parking rule {i}\n\nParking in lot C after 6 pm: staff park in lot C after 6 pm "
            f"on weekday {i}. Lot C parking after 6 pm is for staff.\n")
    (allowed / "misc.md").write_text("# Misc\n\nThe canteen serves soup. Some staff cars use "
                                     "the lot after the evening.\n")
    for name in ("alpha", "beta"):
        pipeline.store.collections.create(name)
    pipeline.ingest.sync(forbidden, collection="beta")
    pipeline.ingest.sync(allowed, collection="alpha")
    return pipeline


@pytest.mark.parametrize("mode", ["dense", "keyword"])
def test_a_forbidden_collection_never_starves_the_allowed_one(tmp_path, embedder, mode):
    pipeline = _world(tmp_path, embedder, mode, pool=5)
    question = "Where do staff park after 6 pm?"
    vector = embedder.embed([question])[0]
    retriever = pipeline.retriever
    everything = retriever.retrieve(question, vector, 5)
    assert everything and all(p.doc_id.startswith("beta::") for p in everything)
    only_alpha = retriever.retrieve(question, vector, 5,
                                    RetrievalFilters(collections=("alpha",)))
    assert [p.doc_id for p in only_alpha] == ["alpha::misc.md"]
    assert retriever.retrieve(question, vector, 5, RetrievalFilters(collections=())) == []
    # a doc-id filter naming the other collection's document finds nothing
    assert retriever.retrieve(question, vector, 5, RetrievalFilters(
        collections=("alpha",), doc_ids=("beta::p01.md",))) == []


def test_duplicates_collapse_only_among_allowed_passages(tmp_path, embedder):
    settings = make_settings(tmp_path / "data", retrieval={"rerank": False})
    pipeline = build_pipeline(settings, embedder=embedder)
    for name in ("alpha", "beta"):
        pipeline.store.collections.create(name)
        folder = tmp_path / name
        folder.mkdir()
        (folder / "parking.md").write_text(PARKING)  # the same document in both
        pipeline.ingest.sync(folder, collection=name)
    records = pipeline.store.documents()
    assert set(records) == {"alpha::parking.md", "beta::parking.md"}
    assert len({r.dup_group for r in records.values()}) == 1  # one near-duplicate group
    question = "Where do visitors park?"
    vector = embedder.embed([question])[0]
    both = pipeline.retriever.retrieve(question, vector, 5)
    assert len([p for p in both if "parking" in p.doc_id]) == 1  # collapsed for an all-key
    for name in ("alpha", "beta"):
        only = pipeline.retriever.retrieve(question, vector, 5,
                                           RetrievalFilters(collections=(name,)))
        assert only and {p.doc_id for p in only} == {f"{name}::parking.md"}


def test_an_index_built_before_collections_reads_as_default(settings, embedder, tmp_path):
    """The previous code wrote no 'collection' field and no registry: opening the index stamps
    every chunk and version record 'default' (and the dense filter then finds them)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "parking.md").write_text(PARKING)
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus)
    del pipeline
    client = make_client("embedded", settings.data_dir)
    for name in ("documents", "documents__docs"):  # the old layout: no collection field
        col = client.get_collection(name, embedding_function=None)
        ids = col.get()["ids"]
        col.update(ids=ids, metadatas=[{"collection": None}] * len(ids))
        assert not any("collection" in m for m in col.get(include=["metadatas"])["metadatas"])
    client.delete_collection("documents__collections")
    shutil.rmtree(settings.data_dir / "keyword")

    store = ChromaStore.existing(make_client("embedded", settings.data_dir), "documents")
    assert store is not None and store.collections.migrated()
    assert {r.collection for r in store.documents().values()} == {"default"}
    assert store.collection_counts() == {"default": 1}
    chunks = client.get_collection("documents", embedding_function=None)
    assert {m["collection"] for m in chunks.get(include=["metadatas"])["metadatas"]} == {"default"}
    again = build_pipeline(settings, embedder=embedder)
    question = "Where do visitors park?"
    vector = np.asarray(embedder.embed([question])[0])
    found = again.retriever.retrieve(question, vector, 3,
                                     RetrievalFilters(collections=("default",)))
    assert [p.doc_id for p in found] == ["parking.md"]
    answer = again.answers.answer(question)
    assert not answer.refused and answer.citations[0].doc_id == "parking.md"


@pytest.mark.parametrize("exact_max", [0, 10_000])
def test_a_filtered_dense_search_is_the_exact_ranking_of_the_allowed_chunks(tmp_path, embedder,
                                                                            exact_max):
    """Both ways a filtered dense search runs (Chroma's query restricted to the allowed chunk
    ids, and exact scoring of their stored vectors) return the allowed chunks in the order a
    brute-force cosine over every allowed chunk gives, and nothing else."""
    settings = make_settings(tmp_path / "data", retrieval={"mode": "dense", "candidates": 8,
                                                           "rerank": False,
                                                           "exact_max": exact_max,
                                                           "duplicate_text_overlap": 1.01})
    pipeline = build_pipeline(settings, embedder=embedder)
    for name in ("alpha", "beta"):
        pipeline.store.collections.create(name)
        folder = tmp_path / name
        folder.mkdir()
        for i in range(12):
            (folder / f"{name}{i:02}.md").write_text(
                f"# {name} note {i}\n\nRoom {i} of the {name} wing holds {i * 3} desks, "
                f"a printer and {i % 4} plants. Meetings there start at {8 + i % 9} am.\n")
        pipeline.ingest.sync(folder, collection=name)
    question = "Which room has the most desks and plants?"
    vector = embedder.embed([question])[0]
    store = pipeline.store
    alpha = [c for d in store.documents() if d.startswith("alpha::")
             for c in store.document_chunks(d)]
    stored = store.chunk_vectors([c.chunk_id for c in alpha])
    expected = sorted(alpha, key=lambda c: -float(stored[c.chunk_id] @ vector))[:8]
    # (the candidates before near-duplicate collapse: these templated notes are near-duplicates)
    found = pipeline.retriever.candidates(question, vector, 8,
                                          RetrievalFilters(collections=("alpha",)))
    assert [c.chunk.chunk_id for c in found] == [c.chunk_id for c in expected]
