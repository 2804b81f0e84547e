"""The HTTP service's, the eval's and the release flow's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from rag.settings.tiers import advanced


class GroupGrant(BaseModel):
    """What one identity-provider group opens (``server.groups.NAME``)."""

    model_config = {"extra": "forbid"}
    collections: list[str] = Field(
        ..., min_length=1, description="Collections the group's members see; [\"*\"] for every "
        "collection.")
    role: Literal["read", "admin"] = Field("read", description="read: ask and read; admin: "
                                           "also upload, delete, publish and read the audit log.")


class OidcSettings(BaseModel):
    """OpenID Connect sign-in for people (docs/sso.md)."""

    model_config = {"extra": "forbid"}
    issuer: str = Field(..., description="The provider's issuer URL; its discovery document is "
                        "ISSUER/.well-known/openid-configuration.")
    client_id: str = Field(..., min_length=1, description="This service's client id at the "
                           "provider.")
    client_secret: SecretStr | None = Field(None, description="The client secret (unset for a "
                                            "public client, which then relies on PKCE alone).")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"],
                              description="Scopes asked for; 'openid' is always added. Add the "
                              "provider's groups scope if it has one (e.g. 'groups').")
    groups_claim: str = Field("groups", description="The ID token (or userinfo) claim holding "
                              "the user's groups or roles.")
    session_secret: SecretStr = Field(..., description="Signs the session cookie and widget "
                                      "tokens: at least 32 characters, the same on every "
                                      "replica.")
    session_hours: float = Field(8.0, gt=0, le=24 * 30, description="A session ends this long "
                                 "after sign-in.")
    refresh_minutes: float = Field(5.0, ge=0, description="How often a session re-asks the "
                                   "provider (refresh token) for the user's groups; 0: every "
                                   "request.")
    cookie_name: str = Field("rag_session", pattern=r"^[A-Za-z0-9_-]{1,64}$",
                             description="The session cookie's name.")

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError(f"the issuer must be an http(s) URL, not {v!r}")
        return v.rstrip("/")

    @field_validator("session_secret")
    @classmethod
    def _long_secret(cls, v: SecretStr) -> SecretStr:
        if len(v.get_secret_value()) < 32:
            raise ValueError("the session secret must be at least 32 characters (e.g. the "
                             "output of 'python -c \"import secrets; "
                             "print(secrets.token_urlsafe(32))\"')")
        return v


class TrustedProxySettings(BaseModel):
    """People signed in by an authenticating proxy in front (oauth2-proxy and the like)."""

    model_config = {"extra": "forbid"}
    addresses: list[str] = Field(default_factory=list, description="Addresses or networks "
                                 "(CIDR) of the proxy; identity headers from any other peer are "
                                 "refused. Empty: the mode is off and the headers are ignored.")
    user_header: str = Field("X-Forwarded-User", description="Header naming the user.")
    groups_header: str = Field("X-Forwarded-Groups", description="Header listing the user's "
                               "groups, comma-separated.")
    email_header: str = Field("X-Forwarded-Email", description="Header with the user's email.")

    @field_validator("addresses")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for a in v:
            try:
                ipaddress.ip_network(a, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {a!r}") from None
        return v


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
    base_url: str | None = Field(None, description="The public URL people reach the service "
                                 "at (e.g. https://rag.example.org): sign-in redirects come back "
                                 "here. Unset: the URL of the request.")
    oidc: OidcSettings | None = Field(None, description="OpenID Connect sign-in for people "
                                      "(docs/sso.md). Unset: API keys only.")
    groups: dict[str, GroupGrant] = Field(default_factory=dict, description="Identity-provider "
                                          "group -> the collections and role it opens (for OIDC "
                                          "sessions and the trusted proxy).")
    trusted_proxy: TrustedProxySettings = Field(default_factory=TrustedProxySettings)

    @property
    def has_keys(self) -> bool:
        return self.read_api_key is not None or self.admin_api_key is not None

    @property
    def has_people(self) -> bool:
        """People sign in (OIDC or a trusted proxy): the service is closed to anonymous use."""
        return self.oidc is not None or bool(self.trusted_proxy.addresses)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("https://", "http://")):
            raise ValueError(f"base_url must be an http(s) URL, not {v!r}")
        return None if v is None else v.rstrip("/")

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
