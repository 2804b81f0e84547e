"""The ingest's encode path (``embed_documents``) and chunk-size counting (``word_piece_ids``)
give what the query path (``embed``) and ``tokenize`` give, for less work around the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedder import SentenceTransformerEmbedder, _matching_tokenizer
from tests.helpers import CORPUS


def _texts() -> list[str]:
    """Paragraphs and sentences of the sample corpus, a few whole documents (past the
    model's 256 word pieces, so truncated) and odd ones (accents, markup, one word)."""
    texts: list[str] = []
    for path in sorted(Path(CORPUS).rglob("*.txt")):
        body = path.read_text(encoding="utf-8")
        texts.append(body)
        paragraphs = [p for p in body.split("\n") if p.strip()]
        texts.extend(paragraphs)
        texts.extend(s for p in paragraphs for s in p.split(". ") if s.strip())
    texts += ["Ünïcode café, naïve façade", "<b>Read</b> \\$5", "x", "COVID-19 (SARS-CoV-2)"]
    return texts


def test_document_encode_gives_the_query_paths_vectors(embedder) -> None:
    texts = _texts()
    assert len(texts) > 64  # more than one batch
    assert embedder._document_tokenizer() is not None  # the fast path serves this model
    got, want = embedder.embed_documents(texts), embedder.embed(texts)
    assert got.dtype == np.float32 and got.shape == want.shape
    # float32: the same numbers up to summation order (rows in the caller's order)
    np.testing.assert_allclose(got, want, atol=2e-6)
    assert embedder.embed_documents([]).shape == (0, embedder.dimension)


@pytest.mark.slow  # loads the real model (a second copy, at bfloat16)
def test_document_encode_at_bfloat16_stays_within_its_noise() -> None:
    bf16 = SentenceTransformerEmbedder("all-MiniLM-L6-v2", precision="bfloat16")
    texts = _texts()
    got, want = bf16.embed_documents(texts), bf16.embed(texts)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((got * want).sum(axis=1).min()) >= 0.9999


def test_a_tokenizer_that_differs_from_preprocess_is_not_used(embedder,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    model = embedder._model
    assert _matching_tokenizer(model, embedder.max_tokens) is not None
    # Truncating elsewhere than the model does changes the features: refused.
    assert _matching_tokenizer(model, embedder.max_tokens - 1) is None
    real = model.preprocess

    def other(texts, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        features = real(texts, *args, **kwargs)
        features["input_ids"] = features["input_ids"].clone()
        features["input_ids"][0, 0] += 1
        return features

    monkeypatch.setattr(model, "preprocess", other)
    assert _matching_tokenizer(model, embedder.max_tokens) is None
    monkeypatch.setattr(embedder, "_doc_tokenizer", None)  # as decided for such a model
    texts = _texts()[:5]
    calls: list[list[str]] = []
    monkeypatch.setattr(embedder, "embed", lambda t: calls.append(list(t)) or np.zeros((len(t), 1)))
    embedder.embed_documents(texts)
    assert calls == [texts]  # the plain path


def test_word_piece_ids_are_the_tokenizers_pieces(embedder) -> None:
    for text in _texts():
        pieces = embedder.tokenize(text)
        assert embedder.word_piece_ids(text) == \
            embedder._tokenizer.convert_tokens_to_ids(pieces)
