"""The traced (TorchScript) encoder for short texts gives the eager encoder's vectors.

Real bundled model. The trace is made on one padded batch; these check that the graph holds for
other batch sizes and lengths (1 to 9 texts, a few words to past the 256-piece limit, where both
truncate), at float32 and at bfloat16, and that the service's ``embed`` uses it for short texts
only."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedder import SentenceTransformerEmbedder
from index.traced_encoder import SHORT_CHARS, short

WORDS = ("border talks delegation mexico city president fentanyl rail crossing migrants "
         "apprehended november agents union pacific losses").split()


def _texts(rng: np.random.Generator, n: int, max_words: int) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, max_words + 1))))
            for _ in range(n)]


@pytest.mark.slow  # loads the model twice and traces it
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_traced_vectors_are_the_eager_ones(precision):
    embedder = SentenceTransformerEmbedder(precision=precision)
    rng = np.random.default_rng(0)
    embedder.embed(["warm up: the first short call builds the trace", "x"])
    assert embedder._traced is not None, "the encoder was not traced"
    for n, max_words in [(1, 3), (1, 40), (2, 5), (3, 60), (8, 12), (9, 30), (4, 400)]:
        texts = _texts(rng, n, max_words)
        eager = embedder.raw_encode(texts, 64)
        traced = embedder._traced.encode(texts)
        assert traced.shape == eager.shape
        np.testing.assert_allclose(np.linalg.norm(traced, axis=1), 1.0, atol=1e-5)
        cosine = (eager * traced).sum(axis=1)
        assert cosine.min() >= 0.9999, (n, max_words, cosine.min())


@pytest.mark.slow
def test_embed_takes_the_traced_graph_for_short_texts_only():
    embedder = SentenceTransformerEmbedder(precision="float32")
    calls: list[int] = []
    embedder.embed(["build the trace"])
    traced = embedder._traced
    assert traced is not None
    original = traced.encode
    traced.encode = lambda texts, f=None: calls.append(len(texts)) or original(texts, f)  # type: ignore
    embedder.embed(["a question?", "a sentence of a passage."])
    assert calls == [2]
    embedder.embed(["word " * (SHORT_CHARS // 5 + 10)])  # a chunk-sized text: eager
    assert calls == [2]
    assert not short(["x"] * 65) and short(["x"] * 64)


@pytest.mark.slow
def test_tracing_leaves_the_eager_encoder_as_it_was():
    embedder = SentenceTransformerEmbedder(precision="bfloat16")
    texts = ["a question about the border talks?", "word " * 300, "Mexico City"]
    before = embedder.raw_encode(texts, 8)
    embedder.embed(["build the trace"])
    assert embedder._traced is not None
    np.testing.assert_array_equal(embedder.raw_encode(texts, 8), before)


@pytest.mark.slow
def test_trace_can_be_switched_off():
    embedder = SentenceTransformerEmbedder(precision="float32", trace=False)
    embedder.embed(["a question?"])
    assert embedder._traced is None


@pytest.mark.slow
def test_short_texts_run_on_the_configured_threads_and_the_rest_on_all():
    import torch

    before = torch.get_num_threads()
    embedder = SentenceTransformerEmbedder(precision="float32", short_text_threads=1)
    embedder.embed(["build the trace"])
    traced = embedder._traced
    assert traced is not None
    seen: list[int] = []
    original = traced.encode
    traced.encode = (  # type: ignore
        lambda texts, f=None: seen.append(torch.get_num_threads()) or original(texts, f))
    one = embedder.embed(["how many agents were at the crossing?"])
    assert seen == [1]
    assert torch.get_num_threads() == before  # restored for ingest's batches

    everyone = SentenceTransformerEmbedder(precision="float32", short_text_threads=0)
    everyone.embed(["build the trace"])
    assert everyone._traced is not None
    other = everyone._traced.encode
    everyone._traced.encode = (  # type: ignore
        lambda texts, f=None: seen.append(torch.get_num_threads()) or other(texts, f))
    all_cores = everyone.embed(["how many agents were at the crossing?"])
    assert seen == [1, before]
    assert float(one[0] @ all_cores[0]) >= 0.9999  # the threads change the speed, not the vector


def test_intra_op_threads_restores_the_setting_after_an_error():
    import torch

    from index.embedder import intra_op_threads

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with intra_op_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("encode failed")
    assert torch.get_num_threads() == before
    with intra_op_threads(0):  # 0: left as it is
        assert torch.get_num_threads() == before


@pytest.mark.slow
def test_short_texts_tokenised_by_the_checked_tokenizer_give_preprocess_vectors():
    """The traced call's inputs come from the Rust tokenizer the embedder checked against
    ``preprocess`` (no Python around it): the same tensors, so the same vectors."""
    embedder = SentenceTransformerEmbedder(precision="float32")
    texts = ["Who led the Mexican delegation?", "Ünïcode café, naïve façade: COVID-19 at 3.5%!",
             "", "word " * 300]  # the last is cut at the model's 256 pieces by both
    embedder.embed(["build the trace"])
    features = embedder._short_features(texts)
    assert features is not None, "the checked tokenizer is not in use"
    expected = embedder._model.preprocess(texts)
    for key in ("input_ids", "attention_mask"):
        assert features[key].tolist() == expected[key].tolist()
    np.testing.assert_array_equal(embedder._traced.encode(texts, features),
                                  embedder._traced.encode(texts))
