"""Load a versioned prompt set from ``prompts/<version>/`` and check its variables."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from index.errors import ConfigError
from rag import markers
from rag.instructions import instruction_like
from rag.types import Passage

# The prompt sets of the installed ``prompts`` package (a data-only package: no code of ours).
PROMPTS_ROOT: Traversable = resources.files("prompts")


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

    def refusal_for(self, reason: str, detail: str) -> str:
        """The refusal saying why: ``refusal_period`` (the period), ``refusal_versions`` and
        ``refusal_unchanged`` (the document's title) when the set has the template, else the
        plain refusal."""
        name, key = {"period": ("refusal_period", "period"),
                     "versions": ("refusal_versions", "title"),
                     "unchanged": ("refusal_unchanged", "title")}.get(reason, ("", ""))
        if name not in self.templates:
            return self.refusal
        return self.render(name, **{key: detail}).strip()

    def is_refusal(self, reply: str) -> bool:
        """Whether a model's reply is, or opens with, the refusal text (loosely compared)."""
        reply, refusal = _loose(markers.strip(reply)), _loose(self.refusal)
        return bool(refusal) and reply.startswith(refusal[: max(20, len(refusal) // 2)])


def _loose(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


def load_prompts(version: str, root: Traversable = PROMPTS_ROOT) -> PromptSet:
    """The prompt set ``root/version`` (any folder, e.g. a ``Path``; default the packaged sets)."""
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
    for required in ("refusal", "refusal_period", "system", "answer", "condense"):
        if required not in templates:
            raise ConfigError(f"prompt set {version!r} lacks the template {required!r}")
    return PromptSet(version=str(manifest.get("version", version)), templates=templates)


def render_passages(passages: Sequence[Passage], max_chars: int = 1500) -> str:
    """The passages as a data block for the ``answer`` template.

    Each passage is fenced in ``<passage n=".." title="..">`` ... ``</passage>``. The text is data,
    never instructions: anything in it that could close the fence or open a new one is defused,
    and the system prompt tells the model that nothing inside a fence is an instruction.
    """
    blocks = []
    for n, p in enumerate(passages, start=1):
        text = p.text if len(p.text) <= max_chars else p.text[:max_chars].rsplit(" ", 1)[0] + " …"
        # A title (HTML <title>, PDF or DOCX metadata) that gives orders is not shown.
        title = "" if instruction_like(p.title) else _defuse(p.title).replace('"', "'")
        blocks.append(f'<passage n="{n}" title="{title}">\n{_defuse(text)}\n</passage>')
    return "\n".join(blocks)


_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")


def _defuse(text: str) -> str:
    """Neutralise fence tags and chat-template control tokens inside document text, and drop
    the invisible characters that hide words from a reader (zero-width, bidi overrides)."""
    text = _INVISIBLE.sub("", text)
    text = re.sub(r"</?\s*passage\b[^>]*>", "[passage tag removed]", text, flags=re.IGNORECASE)
    return re.sub(r"<\|[^|>]*\|>|<\/?s>|\[/?INST\]", "", text)
