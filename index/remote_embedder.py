"""The ``openai`` embedding backend: texts go to any OpenAI-compatible embeddings server.

Text Embeddings Inference, vLLM, Infinity, Ollama and llama.cpp's server all answer
``POST {api_base}/embeddings``; the official ``openai`` client speaks to them (its own retries
with backoff on timeouts, connection errors, 408/429 and 5xx answers). After those retries a
request that still fails raises :class:`~index.errors.EmbedderUnavailableError` (HTTP 503 in the
service) naming the server, the attempts and the last error; the API key is never part of a
message or a log line.

Vectors are L2-normalised here (servers differ: llama.cpp returns raw mean-pooled ones).
Chunk lengths are counted by a local tokenizer (``tokenize``), see docs/embedding-backends.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from index.errors import ConfigError, EmbedderUnavailableError, IndexMismatchError

# Embedded at start-up: learns the server's dimension and, when the server is declared to run
# the local model, compares the two encoders.
PROBE_TEXTS = (
    "The quick brown fox jumps over the lazy dog.",
    "How many migrants did Border Patrol apprehend in November?",
    "Chroma stores one vector per chunk of every document.",
)
REMOTE_PREFIX = "openai:"


def remote_model_id(api_model: str) -> str:
    """The model id an index built through the server records (unless it is the local model)."""
    return f"{REMOTE_PREFIX}{api_model}"


class OpenAIEmbedder:
    """:class:`~index.embedder.Embedder` over an OpenAI-compatible ``/embeddings`` endpoint."""

    backend = "openai"
    precision = "remote"

    def __init__(self, api_base: str, api_model: str, api_key: str | None, *,
                 tokenize: Callable[[str], list[str]], max_tokens: int,
                 model_id: str | None = None, batch_size: int = 32, timeout: float = 60.0,
                 max_retries: int = 2) -> None:
        import openai

        self.api_base = api_base.rstrip("/")
        self.api_model = api_model
        self.model_id = model_id or remote_model_id(api_model)
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self._tokenize = tokenize
        # An explicit placeholder: with None the client would read OPENAI_API_KEY from the
        # environment and send the operator's OpenAI key to whatever server api_base names.
        self._client = openai.OpenAI(base_url=self.api_base, api_key=api_key or "not-needed",
                                     timeout=timeout, max_retries=max_retries)
        self._dimension_lock = threading.Lock()
        self.dimension = 0
        self.dimension = int(self.embed(list(PROBE_TEXTS[:1])).shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [self._request(texts[i:i + self.batch_size])
                 for i in range(0, len(texts), self.batch_size)]
        vectors = np.concatenate(parts).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if not np.all(np.isfinite(vectors)) or np.any(norms == 0):
            raise EmbedderUnavailableError(
                f"the embeddings server at {self.api_base} returned a zero or non-finite vector "
                f"for model {self.api_model!r}: it is not serving an embedding model")
        return vectors / norms

    def tokenize(self, text: str) -> list[str]:
        return self._tokenize(text)

    def _request(self, batch: list[str]) -> np.ndarray:
        import openai

        try:
            response = self._client.embeddings.create(model=self.api_model, input=batch,
                                                      encoding_format="float")
        except openai.AuthenticationError as exc:
            raise EmbedderUnavailableError(
                f"the embeddings server at {self.api_base} refused the API key (HTTP "
                f"{exc.status_code}): set RAG_EMBEDDING__API_KEY to a key it accepts") from None
        except openai.APIStatusError as exc:
            tries = (f" after {self.max_retries + 1} attempts" if exc.status_code >= 500
                     or exc.status_code in (408, 429) else "")
            raise EmbedderUnavailableError(
                f"the embeddings server at {self.api_base} answered HTTP {exc.status_code}"
                f"{tries} for model {self.api_model!r}: {_detail(exc)}. Check "
                "RAG_EMBEDDING__API_BASE and RAG_EMBEDDING__API_MODEL, and that no chunk is "
                "longer than the server accepts (embedding.api_max_tokens)") from None
        except openai.APITimeoutError:
            raise EmbedderUnavailableError(
                f"the embeddings server at {self.api_base} did not answer within "
                f"{self.timeout:g} s ({self.max_retries + 1} attempts, {len(batch)} texts): "
                "raise RAG_EMBEDDING__API_TIMEOUT or lower RAG_EMBEDDING__API_BATCH_SIZE") \
                from None
        except openai.APIConnectionError as exc:
            raise EmbedderUnavailableError(
                f"cannot reach the embeddings server at {self.api_base} "
                f"({self.max_retries + 1} attempts): {_cause(exc)}. Start it or fix "
                "RAG_EMBEDDING__API_BASE") from None
        except openai.OpenAIError as exc:  # a reply that is not an embeddings response
            raise EmbedderUnavailableError(
                f"the embeddings server at {self.api_base} sent no usable embeddings: "
                f"{type(exc).__name__}: {exc}") from None
        return self._vectors(response, len(batch))

    def _vectors(self, response: object, expected: int) -> np.ndarray:
        data = sorted(getattr(response, "data", None) or [], key=lambda d: d.index)
        rows = [d.embedding for d in data]
        if len(rows) != expected or not rows or not all(
                isinstance(r, list) and r and isinstance(r[0], (int, float)) for r in rows):
            shape = ("one vector per token (a model without pooling: on llama.cpp's server "
                     "set a pooling type)" if rows and isinstance(rows[0], list) and rows[0]
                     and isinstance(rows[0][0], list) else f"{len(rows)} vectors")
            raise EmbedderUnavailableError(
                f"the embeddings server at {self.api_base} returned {shape} for {expected} "
                f"texts (model {self.api_model!r})")
        vectors = np.asarray(rows, dtype=np.float32)
        with self._dimension_lock:
            if self.dimension and vectors.shape[1] != self.dimension:
                raise IndexMismatchError(
                    f"the embeddings server at {self.api_base} now returns vectors of "
                    f"dimension {vectors.shape[1]} for model {self.api_model!r}, but it "
                    f"returned dimension {self.dimension} at start-up: the served model changed")
        return vectors


def check_same_model(local: object, remote: OpenAIEmbedder, min_cosine: float) -> float:
    """Refuse a server declared to run the local model when the two disagree on the probe
    texts; return the smallest cosine seen. ``local`` is an Embedder (the bundled model)."""
    local_model = getattr(local, "model_id")
    local_dim = int(getattr(local, "dimension"))
    if local_dim != remote.dimension:
        raise ConfigError(
            f"embedding.api_model {remote.api_model!r} is declared to be the local model "
            f"{local_model!r}, but the server at {remote.api_base} returns vectors of dimension "
            f"{remote.dimension} where the local model gives {local_dim}: it serves another "
            "model. Fix the server, or set embedding.api_same_model = false to index with it "
            f"as a model of its own ({remote_model_id(remote.api_model)})")
    ours = getattr(local, "embed")(list(PROBE_TEXTS))
    theirs = remote.embed(list(PROBE_TEXTS))
    cosine = float(np.min(np.sum(np.asarray(ours) * theirs, axis=1)))
    if cosine < min_cosine:
        raise ConfigError(
            f"embedding.api_model {remote.api_model!r} is declared to be the local model "
            f"{local_model!r} (dimension {local_dim}), but on the probe texts the server at "
            f"{remote.api_base} gives vectors at cosine {cosine:.6f} to the local ones (at least "
            f"{min_cosine:g} needed): it serves another model or other weights. Fix the server, "
            "or set embedding.api_same_model = false to index with it as a model of its own")
    return cosine


def _detail(exc: object) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return str(message)[:300]
    return str(getattr(exc, "message", exc))[:300]


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
