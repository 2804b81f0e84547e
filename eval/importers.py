"""Public benchmark formats into ours: a corpus folder plus ``qa.jsonl``.

- SQuAD JSON (v1.1 and v2.0): one document per article (its paragraphs, blank-line separated);
  a question's gold documents are its article; ``is_impossible`` questions become unanswerable.
- BEIR (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``): one document per corpus
  entry; every query with a positive judgement becomes a question whose gold documents are the
  judged ones. BEIR has no answer strings, so only retrieval and citation metrics apply.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eval.dataset import QAItem, read_data_file, write_qa
from index.errors import InputError


def doc_file_name(key: str) -> str:
    """A safe, unique file name for a document key, e.g. ``Shirley_Temple_91ccec69.txt``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")[:60] or "doc"
    return f"{slug}_{hashlib.sha1(key.encode()).hexdigest()[:8]}.txt"


def _prepare(out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} already holds files: import into a new or empty folder")
    (out / "corpus").mkdir(parents=True, exist_ok=True)
    return out


def import_squad(source: Path, out: Path) -> int:
    """Write ``out/corpus/*.txt`` and ``out/qa.jsonl`` from a SQuAD file; returns the count."""
    data = read_data_file(source, "SQuAD file")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise InputError(f"{source} is not SQuAD JSON (no top-level 'data' list)")
    out = _prepare(out)
    items: list[QAItem] = []
    for n, article in enumerate(data["data"]):
        try:
            title = str(article.get("title") or f"article {n}")
            name = doc_file_name(f"{n}:{title}")
            paragraphs = article["paragraphs"]
            (out / "corpus" / name).write_text(
                "\n\n".join(p["context"] for p in paragraphs) + "\n", encoding="utf-8")
            for p in paragraphs:
                for qa in p["qas"]:
                    impossible = bool(qa.get("is_impossible", False))
                    answers = [] if impossible else list(dict.fromkeys(
                        a["text"] for a in qa.get("answers", [])))
                    items.append(QAItem(id=str(qa["id"]), question=qa["question"],
                                        answers=tuple(answers),
                                        doc_ids=() if impossible else (name,),
                                        answerable=not impossible, extra={"title": title}))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{source}: article {n} is not in SQuAD form ({exc!r})") from None
    write_qa(out / "qa.jsonl", items)
    return len(items)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{lineno}: not valid JSON ({exc})") from None


def import_beir(source: Path, out: Path, split: str = "test") -> int:
    """Write ``out/corpus/*.txt`` and ``out/qa.jsonl`` from a BEIR folder; returns the count."""
    source = Path(source)
    qrels_path = source / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise InputError(f"{qrels_path} does not exist (choose the split with --split)")
    judged: dict[str, list[str]] = defaultdict(list)
    with open(qrels_path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            if float(row[2]) > 0:
                judged[row[0]].append(row[1])
    out = _prepare(out)
    names: dict[str, str] = {}
    for doc in _jsonl(source / "corpus.jsonl"):
        key = str(doc["_id"])
        names[key] = doc_file_name(key)
        title, text = doc.get("title") or "", doc.get("text") or ""
        (out / "corpus" / names[key]).write_text(
            (f"{title}\n\n{text}" if title else text) + "\n", encoding="utf-8")
    items = []
    for query in _jsonl(source / "queries.jsonl"):
        qid = str(query["_id"])
        if qid not in judged:
            continue
        missing = [d for d in judged[qid] if d not in names]
        if missing:
            raise InputError(f"{qrels_path}: query {qid} judges documents not in corpus.jsonl: "
                             f"{', '.join(missing[:5])}")
        items.append(QAItem(id=qid, question=str(query["text"]), answers=(),
                            doc_ids=tuple(names[d] for d in judged[qid]), answerable=True))
    write_qa(out / "qa.jsonl", items)
    return len(items)
