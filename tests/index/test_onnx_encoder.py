"""The ONNX Runtime encoder: built from the bundled weights (never downloaded), vectors that agree
with the torch float32 ones, one path for ingest and queries, and an export cache that is reused,
rebuilt when its key changes, and rebuilt (not crashed on) when partial or corrupt."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import index.onnx_encoder as onnx_encoder
from index.embedder import SentenceTransformerEmbedder, resolve_model
from index.onnx_encoder import OnnxEncoder, OnnxRecipe, build_or_reuse, cache_key, files_hash

FLOAT32 = OnnxRecipe(quantize=False)
QUESTION = "What is the incubation period of SARS-CoV-2?"


@pytest.fixture(scope="module")
def shared_cache() -> Path:
    """The run's encoder cache (tests/conftest.py sets it), so each export happens once."""
    return Path(os.environ["RAG_EMBEDDING__CACHE_DIR"])


@pytest.fixture(scope="module")
def model_dir() -> tuple[Path, str]:
    return resolve_model("all-MiniLM-L6-v2")


def _copy_of_the_cache(embedder, shared: Path, model: tuple[Path, str], tmp: Path) -> Path:  # noqa: ANN001
    """A private copy of the run's float32 export (built there once): the model.onnx path."""
    built = build_or_reuse(embedder._model, *model, shared, FLOAT32)
    shutil.copytree(built.parent, tmp / "cache" / built.parent.name)
    return tmp / "cache" / built.parent.name / "model.onnx"


def _count_exports(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = onnx_encoder._export

    def counting(model, out, opset):  # noqa: ANN001
        calls.append(out)
        return real(model, out, opset)

    monkeypatch.setattr(onnx_encoder, "_export", counting)
    return calls


@pytest.mark.slow
@pytest.mark.parametrize(("precision", "floor"), [("float32", 0.9999), ("int8", 0.99)])
def test_onnx_vectors_agree_with_float32(seeded, embedder, shared_cache: Path, precision: str,
                                         floor: float) -> None:
    chunks = seeded.store.committed_chunks(seeded.store.documents())
    texts = [c.text for c in sorted(chunks, key=lambda c: (c.doc_id, c.index))]
    assert len(texts) >= 10
    onnx = SentenceTransformerEmbedder(precision=precision, backend="onnx",
                                       cache_dir=shared_cache)
    assert (onnx.backend, onnx.precision) == ("onnx", precision)
    assert (onnx.dimension, onnx.max_tokens, onnx.model_id) == (
        embedder.dimension, embedder.max_tokens, embedder.model_id)
    ref, vectors = embedder.embed(texts), onnx.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == ref.shape
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (ref * vectors).sum(axis=1)
    assert cosines.min() > floor, (cosines.min(), cosines.mean())
    # Queries take the same path: a question embedded alone, as the service embeds it.
    assert float(onnx.embed([QUESTION])[0] @ embedder.embed([QUESTION])[0]) > floor
    # Same tokenizer and the same 256 word-piece limit: the words past it change nothing.
    long = "The spike protein binds the ACE2 receptor on human cells. " * 60
    a, b = onnx.embed([long, long + "Unrelated closing words about ferries and tides."])
    assert float(a @ b) > 0.9999
    assert float(a @ embedder.embed([long])[0]) > floor


def test_cache_key_covers_model_files_model_id_and_recipe(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "config.json").write_text("{}")
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    before = files_hash(model)
    assert files_hash(model) == before
    (model / "config.json").write_text('{"hidden_size": 384}')
    changed = files_hash(model)
    assert changed != before
    (model / "extra.bin").write_bytes(b"\0")
    assert files_hash(model) != changed
    key = cache_key("m", before, FLOAT32)
    assert key == cache_key("m", before, OnnxRecipe(quantize=False))
    assert len({key, cache_key("other", before, FLOAT32), cache_key("m", changed, FLOAT32),
                cache_key("m", before, OnnxRecipe(quantize=True)),
                cache_key("m", before, OnnxRecipe(quantize=False, opset=18)),
                cache_key("m", before, OnnxRecipe(quantize=True, per_channel=False))}) == 6


def test_only_mean_pooling_is_exported(tmp_path: Path) -> None:
    from index.errors import ConfigError

    model = tmp_path / "model"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    with pytest.raises(ConfigError, match="mean pooling only.*pooling_mode_cls_token"):
        build_or_reuse(None, model, "m", tmp_path / "cache", FLOAT32)  # type: ignore[arg-type]


@pytest.mark.slow
def test_export_cache_is_reused_and_rebuilt_when_the_key_changes(
        embedder, shared_cache: Path, model_dir: tuple[Path, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, model_id = model_dir
    copied = _copy_of_the_cache(embedder, shared_cache, model_dir, tmp_path)
    cache = copied.parent.parent
    calls = _count_exports(monkeypatch)
    reused = build_or_reuse(embedder._model, path, model_id, cache, FLOAT32)
    assert calls == [] and reused == copied
    mtime = reused.stat().st_mtime_ns
    OnnxEncoder(embedder._model, path, model_id, cache, quantize=False)
    assert calls == [] and reused.stat().st_mtime_ns == mtime
    # Another model id (as another model's files or recipe would) is another key: a new build.
    other = build_or_reuse(embedder._model, path, "local:renamed", cache, FLOAT32)
    assert len(calls) == 1 and other.parent != reused.parent and reused.is_file()
    meta = json.loads((other.parent / "meta.json").read_text())
    assert meta["model_id"] == "local:renamed" and meta["recipe"]["quantize"] is False
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temp dir left


@pytest.mark.slow
def test_partial_or_corrupt_cache_is_rebuilt_not_crashed_on(
        embedder, shared_cache: Path, model_dir: tuple[Path, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, model_id = model_dir
    cached = _copy_of_the_cache(embedder, shared_cache, model_dir, tmp_path)
    cache = cached.parent.parent
    expected = SentenceTransformerEmbedder(precision="float32", backend="onnx",
                                           cache_dir=shared_cache).embed([QUESTION])
    calls = _count_exports(monkeypatch)

    # A partial file (a copy cut short): its hash does not match meta.json.
    data = cached.read_bytes()
    cached.write_bytes(data[: len(data) // 3])
    encoder = OnnxEncoder(embedder._model, path, model_id, cache, quantize=False)
    assert len(calls) == 1 and cached.stat().st_size == len(data)
    np.testing.assert_allclose(encoder.encode([QUESTION], 8), expected, atol=1e-5)

    # Garbage whose hash meta.json records (e.g. written by a broken tool): the session does not
    # load, so it is rebuilt.
    cached.write_bytes(b"not an onnx model")
    meta_path = cached.parent / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["sha256"] = onnx_encoder._sha256(cached)
    meta_path.write_text(json.dumps(meta))
    encoder = OnnxEncoder(embedder._model, path, model_id, cache, quantize=False)
    assert len(calls) == 2
    np.testing.assert_allclose(encoder.encode([QUESTION], 8), expected, atol=1e-5)

    # No meta.json (a build interrupted before it was written) is not trusted either.
    meta_path.unlink()
    build_or_reuse(embedder._model, path, model_id, cache, FLOAT32)
    assert len(calls) == 3 and meta_path.is_file()


PADDED = ["The steering council is an elected group of five experienced contributors.",
          "How many members does the Django steering council have?"]


@pytest.mark.slow
def test_an_export_leaves_the_live_model_as_it_was(embedder, tmp_path: Path) -> None:
    """The export runs on the loaded model the embedder encodes with. The exporter puts the
    module it exports back in that module's own mode; a wrapper made in training mode left the
    model with its dropout on, and the next ingest's vectors were noise (two encodes of the
    same two texts: cosine ~0.92). Seen as answers that changed with the tests run before."""
    model = embedder._model[0].auto_model
    before = embedder.embed_documents(PADDED)  # a padded batch through the eager model
    assert not model.training
    onnx_encoder._export(embedder._model, tmp_path / "model.onnx", FLOAT32.opset)
    assert not model.training
    np.testing.assert_array_equal(embedder.embed_documents(PADDED), before)
    np.testing.assert_array_equal(embedder.embed_documents(PADDED), before)


@pytest.mark.slow
def test_document_vectors_are_inference_ones_whatever_mode_the_model_was_left_in(
        embedder) -> None:
    """Ingest calls the model itself (no ``encode``, which sets inference mode): a model
    something else left in training mode is put back before it encodes."""
    before = embedder.embed_documents(PADDED)
    embedder._model.train()
    try:
        np.testing.assert_array_equal(embedder.embed_documents(PADDED), before)
        assert not embedder._model.training
    finally:
        embedder._model.eval()
