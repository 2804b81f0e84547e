"""Run gold Q&A pairs through the AnswerService and report retrieval, answer and refusal metrics."""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import QAItem, load_qa
from eval.metrics import (
    contains_gold,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    token_f1,
)
from index.errors import InputError
from index.loaders import discover
from rag.factory import Pipeline, build_pipeline
from rag.settings import Settings
from rag.types import Answer


def corpus_fingerprint(root: Path) -> str:
    """Hash of every file's relative path and bytes: equal corpora share an eval index."""
    h = hashlib.sha256()
    for path in discover(root):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


@dataclass
class QuestionResult:
    item: QAItem
    answer: Answer
    ranked_doc_ids: list[str]
    latency_ms: float

    def metrics(self) -> dict[str, Any]:
        gold_docs = list(self.item.doc_ids)
        cited = [c.doc_id for c in self.answer.citations]
        out: dict[str, Any] = {
            "id": self.item.id,
            "question": self.item.question,
            "answerable": self.item.answerable,
            "gold_answers": list(self.item.answers),
            "gold_doc_ids": gold_docs,
            "answer": self.answer.answer,
            "refused": self.answer.refused,
            "cited_doc_ids": cited,
            "retrieved_doc_ids": self.ranked_doc_ids[:10],
            "latency_ms": round(self.latency_ms, 2),
        }
        if self.item.answerable and gold_docs:
            out["recall_at_1"] = recall_at_k(self.ranked_doc_ids, gold_docs, 1)
            out["recall_at_5"] = recall_at_k(self.ranked_doc_ids, gold_docs, 5)
            out["recall_at_10"] = recall_at_k(self.ranked_doc_ids, gold_docs, 10)
            out["mrr"] = reciprocal_rank(self.ranked_doc_ids, gold_docs)
            out["ndcg_at_10"] = ndcg_at_k(self.ranked_doc_ids, gold_docs, 10)
        if self.item.answerable:
            text = "" if self.answer.refused else self.answer.answer
            out["contains_gold"] = contains_gold(text, self.item.answers)
            out["token_f1"] = token_f1(text, self.item.answers)
            if cited:
                out["citation_precision"] = sum(d in gold_docs for d in cited) / len(cited)
                out["citation_recall"] = len(set(cited) & set(gold_docs)) / max(len(set(gold_docs)), 1)
        return out


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [float(r[key]) for r in rows if key in r]
    return round(statistics.fmean(values), 4) if values else None


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    refused = [r for r in rows if r["refused"]]
    refused_right = [r for r in refused if not r["answerable"]]
    latencies = [r["latency_ms"] for r in rows]
    return {
        "questions": len(rows),
        "retrieval": {k: _mean(answerable, k) for k in
                      ("recall_at_1", "recall_at_5", "recall_at_10", "mrr", "ndcg_at_10")},
        "answer": {"contains_gold": _mean(answerable, "contains_gold"),
                   "token_f1": _mean(answerable, "token_f1")},
        "citations": {"precision": _mean(answerable, "citation_precision"),
                      "recall": _mean(answerable, "citation_recall")},
        "refusal": {
            "precision": round(len(refused_right) / len(refused), 4) if refused else None,
            "recall": round(len(refused_right) / len(unanswerable), 4) if unanswerable else None,
            "false_rate": round(sum(r["refused"] for r in answerable) / len(answerable), 4)
            if answerable else None,
        },
        "latency_ms": {"p50": round(percentile(latencies, 50), 2),
                       "p95": round(percentile(latencies, 95), 2)},
    }


def eval_pipeline(settings: Settings, corpus: Path) -> tuple[Pipeline, str]:
    """A pipeline over an index of ``corpus``, reused across runs by corpus fingerprint."""
    if not Path(corpus).is_dir():
        raise InputError(f"corpus folder {corpus} does not exist")
    fingerprint = corpus_fingerprint(corpus)
    data_dir = Path(settings.data_dir) / "eval" / fingerprint[:16]
    eval_settings = settings.model_copy(update={"data_dir": data_dir})
    pipeline = build_pipeline(eval_settings)
    pipeline.ingest.sync(corpus)
    return pipeline, fingerprint


def run_eval(pipeline: Pipeline, items: list[QAItem]) -> list[QuestionResult]:
    results = []
    for item in items:
        t0 = time.perf_counter()
        answer = pipeline.answers.answer(item.question)
        latency = (time.perf_counter() - t0) * 1000
        ranked = [p.doc_id for p in answer.retrieved]
        results.append(QuestionResult(item, answer, ranked, latency))
    return results


def _code_version() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_report(pipeline: Pipeline, fingerprint: str, qa_path: Path,
                 results: list[QuestionResult]) -> dict[str, Any]:
    rows = [r.metrics() for r in results]
    settings = pipeline.settings
    return {
        **aggregate(rows),
        "corpus_fingerprint": fingerprint,
        "qa_file": str(qa_path),
        "embedding_model": pipeline.embedder.model_id,
        "generator": settings.generator.name,
        "prompt_version": pipeline.answers.prompt_version,
        "settings": json.loads(settings.model_dump_json()),
        "code_version": _code_version(),
        "per_question": rows,
    }


def run_eval_command(settings: Settings, corpus: Path, qa: Path, report_path: Path | None,
                     limit: int | None) -> int:
    items = load_qa(qa, limit)
    if not items:
        raise InputError(f"{qa} holds no questions")
    pipeline, fingerprint = eval_pipeline(settings, corpus)
    report = build_report(pipeline, fingerprint, qa, run_eval(pipeline, items))
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if report_path:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(text, encoding="utf-8")
    summary = {k: report[k] for k in ("questions", "retrieval", "answer", "citations", "refusal",
                                      "latency_ms")}
    print(json.dumps(summary, indent=2), file=sys.stdout)
    return 0
