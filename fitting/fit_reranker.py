"""Fit the features reranker on one benchmark and check it on another.

    python -m fitting.fit_reranker --fit hotpotqa_dev500 --check covidqa

For every question of each benchmark the hybrid retriever's fused candidates (before reranking)
are turned into :data:`rag.rerank.FEATURES` rows labelled 1 for the chunks of gold documents that
hold a gold answer (all the chunks of a gold document that holds none; see :func:`gold_labels`).
A listwise model is fitted on the ``--fit`` benchmark only: per question, the softmax
of the candidates' linear scores should put its mass on the gold candidates (cross-entropy,
L2-regularised, damped Newton). It ranks, so it needs no bias, and it is fitted on the features
as they are, without standardising them on the fit benchmark: a feature that hardly varies there
(e.g. the document-level ones on a corpus of one-chunk documents) then keeps a small weight
instead of a large one that another corpus would magnify. Both benchmarks are then ranked by the
dense list, the BM25 list, RRF and the fitted model, and document-level recall@1, recall@5 and
MRR of the top ``top_k`` distinct passages (as the eval measures them) are reported for each. The
weights and those figures are written to ``--out`` (default: the bundled
``rag/rerank_weights.json``).
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
from eval.metrics import normalize, recall_at_k, reciprocal_rank
from eval.runner import eval_pipeline
from rag.factory import duplicate_rule
from rag.fusion import Candidate, DuplicateRule, collapse_duplicates
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
        rows = features(item.question, cands, keyword.terms, keyword.idf, keyword.matches,
                        keyword.title_terms)
        labels = gold_labels(item, cands)
        out.append(Question(item, cands, rows, labels))
    return out


def gold_labels(item: QAItem, candidates: Sequence[Candidate]) -> np.ndarray:
    """1 for the candidates the reranker should put first: of each gold document, the chunks
    that hold a gold answer (normalised), or all its chunks when none does (a bridge document
    of a multi-hop question, an answer that is not a span). Labelling every chunk of a gold
    document alike taught the model to rank a document's chunks together, so its title chunk
    could come before the one holding the answer."""
    golds = [g for g in (normalize(a) for a in item.answers) if g]
    labels = np.zeros(len(candidates))
    for doc_id in item.doc_ids:
        members = [i for i, c in enumerate(candidates) if c.chunk.doc_id == doc_id]
        holding = [i for i in members
                   if any(g in normalize(candidates[i].chunk.text) for g in golds)]
        labels[holding or members] = 1.0
    return labels


def fit_listwise(groups: Sequence[tuple[np.ndarray, np.ndarray]], names: tuple[str, ...],
                 l2: float, iterations: int = 100) -> LinearModel:
    """Weights ``w`` minimising, over the questions' ``(rows, labels)``, the cross-entropy between
    ``softmax(rows @ w)`` and the labels spread evenly over the gold rows, plus ``l2/2 |w|^2``
    (convex; Newton steps halved until the loss falls). Questions without a gold candidate
    carry no information about the order and are skipped."""
    data = [(x, y / y.sum()) for x, y in groups if len(x) and y.sum() > 0]
    if not data:
        raise ValueError("no question has a gold candidate to fit on")
    w = np.zeros(len(names))

    def loss(v: np.ndarray) -> float:
        total = 0.5 * l2 * float(v @ v)
        for x, t in data:
            s = x @ v
            top = s.max()
            total += float(top + np.log(np.exp(s - top).sum()) - t @ s)
        return total

    current = loss(w)
    for _ in range(iterations):
        gradient = l2 * w
        hessian = l2 * np.eye(len(w))
        for x, t in data:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            gradient = gradient + x.T @ (p - t)
            xp = x.T @ p
            hessian = hessian + (x * p[:, None]).T @ x - np.outer(xp, xp)
        step = np.linalg.solve(hessian, gradient)
        rate = 1.0
        while (new := loss(w - rate * step)) > current and rate > 1e-4:
            rate /= 2
        w = w - rate * step
        done = current - new < 1e-9
        current = new
        if done:
            break
    return LinearModel(names, np.zeros(len(names)), np.ones(len(names)), w, 0.0)


def ranking_metrics(questions: Sequence[Question], order: str, rule: DuplicateRule, top_k: int,
                    model: LinearModel | None = None) -> dict[str, float]:
    """Mean document-level recall@1, recall@5 and MRR of the first ``top_k`` distinct passages
    when the candidates are ranked by ``order`` (``dense``, ``bm25``, ``rrf`` or ``reranked``)."""
    r1, r5, rrs = [], [], []
    for q in questions:
        if order == "dense":
            ranked = sorted((c for c in q.candidates if c.dense_rank),
                            key=lambda c: c.dense_rank or 0)
        elif order == "bm25":
            ranked = sorted((c for c in q.candidates if c.keyword_rank),
                            key=lambda c: c.keyword_rank or 0)
        elif order == "rrf":
            ranked = list(q.candidates)
        else:
            assert model is not None
            scores = model.score(q.rows) if len(q.rows) else np.zeros(0)
            ranked = [q.candidates[i] for i in sorted(
                range(len(scores)), key=lambda i: (-scores[i], -q.candidates[i].fused,
                                                   q.candidates[i].chunk.chunk_id))]
        ranked = collapse_duplicates(ranked, rule, limit=top_k)
        doc_ids = [c.chunk.doc_id for c in ranked]
        r1.append(recall_at_k(doc_ids, q.item.doc_ids, 1))
        r5.append(recall_at_k(doc_ids, q.item.doc_ids, 5))
        rrs.append(reciprocal_rank(doc_ids, q.item.doc_ids))
    return {"recall_at_1": round(statistics.fmean(r1), 4),
            "recall_at_5": round(statistics.fmean(r5), 4),
            "mrr": round(statistics.fmean(rrs), 4), "questions": len(questions)}


def report(name: str, questions: Sequence[Question], model: LinearModel,
           rule: DuplicateRule, top_k: int) -> dict[str, object]:
    return {order: ranking_metrics(questions, order, rule, top_k,
                                   model if order == "reranked" else None)
            for order in ("dense", "bm25", "rrf", "reranked")} | {"benchmark": name}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fitting.fit_reranker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", default="hotpotqa_dev500", help="benchmark to fit on")
    parser.add_argument("--check", default="covidqa", help="benchmark to check on")
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS,
                        help="folder holding <name>/corpus and <name>/qa.jsonl")
    parser.add_argument("--out", type=Path, default=Path(str(DEFAULT_WEIGHTS)),
                        help="weights file to write (default: the bundled one, rewritten in place)")
    parser.add_argument("--limit", type=int, help="use only the first N questions of each")
    parser.add_argument("--l2", type=float, default=0.3, help="L2 penalty of the fit")
    args = parser.parse_args(argv)
    settings = load_settings()
    fit = collect(settings, args.benchmarks / args.fit, args.limit)
    check = collect(settings, args.benchmarks / args.check, args.limit)
    model = fit_listwise([(q.rows, q.labels) for q in fit], FEATURES, args.l2)
    rule, top_k = duplicate_rule(settings), settings.retrieval.top_k
    result = {
        "features": list(FEATURES),
        "mean": model.mean.tolist(),
        "scale": model.scale.tolist(),
        "coef": model.coef.tolist(),
        "bias": model.bias,
        "fitted_on": args.fit,
        "objective": "listwise softmax cross-entropy, unstandardised features; labels: "
                     "answer-holding chunks of gold documents",
        "fit": report(args.fit, fit, model, rule, top_k),
        "check": report(args.check, check, model, rule, top_k),
        "candidates_per_retriever": settings.retrieval.candidates,
        "l2": args.l2,
        "command": "python -m fitting.fit_reranker " + " ".join(
            sys.argv[1:] if argv is None else argv),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("fit", "check")}, indent=2))
    print("weights: " + ", ".join(f"{n}={c:+.3f}" for n, c in zip(FEATURES, model.coef)),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
