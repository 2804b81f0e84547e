"""The bundled sentence-transformers model as an ONNX Runtime encoder, built locally.

The ONNX model is exported from the installed weights with ``torch.onnx.export`` (transformer +
mean pooling, as the model's ``1_Pooling/config.json`` says) the first time it is needed, and
optionally quantised to int8 with ``onnxruntime.quantization.quantize_dynamic``. Nothing is
downloaded. The result is cached under ``<cache_dir>/onnx-<key>/``, where the key covers the
model id, a hash of every file of the model directory and the export/quantisation settings, so a
changed model or setting builds a new file and an unchanged one is reused.

A cache directory is written whole into a temporary sibling and renamed into place (atomic), and
holds ``meta.json`` with the sha256 of ``model.onnx``: a partial, corrupt or foreign cache is
detected (hash or key mismatch, or a session that does not load) and rebuilt.

int8: only the MatMuls whose second input is a weight are quantised (never the attention's
activation x activation products), per output channel, and the feed-forward output projections
stay float32: quantising those (their inputs are GELU outputs with large outliers, quantised per
tensor at run time) lowered the cosine to the float32 vectors to 0.92 on covidqa chunks; without
them it stays >= 0.99 (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import ConfigError
from index.atomic_files import write_text_atomic

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Bump when the export or the quantisation recipe changes: the cache key includes it.
EXPORT_VERSION = 1
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class OnnxRecipe:
    """What a cached file was built with (all of it is part of the cache key)."""

    quantize: bool
    opset: int = OPSET
    version: int = EXPORT_VERSION
    per_channel: bool = True
    keep_float: tuple[str, ...] = ("ffn_output",)


def files_hash(model_dir: Path) -> str:
    """sha256 over every file of the model directory (relative path and content)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(model_dir).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode() + b"\0")
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def cache_key(model_id: str, model_files_hash: str, recipe: OnnxRecipe) -> str:
    payload = json.dumps({"model_id": model_id, "files": model_files_hash,
                          "recipe": asdict(recipe)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pooling_mode(model_dir: Path) -> None:
    """Refuse a model whose pooling is not plain mean pooling (the only one exported)."""
    config = Path(model_dir) / "1_Pooling" / "config.json"
    if not config.is_file():
        raise ConfigError(f"embedding.backend 'onnx' needs a sentence-transformers model with "
                          f"a pooling config; {config} is missing")
    pooling = json.loads(config.read_text(encoding="utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ConfigError(f"embedding.backend 'onnx' supports mean pooling only; {config} asks "
                          f"for {', '.join(sorted(modes)) or 'none'}")


def _export(model: "SentenceTransformer", out: Path, opset: int) -> list[str]:
    """Export transformer + mean pooling to ``out``; returns the graph's input names."""
    import torch

    transformer = model[0].auto_model
    was_training = transformer.training
    sample = model.preprocess(["an example sentence", "a second, somewhat longer one"])
    names = [n for n in INPUTS if n in sample]

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(names, inputs))
            hidden = self.transformer(**kwargs).last_hidden_state
            mask = kwargs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"embedding": {0: "batch"}}
    # The exporter puts the wrapper back in the mode it had, recursively: a wrapper made in
    # training mode (torch's default) left the live model with its dropout on, so every eager
    # encode after an export gave noisy vectors (cosine ~0.92 between two calls).
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer and deprecation warnings of the exporter
            torch.onnx.export(MeanPooled().eval(), tuple(sample[n] for n in names), str(out),
                              input_names=names, output_names=["embedding"],
                              dynamic_axes=axes, opset_version=opset, dynamo=False)
    finally:
        transformer.train(was_training)
    return names


def _quantize(source: Path, out: Path, recipe: OnnxRecipe) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    weights = {i.name for i in graph.initializer}

    def keep_float(name: str) -> bool:  # the feed-forward output projection of each layer
        return ("ffn_output" in recipe.keep_float and "/output/dense/" in name
                and "/attention/" not in name)

    matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    nodes = [n for n in matmuls if not keep_float(n)]
    if recipe.keep_float and len(nodes) == len(matmuls):
        raise RuntimeError("int8 export: no feed-forward output projection found to keep in "
                           "float32 (the exported graph's node names changed)")
    root = logging.getLogger()
    root.addFilter(_no_preprocess_advice)
    try:
        quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8,
                         per_channel=recipe.per_channel, nodes_to_quantize=nodes)
    finally:
        root.removeFilter(_no_preprocess_advice)


def _no_preprocess_advice(record: logging.LogRecord) -> bool:
    """Drop the quantiser's generic advice to pre-process the model (it was measured as is)."""
    return "pre-processing before quantization" not in record.getMessage()


def _valid(directory: Path, key: str) -> bool:
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        return meta.get("key") == key and meta.get("sha256") == _sha256(directory / "model.onnx")
    except (OSError, ValueError):
        return False


def build_or_reuse(model: "SentenceTransformer", model_dir: Path, model_id: str,
                   cache_dir: Path, recipe: OnnxRecipe, force: bool = False) -> Path:
    """The cached ONNX file for this model and recipe, built (atomically) when missing, partial,
    corrupt or built for another key; ``force`` rebuilds it anyway."""
    _pooling_mode(model_dir)
    key = cache_key(model_id, files_hash(model_dir), recipe)
    final = Path(cache_dir) / f"onnx-{key}"
    if not force and _valid(final, key):
        return final / "model.onnx"
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".onnx-{key}.", suffix=".tmp"))
    tmp.chmod(0o755)  # mkdtemp makes it private
    try:
        exported = tmp / ("float32.onnx" if recipe.quantize else "model.onnx")
        names = _export(model, exported, recipe.opset)
        if recipe.quantize:
            _quantize(exported, tmp / "model.onnx", recipe)
            exported.unlink()
        write_text_atomic(tmp / "meta.json", json.dumps(
            {"key": key, "model_id": model_id, "model_dir": str(model_dir), "inputs": names,
             "recipe": asdict(recipe), "sha256": _sha256(tmp / "model.onnx")}, indent=1))
        if final.exists():  # stale or corrupt (or just written by another process: same key)
            if _valid(final, key) and not force:
                return final / "model.onnx"
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(tmp, final)
        except OSError:  # another process renamed its build in first
            if not _valid(final, key):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final / "model.onnx"


def cpu_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class OnnxEncoder:
    """Mean-pooled, L2-normalised vectors from an ONNX model, tokenised exactly as the
    sentence-transformers model tokenises for ``encode`` (its own ``preprocess``: same word
    pieces, same ``max_seq_length`` truncation)."""

    def __init__(self, model: "SentenceTransformer", model_dir: Path, model_id: str,
                 cache_dir: Path, quantize: bool, threads: int | None = None) -> None:
        self._model = model
        recipe = OnnxRecipe(quantize=quantize)
        self.path = build_or_reuse(model, model_dir, model_id, cache_dir, recipe)
        try:
            self._session = self._open(threads)
        except Exception:  # a file that hashes right but does not load: rebuild once
            self.path = build_or_reuse(model, model_dir, model_id, cache_dir, recipe, force=True)
            self._session = self._open(threads)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self.dimension = int(model.get_embedding_dimension())

    def _open(self, threads: int | None) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or cpu_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads sleep instead of spinning (the OMP_WAIT_POLICY=PASSIVE of torch).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Normalised float32 vectors of ``texts`` (in their order), ``batch_size`` at a time,
        longest first as sentence-transformers batches them."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        parts = [np.zeros((0, self.dimension), dtype=np.float32)]
        for start in range(0, len(order), batch_size):
            features = self._model.preprocess([texts[i] for i in order[start:start + batch_size]])
            feed = {n: features[n].numpy().astype(np.int64) for n in self._inputs}
            parts.append(self._session.run(None, feed)[0].astype(np.float32))
        pooled = np.concatenate(parts)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        out = np.empty_like(pooled)
        out[order] = pooled
        return out
