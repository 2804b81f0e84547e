"""Gold Q&A pairs: one JSON object per line of ``qa.jsonl``."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from index.errors import InputError, RagError


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]
    answerable: bool
    extra: dict[str, Any] = field(default_factory=dict)


def read_data_file(path: Path, what: str, error: type[RagError] = InputError) -> Any:
    """Parse a JSON file, or a TOML one when it ends in ``.toml``; errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{what} {path} cannot be read ({exc})") from None


def load_qa(path: Path | Traversable, limit: int | None = None) -> list[QAItem]:
    """The pairs of a qa.jsonl file (a path, or a packaged file such as eval/gold's)."""
    path = Path(path) if isinstance(path, str) else path
    if not path.is_file():
        raise InputError(f"Q&A file {path} does not exist")
    items: list[QAItem] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                item = QAItem(
                    id=str(obj["id"]),
                    question=str(obj["question"]),
                    answers=tuple(str(a) for a in obj.get("answers", [])),
                    doc_ids=tuple(str(d) for d in obj.get("doc_ids", [])),
                    answerable=bool(obj.get("answerable", True)),
                    extra={k: v for k, v in obj.items()
                           if k not in {"id", "question", "answers", "doc_ids", "answerable"}},
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{lineno}: not a valid Q&A record ({exc})") from None
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    return items


def spread(items: list[QAItem], n: int) -> list[QAItem]:
    """``n`` questions evenly spaced through ``items`` (all of them when ``n`` >= their number):
    a deterministic sample that, unlike the first ``n``, covers the whole file."""
    if n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def write_qa(path: Path, items: list[QAItem]) -> None:
    """Write ``items`` as ``qa.jsonl`` (extra fields kept at the top level of each object)."""
    with open(path, "w", encoding="utf-8") as fh:
        for item in items:
            obj = {"id": item.id, "question": item.question, "answers": list(item.answers),
                   "doc_ids": list(item.doc_ids), "answerable": item.answerable, **item.extra}
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
