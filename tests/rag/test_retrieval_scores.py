"""``Passage.score`` is the cosine of the question's and the passage's vectors in every mode: the
fitted reranker and refusal weights were learnt on it, so it must not drift with how a library
reports distances."""

from __future__ import annotations

import numpy as np
import pytest

from rag.factory import build_retriever
from rag.settings import RetrievalSettings

QUESTIONS = ["How many migrants did Border Patrol apprehend in November?",
             "Who met the Mexican president?", "tracking reference"]


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_passage_scores_are_the_cosine_of_the_stored_vectors(seeded, mode):
    settings = seeded.settings.model_copy(update={
        "retrieval": RetrievalSettings(mode=mode, rerank=False)})
    retriever = build_retriever(settings, seeded.store, seeded.embedder, seeded.keyword)
    for question in QUESTIONS:
        q = seeded.embedder.embed([question])[0]
        passages = retriever.retrieve(question, q, 8)
        assert passages
        vectors = seeded.store.chunk_vectors([p.chunk_id for p in passages])
        for p in passages:
            assert p.score == pytest.approx(float(vectors[p.chunk_id] @ q), abs=1e-5)
        # ... which is what Chroma's own cosine distance says (1 - distance), independently.
        raw = seeded.store._chunks.query(  # noqa: SLF001  (the Chroma collection itself)
            query_embeddings=[q.tolist()], n_results=50, include=["distances"])
        distance = dict(zip(raw["ids"][0], raw["distances"][0]))
        checked = [p for p in passages if p.chunk_id in distance]
        assert checked
        for p in checked:
            assert p.score == pytest.approx(1.0 - distance[p.chunk_id], abs=1e-4)


def test_vectors_are_unit_length(seeded):
    q = seeded.embedder.embed(["any question at all"])[0]
    assert float(np.linalg.norm(q)) == pytest.approx(1.0, abs=1e-4)
