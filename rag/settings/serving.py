"""The HTTP service's, the eval's and the release flow's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from rag.settings.tiers import advanced


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
    support_lexical: float = advanced(
        0.8, ge=0.0, le=1.0,
        description="Eval: an answer sentence is supported when a passage it cites holds at least "
        "this share of its words, or (eval.support_semantic) a sentence close enough to it.",
    )
    support_semantic: float = advanced(
        0.75, ge=-1.0, le=1.0,
        description="Eval: an answer sentence is also supported when a passage it cites holds a "
        "sentence whose cosine with it is at least this.",
    )
    tolerance: float = Field(
        0.01, ge=0.0,
        description="Eval regression gate: how far a quality metric may fall below the baseline "
        "before the run (`rag eval --baseline`) fails (per-metric overrides: --tolerance / --tolerances).",
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
        "release and of the published one (docs/releases.md; scripts/run.sh sets the sample's "
        "eval/gold/sample_qa.jsonl). Set: releases.policy defaults to 'gate'.",
    )


class ReleaseSettings(BaseModel):
    policy: Literal["gate", "always", "manual"] | None = Field(
        None, description="What becomes of a staged release: 'gate' (published when the gold "
        "set does not get worse, else held), 'always' (published at once), 'manual' (staged "
        "until 'rag releases publish'). Default: 'gate' when eval.gold is set, else 'always' "
        "(docs/releases.md).",
    )
    retain: int = Field(5, ge=1, le=1000, description="Releases kept rollback-able (besides "
                        "the published one); older ones and the chunks only they need are "
                        "garbage-collected.")
    upload_publish: bool = Field(
        False, description="Uploads and deletes through the HTTP API publish at once, whatever "
        "releases.policy says (an interactive upload), instead of following the policy.",
    )
