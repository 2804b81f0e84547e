"""Fit the refusal gate on one set and report it on others.

``python -m eval.calibrate --fit covidqa --report hotpotqa_dev500 sample --write-weights``

The shared benchmarks hold only answerable questions, so each question is asked twice: once as it
is (answerable) and once with its gold documents left out of retrieval
(``AskOptions.exclude_doc_ids``: the corpus then holds no answer, so the right response is a
refusal). The sample corpus's gold set (``eval/gold/sample_qa.jsonl``: its own unanswerable
questions and follow-ups, plus every answerable one asked again without its gold documents) is an
out-of-domain set. Measured rows are kept under ``data_dir/calibrate/`` and reused while the
corpus, the questions and the evidence code are unchanged, so refitting is instant.

For every case the evidence the service gathers (``AnswerService.evidence``: retrieval and the
scored sentences, before any gate) is turned into a row of :data:`rag.answerability.FEATURES`.
A class-balanced logistic model is fitted on the ``--fit`` set only, and its threshold chosen
there by Youden's J (refusal recall minus false-refusal rate), or as the threshold with the most
refusals whose false-refusal rate stays within ``--max-false-refusal``. Both gates are then reported,
unchanged, on every set: refusal precision, refusal recall, false-refusal rate and ROC AUC of
the answerability model, next to the cosine threshold gate (at the configured
``retrieval.min_relevance`` and at a threshold fitted the same way). ``--write-weights`` stores
the model, its threshold and these figures as the bundled ``rag/refusal_weights.json`` (or the
given path).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from eval.dataset import QAItem, load_qa
from eval.logistic import fit_logistic
from eval.runner import _history, eval_pipeline
from index.errors import ConfigError
from rag.answerability import DEFAULT_WEIGHTS, FEATURES, features
from rag.factory import Pipeline
from rag.linear import LinearModel
from rag.settings import Settings, load_settings
from rag.types import AskOptions

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
SAMPLE_CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLE_QA: Traversable = resources.files("eval") / "gold" / "sample_qa.jsonl"  # packaged


@dataclass(frozen=True)
class Case:
    """One question in one condition: ``answerable`` is whether the index holds its answer;
    ``score`` is a gate's score of the evidence (refused below the gate's threshold)."""

    id: str
    answerable: bool
    score: float


@dataclass(frozen=True)
class RefusalStats:
    threshold: float
    precision: float | None
    recall: float | None
    false_refusal_rate: float | None
    answerable: int
    unanswerable: int


@dataclass
class Measured:
    """Every case of one set: ids, labels (1 = answerable), feature rows."""

    ids: list[str]
    labels: np.ndarray
    rows: np.ndarray

    def cases(self, scores: np.ndarray) -> list[Case]:
        return [Case(i, bool(y), float(s)) for i, y, s in zip(self.ids, self.labels, scores)]

    @property
    def cosine(self) -> np.ndarray:
        """The threshold gate's score: the best evidence sentence's cosine."""
        return self.rows[:, FEATURES.index("sentence_dense")]


def measure(pipeline: Pipeline, items: Sequence[QAItem], without_gold: bool = True) -> Measured:
    """A feature row for every item (and, for answerable items with gold documents, another
    with them left out)."""
    if pipeline.keyword is None:
        raise ConfigError("calibration needs the keyword index's term statistics: use "
                          "retrieval.mode = 'hybrid'")
    ids: list[str] = []
    labels: list[float] = []
    rows: list[np.ndarray] = []

    def add(case_id: str, answerable: bool, item: QAItem, options: AskOptions | None) -> None:
        ev = pipeline.answers.evidence(item.question, _history(item), options)
        assert pipeline.keyword is not None
        rows.append(features(ev.standalone, ev.sentences, ev.passages,
                             pipeline.keyword.terms, pipeline.keyword.idf))
        ids.append(case_id)
        labels.append(1.0 if answerable else 0.0)

    for item in items:
        add(item.id, item.answerable, item, None)
        if without_gold and item.answerable and item.doc_ids:
            add(f"{item.id}/no-gold", False, item,
                AskOptions(exclude_doc_ids=frozenset(item.doc_ids)))
    return Measured(ids, np.asarray(labels), np.vstack(rows) if rows else
                    np.zeros((0, len(FEATURES))))


def stats(cases: Sequence[Case], threshold: float) -> RefusalStats:
    refused = [c for c in cases if c.score < threshold]
    right = [c for c in refused if not c.answerable]
    answerable = [c for c in cases if c.answerable]
    unanswerable = [c for c in cases if not c.answerable]
    false = [c for c in refused if c.answerable]
    return RefusalStats(
        threshold=round(threshold, 4),
        precision=round(len(right) / len(refused), 4) if refused else None,
        recall=round(len(right) / len(unanswerable), 4) if unanswerable else None,
        false_refusal_rate=round(len(false) / len(answerable), 4) if answerable else None,
        answerable=len(answerable), unanswerable=len(unanswerable))


def fit_threshold(cases: Sequence[Case]) -> float:
    """The threshold with the best refusal recall minus false-refusal rate (Youden's J); ties
    go to the lower threshold (fewer refusals)."""
    candidates = sorted({round(c.score, 4) for c in cases} | {-1.0})

    def j(t: float) -> float:
        s = stats(cases, t)
        return (s.recall or 0.0) - (s.false_refusal_rate or 0.0)

    return max(candidates, key=lambda t: (j(t), -t))


def threshold_for(cases: Sequence[Case], max_false_refusal: float | None) -> float:
    """Youden's J (``None``), or the highest threshold whose false-refusal rate stays within
    ``max_false_refusal`` (the most refusals a site that bounds false ones can have)."""
    if max_false_refusal is None:
        return fit_threshold(cases)
    candidates = sorted({round(c.score, 4) for c in cases} | {-1.0})
    within = [t for t in candidates
              if (stats(cases, t).false_refusal_rate or 0.0) <= max_false_refusal]
    return max(within)


def auc(cases: Sequence[Case]) -> float | None:
    """Probability that an answerable case scores above an unanswerable one (ties count half)."""
    pos = np.array([c.score for c in cases if c.answerable])
    neg = np.array([c.score for c in cases if not c.answerable])
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return round(float(greater / (len(pos) * len(neg))), 4)


def fit_model(measured: Measured, l2: float = 1.0) -> LinearModel:
    """Class-balanced logistic regression: each class weighs the same however many cases."""
    y = measured.labels
    weight = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), len(y) / (2 * max((1 - y).sum(), 1)))
    return fit_logistic(measured.rows, y, FEATURES, l2=l2, sample_weight=weight)


def benchmark(name: str) -> tuple[Path, Path | Traversable]:
    if name == "sample":
        return SAMPLE_CORPUS, SAMPLE_QA
    folder = BENCHMARKS / name
    return folder / "corpus", folder / "qa.jsonl"


def sample_items(qa: Path | Traversable, limit: int | None, seed: int) -> list[QAItem]:
    items = load_qa(qa)
    if limit is not None and limit < len(items):
        items = random.Random(seed).sample(items, limit)
    return items


def subset_corpus(corpus: Path, items: list[QAItem], max_docs: int | None, seed: int,
                  work: Path) -> Path:
    """``corpus`` itself, or (when it holds more than ``max_docs`` files) a copy of the sampled
    questions' gold documents plus randomly drawn others, ``max_docs`` in all: indexing a large
    benchmark in full costs more than calibration needs."""
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    if max_docs is None or len(files) <= max_docs:
        return corpus
    gold = {d for item in items for d in item.doc_ids}
    keep = [p for p in files if p.name in gold]
    others = [p for p in files if p.name not in gold]
    keep += random.Random(seed).sample(others, max(0, min(len(others), max_docs - len(keep))))
    target = work / f"{corpus.parent.name}-{seed}-{max_docs}-{len(items)}"
    if not target.is_dir():
        staging = target.with_name(target.name + ".tmp")
        staging.mkdir(parents=True, exist_ok=True)
        for p in keep:
            (staging / p.name).write_bytes(p.read_bytes())
        staging.rename(target)
    return target


def _items_key(items: Sequence[QAItem]) -> str:
    return hashlib.sha256(json.dumps([[i.id, i.question, list(i.doc_ids), i.answerable]
                                      for i in items]).encode()).hexdigest()[:12]


def _code_key() -> str:
    """Measured rows are reused only while the features and the evidence code are unchanged."""
    import index.keyword
    import rag.answerability
    import rag.conversation
    import rag.generators.extractive
    import rag.retrieval
    import rag.verify

    h = hashlib.sha256()
    for module in (index.keyword, rag.answerability, rag.conversation,
                   rag.generators.extractive, rag.retrieval, rag.verify):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()[:12]


def _save(path: Path, m: Measured) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, ids=np.asarray(m.ids), labels=m.labels, rows=m.rows)
    tmp.replace(path)


def _load(path: Path) -> Measured:
    data = np.load(path)
    return Measured([str(i) for i in data["ids"]], data["labels"], data["rows"])


def report(measured: Measured, model: LinearModel, threshold: float,
           cosine_fitted: float, configured: float) -> dict[str, object]:
    model_cases = measured.cases(model.score(measured.rows))
    cosine_cases = measured.cases(measured.cosine)
    return {
        "model": {**asdict(stats(model_cases, threshold)), "auc": auc(model_cases)},
        "cosine_fitted": {**asdict(stats(cosine_cases, cosine_fitted)),
                          "auc": auc(cosine_cases)},
        "cosine_configured": asdict(stats(cosine_cases, configured)),
    }


def run(settings: Settings, fit: str, report_on: list[str], limit: int | None, seed: int,
        max_docs: int | None = 1500, l2: float = 1.0,
        max_false_refusal: float | None = None) -> tuple[LinearModel, dict[str, object]]:
    measuring = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"refusal": "threshold", "min_relevance": -1.0})})
    measured: dict[str, Measured] = {}
    for name in [fit, *report_on]:
        corpus, qa = benchmark(name)
        items = sample_items(qa, None if name == "sample" else limit, seed)
        corpus = subset_corpus(corpus, items, max_docs, seed,
                               Path(settings.data_dir) / "calibrate")
        pipeline, fingerprint = eval_pipeline(measuring, corpus)
        cache = (Path(settings.data_dir) / "calibrate" /
                 f"{name}-{fingerprint[:12]}-{_items_key(items)}-{_code_key()}.npz")
        measured[name] = _load(cache) if cache.is_file() else measure(pipeline, items)
        _save(cache, measured[name])
        print(f"measured {name}: {len(measured[name].ids)} cases", file=sys.stderr)
    model = fit_model(measured[fit], l2)
    threshold = threshold_for(measured[fit].cases(model.score(measured[fit].rows)),
                              max_false_refusal)
    cosine_fitted = threshold_for(measured[fit].cases(measured[fit].cosine), max_false_refusal)
    configured = settings.retrieval.min_relevance
    result: dict[str, object] = {
        "fit_on": fit,
        "threshold": threshold,
        "cosine_threshold_fitted": cosine_fitted,
        "configured_min_relevance": configured,
        "limit": limit,
        "max_docs": max_docs,
        "seed": seed,
        "l2": l2,
        "threshold_rule": ("youden" if max_false_refusal is None
                           else f"false_refusal<={max_false_refusal}"),
        "sets": {name: {"role": "fit" if name == fit else "report",
                        **report(m, model, threshold, cosine_fitted, configured)}
                 for name, m in measured.items()},
    }
    return model, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--fit", default="covidqa", help="benchmark to fit the gate on "
                        "(a folder under ../shared/benchmarks, or 'sample')")
    parser.add_argument("--report", nargs="+", default=["hotpotqa_dev500", "sample"],
                        help="benchmarks to report the fitted gate on")
    parser.add_argument("--limit", type=int, default=300, help="questions sampled per benchmark")
    parser.add_argument("--seed", type=int, default=13, help="sampling seed")
    parser.add_argument("--max-docs", type=int, default=1500, help="index at most this many "
                        "documents of a benchmark (the sampled questions' gold ones included); 0 "
                        "for all")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the fit")
    parser.add_argument("--max-false-refusal", type=float, help="choose the threshold with the "
                        "most refusals whose false-refusal rate on the fit set stays within this "
                        "(default: Youden's J)")
    parser.add_argument("--data-dir", type=Path, help="where eval indexes live (RAG_DATA_DIR)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--write-weights", nargs="?", type=Path, const=Path(str(DEFAULT_WEIGHTS)),
                        help="store the fitted model, threshold and report (default path: the "
                        "bundled rag/refusal_weights.json)")
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    model, result = run(load_settings(**overrides), args.fit, args.report, args.limit,
                        args.seed, args.max_docs or None, args.l2,
                        args.max_false_refusal)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    if args.write_weights:
        from index.files import write_text_atomic

        write_text_atomic(args.write_weights, json.dumps(
            model.to_json(threshold=result["threshold"], calibration=result), indent=2) + "\n")
        print(f"weights written to {args.write_weights}", file=sys.stderr)
    print(text)
    print("coef: " + ", ".join(f"{n}={c:+.3f}" for n, c in zip(FEATURES, model.coef)),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
