"""Ingest encodes each distinct chunk text once per sync, longest first, while a producer
thread loads and chunks ahead; what is stored is what a plain per-document ingest stores."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import index.ingest as ingest_module
from index.loaders import load_document
from rag.factory import build_pipeline

PARAGRAPHS = [
    "The city council approved the new budget on Tuesday after a long debate about transit "
    "funding, school repairs and the cost of clearing snow from the northern districts.",
    "Health officials reported that vaccination rates rose by four percent in the last quarter, "
    "with the largest gains among residents older than sixty-five.",
    "A spokesperson for the port authority said container traffic had recovered to the levels "
    "seen before the strike, although delays persisted at the rail terminal.",
    "Local farmers warned that the dry summer had cut the wheat harvest by a third, pushing "
    "bread prices up in markets across the region.",
]


class CountingEmbedder:
    """The real embedder, recording every text it is asked to encode."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner
        self.model_id, self.dimension, self.max_tokens = (inner.model_id, inner.dimension,
                                                          inner.max_tokens)
        self.calls: list[list[str]] = []

    def embed(self, texts):  # noqa: ANN001, ANN201
        self.calls.append(list(texts))
        return self.inner.embed(texts)

    def tokenize(self, text: str) -> list[str]:
        return self.inner.tokenize(text)


def _corpus(root: Path) -> Path:
    """Near-duplicate stories: each repeats whole paragraphs of the others."""
    root.mkdir(parents=True)
    stories = [[0, 1, 2, 3], [0, 1, 2, 3], [1, 2, 3, 0], [0, 1], [3, 2, 1, 0], [2, 3]]
    for i, order in enumerate(stories):
        body = "\n\n".join(PARAGRAPHS[j] for j in order)
        (root / f"story{i}.txt").write_text(f"Story {i % 2}\n\n{body}\n", encoding="utf-8")
    return root


def _stored(pipeline) -> dict[str, tuple]:  # noqa: ANN001
    docs = pipeline.store.documents()
    chunks = pipeline.store.committed_chunks(docs)
    return {c.chunk_id: (c.doc_id, c.text, c.start, c.end, c.index) for c in chunks}


def test_repeated_paragraphs_are_encoded_once(settings, embedder, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    counting = CountingEmbedder(embedder)
    # Plain chunks: the stories repeat paragraphs under other titles, and with context headers
    # (index/context.py) a paragraph under another title is another embedded text. The reuse
    # is keyed by the embedded text either way (index/ingest.py).
    s = settings.model_copy(update={"chunking": settings.chunking.model_copy(
        update={"chunk_size": 40, "chunk_overlap": 0, "context_headers": False})})
    pipeline = build_pipeline(s, embedder=counting)  # type: ignore[arg-type]
    report = pipeline.ingest.sync(corpus)
    assert len(report.added) == 6 and not report.failed

    stored = _stored(pipeline)
    texts = [t for _, t, *_ in stored.values()]
    encoded = [t for call in counting.calls for t in call]
    assert len(texts) == report.chunks_written > len(set(texts))  # the corpus repeats chunks
    assert Counter(encoded) == Counter(set(texts))  # every distinct text exactly once
    for call in counting.calls:  # longest first within each encoder call
        assert [len(t) for t in call] == sorted((len(t) for t in call), reverse=True)

    # Identical texts got identical vectors, equal to the text's own vector.
    ids = list(stored)
    got = pipeline.store._chunks.get(ids=ids, include=["embeddings", "documents"])
    by_text: dict[str, np.ndarray] = {}
    for text, vector in zip(got["documents"], got["embeddings"]):
        vector = np.asarray(vector, dtype=np.float32)
        if text in by_text:
            np.testing.assert_array_equal(by_text[text], vector)
        by_text[text] = vector
    alone = embedder.embed(list(by_text))
    for (text, vector), ref in zip(by_text.items(), alone):
        assert float(vector @ ref) >= 0.9999, text

    # The same chunks as indexing the documents one by one without the producer thread.
    other = build_pipeline(s.model_copy(update={"data_dir": tmp_path / "other"}),
                           embedder=embedder)
    docs = [load_document(p, corpus) for p in sorted(corpus.iterdir())]
    for doc in docs:
        other.ingest.add_documents([doc])
    assert _stored(other) == stored


def test_a_producer_error_reaches_the_caller(settings, embedder, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path / "corpus")
    real = ingest_module.load_document

    def broken(path, base, max_bytes):  # noqa: ANN001, ANN202
        if path.name == "story3.txt":
            raise RuntimeError("disk on fire")
        return real(path, base, max_bytes)

    monkeypatch.setattr(ingest_module, "load_document", broken)
    pipeline = build_pipeline(settings, embedder=embedder)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="disk on fire"):
        pipeline.ingest.sync(corpus)
    assert threading.active_count() == before  # the producer thread has ended
    monkeypatch.setattr(ingest_module, "load_document", real)
    assert not pipeline.ingest.sync(corpus).failed  # the lock was released


def test_a_write_error_stops_the_producer(settings, embedder, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path / "corpus")
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.embed_group_chunks = 1  # flush (and write) after every document

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError("store went away")

    monkeypatch.setattr(pipeline.store, "write_versions", broken)
    before = threading.active_count()
    with pytest.raises(OSError, match="store went away"):
        pipeline.ingest.sync(corpus)
    assert threading.active_count() == before
