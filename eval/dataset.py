"""Gold Q&A pairs: one JSON object per line of ``qa.jsonl``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import InputError


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]
    answerable: bool
    extra: dict[str, Any] = field(default_factory=dict)


def load_qa(path: Path, limit: int | None = None) -> list[QAItem]:
    if not Path(path).is_file():
        raise InputError(f"Q&A file {path} does not exist")
    items: list[QAItem] = []
    with open(path, encoding="utf-8") as fh:
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
