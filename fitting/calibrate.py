"""Fit the refusal gate on one set and report it on others.

``python -m fitting.calibrate --fit covidqa --report hotpotqa_dev500 sample --write-weights``

The shared benchmarks hold only answerable questions, so each question is asked three times: once as
it is (answerable), once with its gold documents left out of retrieval
(``AskOptions.exclude_doc_ids``: the corpus then holds no answer, so the right response is a
refusal; kind ``no-gold``), and once **entity-swapped** (kind ``swapped``): the question's key
entity (spaCy NER over the question: a name, place, organisation, date, number ...) replaced by
another of the same label found in the corpus (NER over the passages retrieved for the sampled
questions), so the documents stay on topic but no longer answer. A swap is kept only when the
replacement occurs in no gold document and in no corpus document together with the question's
two rarest other terms, and the recogniser reads the swapped question's new entity with the
same label (:func:`fitting.swaps.build_swaps`). The sample corpus's gold set (``eval/gold/sample_qa.jsonl``: its own unanswerable
questions and follow-ups, plus every answerable one asked again without its gold documents) is an
out-of-domain set (its own unanswerable questions are kind ``unanswerable``). The gathered
evidence of every case is kept under ``data_dir/calibrate/`` and reused while the corpus and the
evidence code are unchanged (feature rows are recomputed from it, so a feature change costs no
retrieval), so refitting is quick.

For every case the evidence the service gathers (``AnswerService.evidence``: retrieval and the
scored sentences, before any gate) is turned into a row of :data:`rag.answerability.FEATURES`.
A class-balanced logistic model is fitted on the ``--fit`` set only, and its threshold chosen
there by Youden's J (refusal recall minus false-refusal rate), or as the threshold with the most
refusals whose false-refusal rate stays within ``--max-false-refusal``. Both gates are then reported,
unchanged, on every set: refusal precision, refusal recall, false-refusal rate and ROC AUC of
the answerability model, and refusal recall and AUC per kind of unanswerable case, next to the cosine threshold gate (at the configured
``retrieval.min_relevance`` and at a threshold fitted the same way). ``--write-weights`` stores
the model, its threshold and these figures as the bundled ``rag/refusal_weights.json`` (or the
given path).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from eval.dataset import QAItem, load_qa
from eval.runner import _history, eval_pipeline
from fitting.logistic import fit_logistic
from fitting.refusal_stats import Case, auc, stats, threshold_for
from fitting.swaps import CorpusWords, Swap, build_swaps, entity_pool
from index.errors import ConfigError
from rag.question_typing import Nlp
from rag.answerability import DEFAULT_WEIGHTS, FEATURES, features, gate_scores
from rag.factory import Pipeline, build_nlp
from rag.linear import LinearModel
from rag.settings import Settings, load_settings
from rag.types import AskOptions

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
SAMPLE_CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLE_QA: Traversable = resources.files("eval") / "gold" / "sample_qa.jsonl"  # packaged

KINDS = ("answerable", "unanswerable", "no-gold", "swapped")


@dataclass
class Measured:
    """Every case of one set: ids, labels (1 = answerable), feature rows and the kind of each
    case (:data:`KINDS`: a question as asked, a gold set's own unanswerable question, one asked
    without its gold documents, an entity-swapped one)."""

    ids: list[str]
    labels: np.ndarray
    rows: np.ndarray
    kinds: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)  # the standalone question of each case

    def __post_init__(self) -> None:
        if not self.kinds:
            self.kinds = [_kind_of(i, y) for i, y in zip(self.ids, self.labels)]

    def cases(self, scores: np.ndarray) -> list[Case]:
        return [Case(i, bool(y), float(s)) for i, y, s in zip(self.ids, self.labels, scores)]

    @property
    def cosine(self) -> np.ndarray:
        """The threshold gate's score: the best evidence sentence's cosine."""
        return self.rows[:, FEATURES.index("sentence_dense")]


def _kind_of(case_id: str, label: float) -> str:
    if label:
        return "answerable"
    return ("no-gold" if case_id.endswith("/no-gold") else
            "swapped" if case_id.endswith("/swap") else "unanswerable")


Evidence = tuple[str, list, list]  # standalone question, scored sentences, passages


class EvidenceCache:
    """The evidence the service gathers for (question, history, excluded documents), kept in a
    pickle per index and evidence code (see :func:`_code_key`); saved by :meth:`save`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.data: dict[str, Evidence] = {}
        if path is not None and path.is_file():
            with path.open("rb") as f:
                self.data = pickle.load(f)
        self.dirty = False

    def get(self, pipeline: Pipeline, item: QAItem, question: str,
            options: AskOptions | None) -> Evidence:
        key = json.dumps([question, item.extra.get("history") or [],
                          sorted(options.exclude_doc_ids) if options else []], default=str)
        hit = self.data.get(key)
        if hit is None:
            ev = pipeline.answers.evidence(question, _history(item), options)
            hit = (ev.standalone, list(ev.sentences), list(ev.passages))
            self.data[key] = hit
            self.dirty = True
        return hit

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(self.data, f)
        tmp.replace(self.path)
        self.dirty = False


def measure(pipeline: Pipeline, items: Sequence[QAItem], without_gold: bool = True,
            swaps: Sequence[Swap] = (), nlp: Nlp | None = None,
            cache: EvidenceCache | None = None) -> Measured:
    """A feature row for every item (and, for answerable items with gold documents, another
    with them left out), then one for every swapped question (unanswerable)."""
    if pipeline.keyword is None:
        raise ConfigError("calibration needs the keyword index's term statistics: use "
                          "retrieval.mode = 'hybrid'")
    nlp = nlp or build_nlp()
    cache = cache or EvidenceCache()
    ids: list[str] = []
    labels: list[float] = []
    rows: list[np.ndarray] = []
    kinds: list[str] = []
    questions: list[str] = []

    def add(case_id: str, kind: str, item: QAItem, question: str,
            options: AskOptions | None) -> None:
        standalone, sentences, passages = cache.get(pipeline, item, question, options)
        assert pipeline.keyword is not None
        rows.append(features(standalone, sentences, passages, pipeline.keyword.terms,
                             pipeline.keyword.idf, nlp))
        ids.append(case_id)
        labels.append(1.0 if kind == "answerable" else 0.0)
        kinds.append(kind)
        questions.append(standalone)

    for n, item in enumerate(items, 1):
        add(item.id, "answerable" if item.answerable else "unanswerable", item, item.question,
            None)
        if without_gold and item.answerable and item.doc_ids:
            add(f"{item.id}/no-gold", "no-gold", item, item.question,
                AskOptions(exclude_doc_ids=frozenset(item.doc_ids)))
        if n % 50 == 0:
            cache.save()
            print(f"  {n}/{len(items)} questions", file=sys.stderr)
    by_id = {item.id: item for item in items}
    for swap in swaps:
        add(f"{swap.item_id}/swap", "swapped", by_id[swap.item_id], swap.swapped, None)
    cache.save()
    return Measured(ids, np.asarray(labels), np.vstack(rows) if rows else
                    np.zeros((0, len(FEATURES))), kinds, questions)


def fit_model(measured: Measured, l2: float = 1.0) -> LinearModel:
    """Class-balanced logistic regression: answerable and unanswerable cases weigh the same
    however many there are, and so does each kind of unanswerable case (gold documents left
    out, entity-swapped ...) within the unanswerable half."""
    y = measured.labels
    kinds = np.asarray(measured.kinds)
    unanswerable = sorted({k for k in measured.kinds if k != "answerable"})
    weight = np.where(y == 1, len(y) / (2 * max(y.sum(), 1)), 0.0)
    for kind in unanswerable:
        these = kinds == kind
        weight[these] = len(y) / (2 * len(unanswerable) * these.sum())
    return fit_logistic(measured.rows, y, FEATURES, l2=l2, sample_weight=weight)


# The gold sets with corpora of their own (each holds its own unanswerable questions).
GOLD_SETS: dict[str, tuple[Path, Traversable]] = {
    "agency_reports": (BENCHMARKS / "agency_reports" / "corpus",
                       resources.files("eval") / "gold" / "agency_reports_qa.jsonl"),
    "trial_protocols": (BENCHMARKS / "trial_protocols" / "corpus",
                        resources.files("eval") / "gold" / "trial_protocols_qa.jsonl"),
    "project_docs": (ROOT / "eval" / "corpora" / "project_docs" / "corpus",
                     resources.files("eval") / "gold" / "project_docs_qa.jsonl"),
}


def benchmark(name: str) -> tuple[Path, Path | Traversable]:
    if name == "sample":
        return SAMPLE_CORPUS, SAMPLE_QA
    if name in GOLD_SETS:
        return GOLD_SETS[name]
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


def _code_key() -> str:
    """Gathered evidence is reused only while the evidence code is unchanged (the features are
    recomputed from it every run)."""
    import index.replica
    import rag.conversation
    import rag.generators.extractive
    import rag.retrieval
    import rag.grounding

    h = hashlib.sha256()
    for module in (index.replica, rag.conversation, rag.generators.extractive, rag.retrieval,
                   rag.grounding):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()[:12]


def report(measured: Measured, model: LinearModel, threshold: float,
           cosine_fitted: float, configured: float,
           own_bound: float = 0.05) -> dict[str, object]:
    """The model at the fitted ``threshold`` (overall and per kind of unanswerable case), and,
    as a diagnostic of the ranking only (never shipped), at this set's own threshold with at
    most ``own_bound`` false refusals; the cosine gates beside it."""
    scores = gate_scores(model, measured.rows)
    model_cases = measured.cases(scores)
    cosine_cases = measured.cases(measured.cosine)
    own = threshold_for(model_cases, own_bound)
    by_kind: dict[str, object] = {}
    answerable = [c for c, k in zip(model_cases, measured.kinds) if k == "answerable"]
    for kind in KINDS[1:]:
        these = [c for c, k in zip(model_cases, measured.kinds) if k == kind]
        if these:
            by_kind[kind] = {"cases": len(these),
                             "recall": stats(these, threshold).recall,
                             "auc": auc([*answerable, *these]),
                             f"recall_at_own_{own_bound}": stats(these, own).recall}
    return {
        "model": {**asdict(stats(model_cases, threshold)), "auc": auc(model_cases),
                  "by_kind": by_kind,
                  f"own_threshold_{own_bound}": {
                      **asdict(stats(model_cases, own))}},
        "cosine_fitted": {**asdict(stats(cosine_cases, cosine_fitted)),
                          "auc": auc(cosine_cases)},
        "cosine_configured": asdict(stats(cosine_cases, configured)),
    }


def measure_set(settings: Settings, name: str, limit: int | None, seed: int,
                max_docs: int | None, swap: bool = True) -> tuple[Measured, list[Swap]]:
    """Every case of one benchmark (see the module doc), the gathered evidence cached."""
    corpus, qa = benchmark(name)
    items = sample_items(qa, None if name == "sample" or name in GOLD_SETS else limit, seed)
    corpus = subset_corpus(corpus, items, max_docs, seed, Path(settings.data_dir) / "calibrate")
    pipeline, fingerprint = eval_pipeline(settings, corpus)
    cache = EvidenceCache(Path(settings.data_dir) / "calibrate" /
                          f"evidence-{name}-{fingerprint[:12]}-{_code_key()}.pickle")
    nlp = build_nlp()
    swaps: list[Swap] = []
    if swap:
        # replacements from the passages retrieved for the sampled questions: on topic
        asked = [cache.get(pipeline, item, item.question, None) for item in items]
        cache.save()
        texts = {p.text for _, _, passages in asked for p in passages[:2]}
        pool = entity_pool(nlp, sorted(texts))
        swaps = build_swaps(nlp, items, pool, CorpusWords.of(corpus), seed)
    measured = measure(pipeline, items, nlp=nlp, cache=cache, swaps=swaps)
    print(f"measured {name}: {len(measured.ids)} cases ({dict(Counter(measured.kinds))})",
          file=sys.stderr)
    return measured, swaps


def run(settings: Settings, fit: str, report_on: list[str], limit: int | None, seed: int,
        max_docs: int | None = 1500, l2: float = 1.0,
        max_false_refusal: float | None = None,
        swaps_out: Path | None = None) -> tuple[LinearModel, dict[str, object]]:
    measuring = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"refusal": "threshold", "min_relevance": -1.0})})
    measured: dict[str, Measured] = {}
    all_swaps: dict[str, list[Swap]] = {}
    for name in [fit, *report_on]:
        measured[name], all_swaps[name] = measure_set(measuring, name, limit, seed, max_docs)
    if swaps_out is not None:
        swaps_out.parent.mkdir(parents=True, exist_ok=True)
        swaps_out.write_text("".join(json.dumps({"set": n, **asdict(s)}) + "\n"
                                     for n, ss in all_swaps.items() for s in ss),
                             encoding="utf-8")
    model = fit_model(measured[fit], l2)
    threshold = threshold_for(measured[fit].cases(gate_scores(model, measured[fit].rows)),
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
        "unanswerable_kinds": "no-gold: asked without its gold documents; swapped: key entity "
                              "replaced by another of its label (fitting.swaps.build_swaps); "
                              "unanswerable: the gold set's own",
        "sets": {name: {"role": "fit" if name == fit else "report",
                        **report(m, model, threshold, cosine_fitted, configured)}
                 for name, m in measured.items()},
    }
    return model, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fitting.calibrate", description=__doc__.split(
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
    parser.add_argument("--swaps-out", type=Path, help="write the entity-swapped questions "
                        "(JSON lines) here")
    parser.add_argument("--data-dir", type=Path, help="where eval indexes live (RAG_DATA_DIR)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--write-weights", nargs="?", type=Path, const=Path(str(DEFAULT_WEIGHTS)),
                        help="store the fitted model, threshold and report (default path: the "
                        "bundled rag/refusal_weights.json)")
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    model, result = run(load_settings(**overrides), args.fit, args.report, args.limit,
                        args.seed, args.max_docs or None, args.l2,
                        args.max_false_refusal, args.swaps_out)
    result["command"] = "python -m fitting.calibrate " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]))
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    if args.write_weights:
        from index.atomic_files import write_text_atomic

        write_text_atomic(args.write_weights, json.dumps(
            model.to_json(threshold=result["threshold"], calibration=result), indent=2) + "\n")
        print(f"weights written to {args.write_weights}", file=sys.stderr)
    print(text)
    print("coef: " + ", ".join(f"{n}={c:+.3f}" for n, c in zip(FEATURES, model.coef)),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
