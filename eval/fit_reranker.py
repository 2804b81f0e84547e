"""Fit the features reranker on one benchmark and check it on another.

    python -m eval.fit_reranker --fit hotpotqa_dev500 --check covidqa

For every question of each benchmark the hybrid retriever's fused candidates (before reranking)
are turned into :data:`rag.rerank.FEATURES` rows labelled 1 when the chunk belongs to a gold
document. A logistic regression (L2-regularised, fitted by Newton's method) is fitted on the
``--fit`` benchmark only; both benchmarks are then ranked by dense order, by RRF and by the fitted
model, and document-level recall@5 and MRR are reported for each. The weights and those figures
are written to ``--out`` (default: the bundled ``rag/rerank_weights.json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.dataset import QAItem, load_qa
from eval.metrics import recall_at_k, reciprocal_rank
from eval.runner import eval_pipeline
from rag.factory import duplicate_rule
from rag.fusion import Candidate, DuplicateRule, collapse_duplicates
from eval.logistic import fit_logistic
from rag.linear import LinearModel
from rag.rerank import DEFAULT_WEIGHTS, FEATURES, features
from rag.settings import Settings, load_settings

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


@dataclass
class Question:
    item: QAItem
    candidates: list[Candidate]
    rows: np.ndarray
    labels: np.ndarray


def collect(settings: Settings, root: Path, limit: int | None) -> list[Question]:
    """Candidates, feature rows and labels for every answerable question of one benchmark."""
    hybrid = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"mode": "hybrid", "rerank": False})})
    pipeline, _ = eval_pipeline(hybrid, root / "corpus")
    retriever = pipeline.retriever
    keyword = pipeline.keyword
    assert keyword is not None
    items = [i for i in load_qa(root / "qa.jsonl", limit) if i.answerable and i.doc_ids]
    vectors = pipeline.embedder.embed([i.question for i in items])
    out = []
    for item, vector in zip(items, vectors):
        cands = retriever.candidates(item.question, vector, settings.retrieval.top_k)
        rows = features(item.question, cands, keyword.terms, keyword.idf)
        labels = np.array([c.chunk.doc_id in item.doc_ids for c in cands], dtype=np.float64)
        out.append(Question(item, cands, rows, labels))
    return out


def ranking_metrics(questions: Sequence[Question], order: str, rule: DuplicateRule,
                    model: LinearModel | None = None) -> dict[str, float]:
    """Mean document-level recall@5 and MRR when the candidates are ranked by ``order``."""
    recalls, rrs = [], []
    for q in questions:
        if order == "dense":
            ranked = sorted((c for c in q.candidates if c.dense_rank),
                            key=lambda c: c.dense_rank or 0)
        elif order == "rrf":
            ranked = list(q.candidates)
        else:
            assert model is not None
            scores = model.score(q.rows) if len(q.rows) else np.zeros(0)
            ranked = [c for _, c in sorted(zip(-scores, range(len(scores))))]
            ranked = [q.candidates[i] for i in ranked]
        ranked = collapse_duplicates(ranked, rule)
        doc_ids = [c.chunk.doc_id for c in ranked]
        recalls.append(recall_at_k(doc_ids, q.item.doc_ids, 5))
        rrs.append(reciprocal_rank(doc_ids, q.item.doc_ids))
    return {"recall_at_5": round(statistics.fmean(recalls), 4),
            "mrr": round(statistics.fmean(rrs), 4), "questions": len(questions)}


def report(name: str, questions: Sequence[Question], model: LinearModel,
           rule: DuplicateRule) -> dict[str, object]:
    return {order: ranking_metrics(questions, order, rule,
                                   model if order == "reranked" else None)
            for order in ("dense", "rrf", "reranked")} | {"benchmark": name}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_reranker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", default="hotpotqa_dev500", help="benchmark to fit on")
    parser.add_argument("--check", default="covidqa", help="benchmark to check on")
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS,
                        help="folder holding <name>/corpus and <name>/qa.jsonl")
    parser.add_argument("--out", type=Path, default=Path(str(DEFAULT_WEIGHTS)),
                        help="weights file to write (default: the bundled one, rewritten in place)")
    parser.add_argument("--limit", type=int, help="use only the first N questions of each")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the regression")
    args = parser.parse_args(argv)
    settings = load_settings()
    fit = collect(settings, args.benchmarks / args.fit, args.limit)
    check = collect(settings, args.benchmarks / args.check, args.limit)
    x = np.vstack([q.rows for q in fit if len(q.rows)])
    y = np.concatenate([q.labels for q in fit])
    model = fit_logistic(x, y, FEATURES, args.l2)
    result = {
        "features": list(FEATURES),
        "mean": model.mean.tolist(),
        "scale": model.scale.tolist(),
        "coef": model.coef.tolist(),
        "bias": model.bias,
        "fitted_on": args.fit,
        "fit": report(args.fit, fit, model, duplicate_rule(settings)),
        "check": report(args.check, check, model, duplicate_rule(settings)),
        "candidates_per_retriever": settings.retrieval.candidates,
        "l2": args.l2,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("fit", "check")}, indent=2))
    print("weights: " + ", ".join(f"{n}={c:+.3f}" for n, c in zip(FEATURES, model.coef)),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
