"""The eval report: aggregate metrics, run information and per-question outcomes, as JSON."""

from __future__ import annotations

import statistics
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.dataset import read_data_file
from eval.metrics import percentile, refusal_scores
from eval.runner import CitedPassage, QuestionOutcome
from index.errors import InputError
from index.atomic_files import write_text_atomic

# Aggregate metric -> (section, per-question score key averaged over answerable questions).
MEAN_METRICS: dict[str, tuple[str, str]] = {
    "retrieval.recall_at_1": ("retrieval", "recall_at_1"),
    "retrieval.recall_at_5": ("retrieval", "recall_at_5"),
    "retrieval.recall_at_10": ("retrieval", "recall_at_10"),
    "retrieval.mrr": ("retrieval", "mrr"),
    "retrieval.ndcg_at_10": ("retrieval", "ndcg_at_10"),
    "answer.contains_gold": ("answer", "contains_gold"),
    "answer.token_f1": ("answer", "token_f1"),
    "answer.semantic_similarity": ("answer", "semantic_similarity"),
    # Over answerable questions whose gold answer is "yes" or "no": the shape's verdict.
    "answer.verdict_right": ("answer", "verdict_right"),
    "answer.verdict_wrong": ("answer", "verdict_wrong"),
    # Over answerable questions that ask for an entity (rag.question_typing), gold answers known.
    "short_answer.exact_match": ("short_answer", "short_exact"),
    "short_answer.token_f1": ("short_answer", "short_f1"),
    "short_answer.answered": ("short_answer", "short_given"),
    # Share of those whose answer says the sources disagree (docs/time.md); not gated.
    "short_answer.disagreed": ("short_answer", "short_disagreed"),
    "citations.precision": ("citations", "citation_precision"),
    "citations.recall": ("citations", "citation_recall"),
    "citations.supported": ("citations", "citation_supported"),
}
# Metrics where a smaller value is better (the gate watches them rising).
LOWER_IS_BETTER = frozenset({"refusal.false_rate", "latency_ms.p50", "latency_ms.p95",
                             "answer.verdict_wrong"})
SECTIONS = ("retrieval", "answer", "short_answer", "citations", "refusal", "latency_ms")

Metrics = dict[str, dict[str, float | None]]


@dataclass
class RunInfo:
    variant: str
    corpus: str
    qa_file: str
    corpus_fingerprint: str
    embedding_model: str
    generator: str
    prompt_version: str
    code_version: str
    settings: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    release: str | None = None  # the corpus release that answered (index/releases.py)


@dataclass
class Report:
    info: RunInfo
    metrics: Metrics
    questions: list[QuestionOutcome]

    def flat(self) -> dict[str, float | None]:
        """``{"answer.contains_gold": 0.8, ...}``."""
        return {f"{sec}.{k}": v for sec, vals in self.metrics.items() for k, v in vals.items()}

    def to_json(self) -> dict[str, Any]:
        return {"questions": len(self.questions), **self.metrics, **asdict(self.info),
                "per_question": [asdict(q) for q in self.questions]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Report":
        info_keys = RunInfo.__dataclass_fields__
        info = RunInfo(**{k: data[k] for k in info_keys if k in data})
        questions = []
        for q in data.get("per_question", []):
            q = dict(q)
            q["cited"] = [CitedPassage(**c) for c in q.get("cited", [])]
            questions.append(QuestionOutcome(**q))
        return cls(info, {s: dict(data.get(s, {})) for s in SECTIONS}, questions)


def _mean(outcomes: list[QuestionOutcome], key: str) -> float | None:
    values = [o.scores[key] for o in outcomes if key in o.scores]
    return round(statistics.fmean(values), 4) if values else None


def aggregate(outcomes: list[QuestionOutcome]) -> Metrics:
    metrics: Metrics = {s: {} for s in SECTIONS}
    for name, (section, key) in MEAN_METRICS.items():
        metrics[section][name.split(".", 1)[1]] = _mean(outcomes, key)
    refusal = refusal_scores([o.answerable for o in outcomes], [o.refused for o in outcomes])
    metrics["refusal"] = {k: None if v is None else round(v, 4) for k, v in refusal.items()}
    latencies = [o.latency_ms for o in outcomes]
    metrics["latency_ms"] = {"p50": round(percentile(latencies, 50), 2),
                             "p95": round(percentile(latencies, 95), 2)}
    return metrics


def code_version() -> str:
    """The git commit of the code (with ``+dirty`` when the tree has changes), or 'unknown'."""
    here = Path(__file__).parent
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True, cwd=here).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True, cwd=here).stdout
        return sha + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader never sees a half-written file."""
    write_text_atomic(path, text)


def load_report_json(path: Path) -> dict[str, Any]:
    data = read_data_file(path, "report")
    if not isinstance(data, dict) or "per_question" not in data:
        raise InputError(f"{path} is not an eval report (no per_question)")
    return data
