"""Named configurations compared in one eval run over one index.

A variant is a name plus settings overrides, e.g. ``dense`` = ``{"retrieval": {"mode": "dense",
"rerank": false}}``. Overrides are checked against the Settings model (an unknown field fails
loudly) and may not touch what shapes the index, so every variant reads the same index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from eval.dataset import read_data_file
from index.errors import ConfigError
from rag.settings import Settings

PRESETS: dict[str, dict[str, Any]] = {
    "full": {},  # the pipeline as configured
    "dense": {"retrieval": {"mode": "dense", "rerank": False}},  # vector search alone
    "bm25": {"retrieval": {"mode": "keyword", "rerank": False}},  # BM25 alone
    "rrf": {"retrieval": {"mode": "hybrid", "rerank": False}},  # both, fused, not reranked
    "no_time_scope": {"retrieval": {"time_scope": False}},  # a question's period not honoured
}
# Sections whose change would need another index: variants must share one.
_INDEX_SHAPING = ("data_dir", "embedding", "chunking", "ingest", "store")


@dataclass(frozen=True)
class Variant:
    name: str
    overrides: dict[str, Any]


def load_variant_file(path: Path) -> dict[str, dict[str, Any]]:
    """A TOML file of ``[name]`` tables, each holding settings overrides."""
    data = read_data_file(path, "variants file", ConfigError)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(f"variants file {path}: every top-level entry must be a [name] table")
    return data


def parse_variants(spec: str | None, defined: dict[str, dict[str, Any]] | None = None
                   ) -> list[Variant]:
    """``"dense,full"`` -> variants, looked up in ``defined`` (a variants file) then presets."""
    known = {**PRESETS, **(defined or {})}
    names = [n.strip() for n in (spec or "full").split(",") if n.strip()]
    if not names:
        raise ConfigError("--variants names no variant")
    if len(set(names)) != len(names):
        raise ConfigError(f"--variants names a variant twice: {spec}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"unknown variant(s) {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(known))} (define more with --variants-file)")
    return [Variant(n, known[n]) for n in names]


def _check_fields(model: type[BaseModel], overrides: dict[str, Any], where: str) -> None:
    for key, value in overrides.items():
        path = f"{where}{key}"
        field = model.model_fields.get(key)
        if field is None:
            raise ConfigError(f"unknown setting {path} (known here: "
                              f"{', '.join(model.model_fields)})")
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            if not isinstance(value, dict):
                raise ConfigError(f"setting {path} is a section: give a table of its fields")
            _check_fields(sub, value, f"{path}.")


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def apply(settings: Settings, variant: Variant) -> Settings:
    """``settings`` with the variant's overrides, validated like any settings."""
    shaping = [k for k in variant.overrides if k in _INDEX_SHAPING]
    if shaping:
        raise ConfigError(f"variant {variant.name} changes {', '.join(shaping)}, which shapes "
                          "the index; variants share one index (run eval once per index instead)")
    _check_fields(Settings, variant.overrides, "")
    try:
        return Settings.model_validate(_merge(settings.model_dump(), variant.overrides))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"variant {variant.name}: invalid settings ({problems})") from None
