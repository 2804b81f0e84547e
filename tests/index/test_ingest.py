"""Ingestion against the real model and a real Chroma index in a temp dir."""

from pathlib import Path

import pytest

from index.errors import IndexMismatchError
from index.loaders import load_document
from rag.factory import build_pipeline


def test_chunks_map_back_to_the_original_text(seeded, corpus_dir: Path):
    docs = seeded.store.documents()
    assert len(docs) == 5
    for doc_id in docs:
        original = (corpus_dir / doc_id).read_text(encoding="utf-8")
        chunks = seeded.store.document_chunks(doc_id)
        assert chunks, doc_id
        for c in chunks:
            source = original[c.start:c.end]
            # the chunk is the cleaned form of exactly this span
            assert c.text.split()[0] in source and c.text.split()[-1] in source
            assert source.startswith(c.text[:10]) and source.endswith(c.text[-5:])
            assert len(seeded.embedder.tokenize(c.text)) <= 256


def test_chunk_metadata(seeded):
    chunk = seeded.store.document_chunks("002_696000928d11651b.txt")[0]
    assert chunk.doc_id == "002_696000928d11651b.txt"
    assert chunk.title.startswith("President Joe Biden sent officials")
    assert chunk.start == 0 and chunk.end > chunk.start


def test_ingest_is_idempotent_and_tracks_changes(settings, embedder, corpus_copy: Path):
    pipeline = build_pipeline(settings, embedder=embedder)
    first = pipeline.ingest.sync(corpus_copy)
    assert len(first.added) == 5 and not first.failed
    chunks = pipeline.store.count_chunks()

    again = pipeline.ingest.sync(corpus_copy)
    assert len(again.unchanged) == 5 and again.chunks_written == 0
    assert pipeline.store.count_chunks() == chunks

    target = corpus_copy / "001_3b16739788f1550a.txt"
    old_count = len(pipeline.store.document_chunks("001_3b16739788f1550a.txt"))
    assert old_count > 1
    target.write_text("The delegation met in Oaxaca on a rainy Tuesday to discuss avocados.\n")
    changed = pipeline.ingest.sync(corpus_copy)
    assert changed.updated == ["001_3b16739788f1550a.txt"]
    new_chunks = pipeline.store.document_chunks("001_3b16739788f1550a.txt")
    assert len(new_chunks) == 1 and "Oaxaca" in new_chunks[0].text
    assert pipeline.store.visible_chunks() == chunks - old_count + 1
    # the old version stays stored for the retained release it belongs to (rollback) ...
    assert pipeline.store.count_chunks() == chunks + 1
    assert (first.release, changed.release) == ("r1", "r2")
    # ... and goes once no retained release needs it
    pipeline.store.collect_garbage(retain=1)
    assert pipeline.store.count_chunks() == chunks - old_count + 1

    (corpus_copy / "000_1c892726ee893fcb.txt").unlink()
    gone = pipeline.ingest.sync(corpus_copy)
    assert gone.deleted == ["000_1c892726ee893fcb.txt"]
    assert "000_1c892726ee893fcb.txt" not in pipeline.store.documents()


def test_failed_files_are_named_and_the_run_goes_on(settings, embedder, tmp_path: Path):
    corpus = tmp_path / "bad"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Mexico and the United States met in December.")
    (corpus / "empty.txt").write_text("   \n")
    (corpus / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    report = build_pipeline(settings, embedder=embedder).ingest.sync(corpus)
    assert report.added == ["good.txt"]
    assert report.failed["empty.txt"] == "empty file"
    assert "UTF-8" in report.failed["latin1.txt"]
    assert report.failed["image.png"] == ("corrupt PNG image (its header is truncated or "
                                          "damaged)")


def test_index_built_with_another_model_is_refused(settings, embedder, corpus_copy: Path):
    from index.store import ChromaStore, make_client

    build_pipeline(settings, embedder=embedder).ingest.sync(corpus_copy)
    client = make_client("embedded", settings.data_dir)
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        ChromaStore(client, settings.store.collection, "local:other-model", 768)


def test_titles(corpus_dir: Path):
    doc = load_document(corpus_dir / "003_01b82d5fbafcc814.txt", corpus_dir)
    assert doc.title == "U.S. Officials Meet With Mexican President for Border Talks"


def test_a_heading_over_and_underlined_or_after_markup_is_the_title():
    """reStructuredText writes a title between two lines of ``=`` and may open with a label:
    the title is the heading's text (Django's and pip's policy pages), never the adornment."""
    from index.loaders import derive_title

    assert derive_title("==========================\nDjango's security policies\n"
                        "==========================\n\nText.", "x.txt") == \
        "Django's security policies"
    assert derive_title(".. _release-process:\n\n=====\nRelease process\n=====\n", "x") == \
        "Release process"
    assert derive_title("Release process\n===============\n", "x") == "Release process"
    assert derive_title("# Travel policy\n\nBook early.", "x") == "Travel policy"
    assert derive_title("\n\n", "fallback.txt") == "fallback.txt"
