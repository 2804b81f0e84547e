"""Releases in the store: staged versions stay invisible until published, publishing and rolling
back switch every reader at once, garbage collection keeps the retained releases, an index made
before releases is migrated, and every user error says what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.errors import ConfigError, InputError, NotFoundError
from releases.publishing import publish_release, rollback
from index.store import ChromaStore, make_client
from rag.factory import build_pipeline
from tests.helpers import make_settings

LIGHTHOUSE = ("Notes from the Kilnsea lighthouse\n\nThe Kilnsea lighthouse keeper Marguerite "
              "Olafsdottir repainted the lamp room in cobalt blue in 1987. The tower stands on "
              "the dunes south of the village and its lamp was electrified in 1952.\n")
QUESTION = "Who repainted the lamp room of the Kilnsea lighthouse?"
NOVEMBER = "How many migrants did Border Patrol apprehend in November?"


def _cites(answer, doc_id: str) -> bool:
    return not answer.refused and any(c.doc_id == doc_id for c in answer.citations)


def test_staged_release_is_invisible_until_published_then_rolled_back_and_back(
        settings, embedder, corpus_copy: Path):
    pipeline = build_pipeline(settings, embedder=embedder)
    first = pipeline.ingest.sync(corpus_copy)
    assert (first.release, first.outcome) == ("r1", "published")
    (corpus_copy / "lighthouse.txt").write_text(LIGHTHOUSE)
    staged = pipeline.ingest.sync(corpus_copy, publish=False)
    assert (staged.release, staged.outcome, staged.added) == ("r2", "staged", ["lighthouse.txt"])

    # a second reader (another process or replica would do the same: it reads the pointer)
    reader = build_pipeline(settings, embedder=embedder)
    for p in (pipeline, reader):
        assert "lighthouse.txt" not in p.store.documents()
        with pytest.raises(NotFoundError):
            p.store.document_text("lighthouse.txt")
        answer = p.answers.answer(QUESTION)
        assert not _cites(answer, "lighthouse.txt") and answer.release == "r1"
    # the gate's view of the staged release sees it
    view = build_pipeline(settings, embedder=embedder, release="r2")
    assert _cites(view.answers.answer(QUESTION), "lighthouse.txt")

    publish_release(pipeline.store, pipeline.ingest.lock, "r2",
                    on_change=pipeline.ingest.on_change)
    answer = reader.answers.answer(QUESTION)
    assert _cites(answer, "lighthouse.txt") and answer.release == "r2"
    assert "Olafsdottir" in answer.answer

    back = rollback(pipeline.store, pipeline.ingest.lock, on_change=pipeline.ingest.on_change)
    assert back.release_id == "r1" and pipeline.store.release_id() == "r1"
    answer = reader.answers.answer(QUESTION)
    assert not _cites(answer, "lighthouse.txt") and answer.release == "r1"
    assert "lighthouse.txt" not in reader.store.documents()
    # the rest still answers from r1
    assert "191,000" in reader.answers.answer(NOVEMBER).answer

    publish_release(pipeline.store, pipeline.ingest.lock, "r2")
    assert _cites(reader.answers.answer(QUESTION), "lighthouse.txt")
    states = {r.release_id: r.state for r in pipeline.store.releases.list()}
    assert states == {"r1": "retired", "r2": "published"}


def test_garbage_collection_keeps_retained_releases_only(settings, embedder, corpus_copy: Path):
    settings = settings.model_copy(update={"releases": settings.releases.model_copy(
        update={"retain": 2})})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_copy)  # r1
    target = corpus_copy / "001_3b16739788f1550a.txt"
    for i in range(3):  # r2, r3, r4: three versions of one document
        target.write_text(f"Edition {i}: the delegation met in Oaxaca to discuss avocados.\n")
        pipeline.ingest.sync(corpus_copy)
    releases = {r.release_id: r.state for r in pipeline.store.releases.list()}
    assert releases == {"r1": "collected", "r2": "collected", "r3": "retired",
                        "r4": "published"}
    versions = {h for (d, h) in pipeline.store.stored_versions() if d == target.name}
    kept = {pipeline.store.releases.manifest(r)[target.name][0] for r in ("r3", "r4")}
    assert versions == kept  # r1's and r2's versions are gone, r3's is still there
    with pytest.raises(InputError, match="garbage-collected"):
        publish_release(pipeline.store, pipeline.ingest.lock, "r1")
    rollback(pipeline.store, pipeline.ingest.lock, "r3")
    assert "Edition 1" in pipeline.store.document_text(target.name)


def test_user_errors_are_clear(settings, embedder, corpus_copy: Path, tmp_path: Path):
    pipeline = build_pipeline(settings, embedder=embedder)
    with pytest.raises(InputError, match="nothing is published yet"):
        rollback(pipeline.store, pipeline.ingest.lock)
    pipeline.ingest.sync(corpus_copy)
    with pytest.raises(NotFoundError, match=r"no release 'r9' \(recent: r1\).*rag releases list"):
        publish_release(pipeline.store, pipeline.ingest.lock, "r9")
    with pytest.raises(InputError, match="nothing to roll back to"):
        rollback(pipeline.store, pipeline.ingest.lock)
    (corpus_copy / "lighthouse.txt").write_text(LIGHTHOUSE)
    staged = pipeline.ingest.sync(corpus_copy, publish=False)
    pipeline.store.set_status(pipeline.store.releases.get(staged.release), "held",
                              {"outcome": "failed", "reason": "answer.contains_gold fell"})
    with pytest.raises(InputError, match=r"held by the gate \(answer.contains_gold fell\).*--force"):
        publish_release(pipeline.store, pipeline.ingest.lock, staged.release)
    with pytest.raises(InputError, match="no rollback target"):
        rollback(pipeline.store, pipeline.ingest.lock, staged.release)
    publish_release(pipeline.store, pipeline.ingest.lock, staged.release, force=True)
    assert pipeline.store.release_id() == staged.release
    with pytest.raises(ConfigError, match="releases.policy"):
        make_settings(tmp_path / "d", releases={"policy": "sometimes"})
    with pytest.raises(ConfigError, match="needs a gold set"):
        make_settings(tmp_path / "d", releases={"policy": "gate"})
    assert make_settings(tmp_path / "d").release_policy == "always"
    assert make_settings(tmp_path / "d", eval={"gold": "x.jsonl"}).release_policy == "gate"


def test_an_index_made_before_releases_is_migrated(settings, embedder, corpus_copy: Path):
    """An index written by the previous code (manifest records keyed by document id, no
    releases collection) opens as one published release, answering as before."""
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_copy)
    before = pipeline.answers.answer(NOVEMBER)
    expected = {d: r.content_hash for d, r in pipeline.store.documents().items()}
    del pipeline
    # turn it into the old layout: records by doc id, without "kind", and no releases
    client = make_client("embedded", settings.data_dir)
    docs = client.get_collection("documents__docs", embedding_function=None)
    page = docs.get(include=["metadatas", "documents", "embeddings"])
    docs.delete(ids=page["ids"])
    metas = [{k: v for k, v in m.items() if k != "kind"} for m in page["metadatas"]]
    docs.add(ids=[m["doc_id"] for m in metas], metadatas=metas, documents=page["documents"],
             embeddings=page["embeddings"])
    client.delete_collection("documents__releases")
    shutil.rmtree(settings.data_dir / "keyword")

    store = ChromaStore.existing(make_client("embedded", settings.data_dir), "documents")
    assert store is not None and store.release_id() == "r1"
    assert {d: r.content_hash for d, r in store.documents().items()} == expected
    assert store.releases.get("r1").state == "published"
    assert sorted(docs.get()["ids"]) == sorted(f"{d}@{h}" for d, h in expected.items())
    after = build_pipeline(settings, embedder=embedder).answers.answer(NOVEMBER)
    assert after.answer == before.answer and after.release == "r1"
