"""Load a versioned prompt set from ``prompts/<version>/`` and check its variables."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from index.errors import ConfigError

PROMPTS_ROOT = Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True)
class PromptSet:
    version: str
    templates: dict[str, str]

    def render(self, name: str, **values: str) -> str:
        """Fill template ``name``; values are inserted as data, never re-parsed as templates."""
        return self.templates[name].format_map(values)

    @property
    def refusal(self) -> str:
        return self.templates["refusal"].strip()


def load_prompts(version: str, root: Path = PROMPTS_ROOT) -> PromptSet:
    folder = root / version
    manifest_path = folder / "manifest.toml"
    if not manifest_path.is_file():
        available = sorted(p.name for p in root.iterdir() if (p / "manifest.toml").is_file())
        raise ConfigError(
            f"prompt version {version!r} not found under {root} (available: {', '.join(available)})"
        )
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    templates: dict[str, str] = {}
    for name, spec in manifest.get("templates", {}).items():
        text = (folder / spec["file"]).read_text(encoding="utf-8")
        found = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        expected = set(spec.get("variables", []))
        if found != expected:
            raise ConfigError(
                f"prompt {version}/{spec['file']} uses variables {sorted(found)} but its manifest "
                f"declares {sorted(expected)}"
            )
        templates[name] = text
    for required in ("refusal", "system", "answer", "condense"):
        if required not in templates:
            raise ConfigError(f"prompt set {version!r} lacks the template {required!r}")
    return PromptSet(version=str(manifest.get("version", version)), templates=templates)
