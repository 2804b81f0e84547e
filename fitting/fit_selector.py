"""Fit the sentence selector on one benchmark and check it on another.

    python -m fitting.fit_selector --fit hotpotqa_dev500 --check covidqa --write-weights

For every answerable question with a text answer (not yes/no) the service's own evidence
(``AnswerService.evidence``: retrieval, then every passage sentence scored) is turned into
:data:`rag.selection.FEATURES` rows, a sentence labelled 1 when it holds a gold answer. A logistic
regression is fitted on ``--fit`` only. Both benchmarks are then answered by the previous rule
(the best sentences by cosine plus word overlap, within a margin) and by the selector, and for
each the report gives: how often the first sentence holds the gold answer, how often any chosen
sentence does, sentences per answer, the share of chosen sentences from gold documents (citation
precision), and how many answers open with a heading or fragment. ``add_ratio`` (when a further
sentence is added) is chosen on the fit set: the largest citation precision at no loss of the
answer holding the gold.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.dataset import QAItem, load_qa
from eval.metrics import contains_gold
from eval.runner import eval_pipeline
from fitting.logistic import fit_logistic
from rag.generators.extractive import ScoredSentence, select_by_score
from rag.linear import LinearModel
from rag.selection import (DEFAULT_WEIGHTS, FEATURES, SentenceSelector, features, is_fragment,
                           top_candidates)
from rag.settings import Settings, load_settings
from rag.types import Passage

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
ADD_RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)


@dataclass
class Question:
    item: QAItem
    sentences: list[ScoredSentence]
    passages: list[Passage]
    rows: np.ndarray
    labels: np.ndarray


def collect(settings: Settings, root: Path, limit: int | None,
            cache: Path | None) -> list[Question]:
    """Evidence rows and labels for the answerable text questions of one benchmark (cached)."""
    if cache is not None and cache.is_file():
        return pickle.loads(cache.read_bytes())
    pipeline, _ = eval_pipeline(settings, root / "corpus")
    keyword = pipeline.keyword
    terms = keyword.terms if keyword is not None else None
    idf = keyword.idf if keyword is not None else None
    out = []
    for item in load_qa(root / "qa.jsonl", limit):
        answers = [a for a in item.answers if a.strip().lower() not in {"yes", "no"}]
        if not item.answerable or not answers:
            continue
        state = pipeline.answers.evidence(item.question)
        rows = features(state.standalone, state.sentences, state.passages, terms, idf)
        labels = np.array([contains_gold(s.text, answers) for s in state.sentences],
                          dtype=np.float64)
        out.append(Question(item, state.sentences, state.passages, rows, labels))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(out))
    return out


def _policy_metrics(questions: Sequence[Question], choose) -> dict[str, float]:  # noqa: ANN001
    first, anyg, count, precision, fragments = [], [], [], [], 0
    for q in questions:
        chosen = choose(q)
        golds = [a for a in q.item.answers]
        if not chosen:
            first.append(0.0)
            anyg.append(0.0)
            count.append(0)
            continue
        texts = [q.sentences[i].text for i in chosen]
        first.append(1.0 if contains_gold(texts[0], golds) else 0.0)
        anyg.append(1.0 if contains_gold(" ".join(texts), golds) else 0.0)
        count.append(len(chosen))
        docs = [q.passages[q.sentences[i].passage - 1].doc_id for i in chosen]
        precision.append(sum(d in q.item.doc_ids for d in docs) / len(docs))
        best = q.sentences[chosen[0]]
        fragments += is_fragment(best.text, q.passages[best.passage - 1].title)
    return {"first_sentence_has_gold": round(statistics.fmean(first), 4),
            "answer_has_gold": round(statistics.fmean(anyg), 4),
            "sentences_per_answer": round(statistics.fmean(count), 3),
            "citation_precision": round(statistics.fmean(precision), 4) if precision else 0.0,
            "answers_opening_with_fragment": fragments, "questions": len(questions)}


def _previous_rule(q: Question) -> list[int]:
    """The extractive generator's rule before the selector (kept to report against)."""
    return [q.sentences.index(s) for s in select_by_score(q.sentences)]


def report(questions: Sequence[Question], model: LinearModel, add_ratio: float
           ) -> dict[str, object]:
    selector = SentenceSelector(model, add_ratio=add_ratio)

    def choose(q: Question) -> list[int]:
        # as in production: only the best CANDIDATES by the plain score are scored
        p = np.zeros(len(q.rows))
        top = top_candidates(q.sentences)
        if top:
            p[top] = model.score(q.rows[top])
        return list(selector.choose_from(q.item.question, q.sentences, q.passages, p).chosen)

    reachable = [q for q in questions if q.labels.any()]
    return {
        "previous_rule": _policy_metrics(questions, _previous_rule),
        "selector": _policy_metrics(questions, choose),
        "selector_where_some_sentence_has_gold": _policy_metrics(reachable, choose),
        "previous_where_some_sentence_has_gold": _policy_metrics(reachable, _previous_rule),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fitting.fit_selector", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", default="hotpotqa_dev500", help="benchmark to fit on")
    parser.add_argument("--check", default="covidqa", help="benchmark to check on")
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARKS,
                        help="folder holding <name>/corpus and <name>/qa.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS, help="weights file")
    parser.add_argument("--write-weights", action="store_true", help="write --out")
    parser.add_argument("--limit", type=int, help="use only the first N questions of each")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the regression")
    parser.add_argument("--cache", type=Path, help="folder for measured rows (refits are "
                        "instant while the evidence code is unchanged; delete it otherwise)")
    args = parser.parse_args(argv)
    settings = load_settings()

    def cached(name: str) -> Path | None:
        return args.cache / f"{name}-{args.limit or 'all'}.pickle" if args.cache else None

    fit = collect(settings, args.benchmarks / args.fit, args.limit, cached(args.fit))
    check = collect(settings, args.benchmarks / args.check, args.limit, cached(args.check))
    x = np.vstack([q.rows for q in fit if len(q.rows)])
    y = np.concatenate([q.labels for q in fit if len(q.rows)])
    model = fit_logistic(x, y, FEATURES, args.l2)
    # add_ratio: the highest citation precision on the fit set that keeps answer_has_gold
    # within 0.01 of its best.
    trials = {r: report(fit, model, r)["selector"] for r in ADD_RATIOS}
    best_gold = max(t["answer_has_gold"] for t in trials.values())
    add_ratio = max((r for r, t in trials.items() if t["answer_has_gold"] >= best_gold - 0.01),
                    key=lambda r: (trials[r]["citation_precision"], -r))
    result = model.to_json(
        fitted_on=args.fit, add_ratio=add_ratio, l2=args.l2,
        add_ratio_trials_on_fit_set={str(r): t for r, t in trials.items()},
        fit={"benchmark": args.fit, **report(fit, model, add_ratio)},
        check={"benchmark": args.check, **report(check, model, add_ratio)},
        command="python -m fitting.fit_selector " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]))
    if args.write_weights:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("add_ratio", "fit", "check")}, indent=2))
    print("weights: " + ", ".join(f"{n}={c:+.3f}" for n, c in zip(FEATURES, model.coef)),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
