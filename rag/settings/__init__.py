"""The one settings root.

Values come, highest priority first, from: keyword arguments, ``RAG_*`` environment variables
(nested sections joined with ``__``, e.g. ``RAG_RETRIEVAL__TOP_K=8``), a TOML file (the path in
``RAG_CONFIG``, else ``./rag.toml`` when it exists), then the defaults in the sections' modules
(``indexing``, ``answering``, ``serving``). A field made with ``tiers.advanced`` is a performance
internal or a value tied to the fitted weights; README.md's settings tables are generated from
these fields by ``scripts/settings_table.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from rag.settings.answering import (
    GeneratorSettings,
    LlamaCppSettings,
    OpenAISettings,
    RetrievalSettings,
)
from rag.settings.indexing import (
    ChunkingSettings,
    EmbeddingSettings,
    IngestSettings,
    QueueSettings,
    StoreSettings,
)
from rag.settings.serving import EvalSettings, ReleaseSettings, ServerSettings

__all__ = [
    "ChunkingSettings", "EmbeddingSettings", "EvalSettings", "GeneratorSettings",
    "IngestSettings", "LlamaCppSettings", "OpenAISettings", "QueueSettings", "ReleaseSettings",
    "RetrievalSettings", "ServerSettings", "Settings", "StoreSettings", "config_file_path",
    "load_settings",
]


class Settings(BaseSettings):
    """Everything the service, the CLI and the eval runner can be told."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(Path("data"), description="Where the index and its state live (the "
                           "embedded Chroma index in DATA_DIR/chroma).")
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
