"""Sync semantics: near-duplicate groups, settings-driven cleaning, scopes, the lock, the CLI."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from index.errors import ConfigError, IndexBusyError
from index.scope import Scope
from cli.main import main
from cli.index_commands import ProgressBars
from rag.factory import build_pipeline
from tests.helpers import make_settings

DEC_A, DEC_B = "002_696000928d11651b.txt", "004_e904c1ee689fa2a3.txt"


def test_december_copies_are_near_duplicates(seeded):
    docs = seeded.store.documents()
    assert docs[DEC_A].dup_group == DEC_A and docs[DEC_B].dup_group == DEC_A
    others = {d: r.dup_group for d, r in docs.items() if d not in {DEC_A, DEC_B}}
    assert others == {d: d for d in others}  # everything else is its own group
    for doc_id in (DEC_A, DEC_B):
        chunks = seeded.store.document_chunks(doc_id)
        assert chunks and {c.metadata["dup_group"] for c in chunks} == {DEC_A}


def test_groups_follow_deletes_and_new_copies(settings, embedder, corpus_copy: Path):
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_copy)
    (corpus_copy / DEC_A).unlink()
    pipeline.ingest.sync(corpus_copy)
    assert pipeline.store.document(DEC_B).dup_group == DEC_B  # alone again
    assert {c.metadata["dup_group"] for c in pipeline.store.document_chunks(DEC_B)} == {DEC_B}
    shutil.copy(corpus_copy / DEC_B, corpus_copy / "0000-copy.txt")  # sorts first
    pipeline.ingest.sync(corpus_copy)
    for doc_id in (DEC_B, "0000-copy.txt"):
        assert pipeline.store.document(doc_id).dup_group == "0000-copy.txt"
        chunks = pipeline.store.document_chunks(doc_id)
        assert {c.metadata["dup_group"] for c in chunks} == {"0000-copy.txt"}


def test_cleaning_rules_extend_from_settings(tmp_path: Path, embedder):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The mill grinds wheat into flour.\nSponsored by Acme Mills\n"
                                  "It runs on water power.\nRelated stories\nOther mill news.\n")
    settings = make_settings(tmp_path / "data", ingest={
        "boilerplate_patterns": ["sponsored by .*"], "block_start_patterns": ["related stories"]})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus)
    text = " ".join(c.text for c in pipeline.store.document_chunks("a.txt"))
    assert text == "The mill grinds wheat into flour.\nIt runs on water power."
    with pytest.raises(ConfigError, match="ingest.boilerplate_patterns"):
        make_settings(tmp_path / "d2", ingest={"boilerplate_patterns": ["(unclosed"]})


def test_scoped_sync_leaves_other_partitions_alone(settings, embedder, tmp_path: Path):
    corpus = tmp_path / "parts"
    for part, text in (("east", "Eastern orchards grow apples."),
                       ("west", "Western vineyards grow grapes.")):
        (corpus / part).mkdir(parents=True)
        (corpus / part / "a.txt").write_text(text)
    pipeline = build_pipeline(settings, embedder=embedder)
    east = pipeline.ingest.sync(corpus, scope=Scope("east/"))
    west = pipeline.ingest.sync(corpus, scope=Scope("west/"))
    assert (east.added, west.added) == (["east/a.txt"], ["west/a.txt"])
    (corpus / "west" / "a.txt").unlink()
    again = pipeline.ingest.sync(corpus, scope=Scope("east/"))
    assert again.deleted == [] and "west/a.txt" in pipeline.store.documents()
    assert pipeline.ingest.sync(corpus, scope=Scope("west/")).deleted == ["west/a.txt"]
    halves = [Scope(shard=(k, 2)) for k in range(2)]
    ids = [f"d{i}/x.txt" for i in range(40)]
    owners = [[s.owns(i) for s in halves] for i in ids]
    assert all(sum(o) == 1 for o in owners) and 5 < sum(o[0] for o in owners) < 35


def test_second_writer_is_refused_with_the_holder_named(settings, embedder, corpus_copy: Path):
    pipeline = build_pipeline(settings, embedder=embedder)
    with pipeline.ingest.lock.hold():
        with pytest.raises(IndexBusyError, match=r"being written by another process \(pid \d+"):
            pipeline.ingest.sync(corpus_copy)
    assert len(pipeline.ingest.sync(corpus_copy).added) == 5  # the lock is free again


def test_progress_events_and_bars(settings, embedder, corpus_copy: Path):
    events: list[tuple[str, int]] = []
    report = build_pipeline(settings, embedder=embedder).ingest.sync(
        corpus_copy, progress=lambda e, n: events.append((e, n)))
    assert events[0] == ("files_total", 5)
    assert sum(n for e, n in events if e == "file") == 5
    assert sum(n for e, n in events if e == "chunks") == report.chunks_written > 0
    out = io.StringIO()
    with ProgressBars(stream=out, delay=0) as bars:
        for event, amount in events:
            bars.update(event, amount)
    assert "files: 100%" in out.getvalue() and f"{report.chunks_written}chunk" in \
        out.getvalue().replace(" ", "")


def run_cli(capsys, data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_documents_and_status_commands(capsys, settings, embedder, corpus_copy: Path):
    data = settings.data_dir
    code, out, _ = run_cli(capsys, data, "status", "--json")
    assert code == 0 and json.loads(out)["documents"] == 0  # nothing indexed yet: no crash
    build_pipeline(settings, embedder=embedder).ingest.sync(corpus_copy)

    code, out, _ = run_cli(capsys, data, "status", "--json")
    status = json.loads(out)
    assert status["documents"] == 5 and status["chunks"] > 5
    assert status["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert status["last_sync"].endswith("Z") and status["near_duplicate_groups"] == 1

    code, out, _ = run_cli(capsys, data, "documents", "list", "--json")
    rows = {r["doc_id"]: r for r in json.loads(out)}
    assert len(rows) == 5 and rows[DEC_B]["dup_group"] == DEC_A

    code, out, _ = run_cli(capsys, data, "documents", "show", DEC_B, "--json")
    shown = json.loads(out)
    assert shown["near_duplicates"] == [DEC_A] and shown["chunk_count"] == len(shown["chunks"])
    assert all(c["dup_group"] == DEC_A for c in shown["chunks"])

    code, _, err = run_cli(capsys, data, "documents", "delete", "nope.txt")
    assert code == 2 and "no document with id 'nope.txt'" in err
    code, out, _ = run_cli(capsys, data, "documents", "delete", DEC_A)
    assert code == 0 and out.splitlines() == [f"deleted {DEC_A}", "release r2: published"]
    code, out, _ = run_cli(capsys, data, "documents", "list")
    assert DEC_A not in out and "near-duplicate" not in out and len(out.splitlines()) == 4
