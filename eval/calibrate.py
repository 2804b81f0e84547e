"""Calibrate the refusal threshold on one set and report it on others.

``python -m eval.calibrate --fit covidqa --report hotpotqa_dev500 --limit 150``

The shared benchmarks hold only answerable questions, so each question is asked twice through
the same :class:`~rag.service.AnswerService`: once as it is (answerable) and once with its gold
documents left out of retrieval (``AskOptions.exclude_doc_ids``: the corpus then holds no
answer, so the right response is a refusal). The sample corpus's own questions
(``eval/gold/sample_refusal.jsonl``, answerable and unanswerable) are a third, out-of-domain set.

Each answer records the relevance gate's evidence score (``Answer.relevance``); the gate is
disabled while measuring (``min_relevance=-1``), so one pass gives every threshold's outcome. The
threshold is chosen on the fit set by Youden's J (refusal recall minus false-refusal rate) and
then reported, unchanged, on the other sets: refusal precision, refusal recall and false-refusal
rate, next to the same figures for the configured ``retrieval.min_relevance``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.dataset import QAItem, load_qa
from eval.runner import eval_pipeline
from rag.factory import Pipeline
from rag.settings import Settings, load_settings
from rag.types import AskOptions

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
SAMPLE_CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLE_QA = Path(__file__).resolve().parent / "gold" / "sample_refusal.jsonl"


@dataclass(frozen=True)
class Case:
    """One question in one condition: ``answerable`` is whether the index holds its answer."""

    id: str
    answerable: bool
    relevance: float
    refused_by_model: bool  # refused although the gate was open (no verified sentence)


@dataclass(frozen=True)
class RefusalStats:
    threshold: float
    precision: float | None
    recall: float | None
    false_refusal_rate: float | None
    answerable: int
    unanswerable: int


def measure(pipeline: Pipeline, items: list[QAItem], without_gold: bool = True) -> list[Case]:
    """Ask every item (and, for answerable items with gold documents, again without them)."""
    cases = []
    for item in items:
        answer = pipeline.answers.answer(item.question)
        cases.append(_case(item.id, item.answerable, answer))
        if without_gold and item.answerable and item.doc_ids:
            options = AskOptions(exclude_doc_ids=frozenset(item.doc_ids))
            answer = pipeline.answers.answer(item.question, options=options)
            cases.append(_case(f"{item.id}/no-gold", False, answer))
    return cases


def _case(case_id: str, answerable: bool, answer) -> Case:  # noqa: ANN001
    relevance = -1.0 if answer.relevance is None else float(answer.relevance)
    return Case(case_id, answerable, relevance, answer.refused)


def stats(cases: list[Case], threshold: float) -> RefusalStats:
    refused = [c for c in cases if c.refused_by_model or c.relevance < threshold]
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


def fit_threshold(cases: list[Case]) -> float:
    """The threshold with the best refusal recall minus false-refusal rate (Youden's J)."""
    candidates = sorted({round(c.relevance, 4) for c in cases} | {-1.0})

    def j(t: float) -> float:
        s = stats(cases, t)
        return (s.recall or 0.0) - (s.false_refusal_rate or 0.0)

    return max(candidates, key=lambda t: (j(t), -t))


def benchmark(name: str) -> tuple[Path, Path]:
    if name == "sample":
        return SAMPLE_CORPUS, SAMPLE_QA
    folder = BENCHMARKS / name
    return folder / "corpus", folder / "qa.jsonl"


def sample_items(qa: Path, limit: int | None, seed: int) -> list[QAItem]:
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


def run(settings: Settings, fit: str, report: list[str], limit: int | None,
        seed: int, max_docs: int | None = 1500) -> dict[str, object]:
    measuring = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(
        update={"min_relevance": -1.0})})
    measured: dict[str, list[Case]] = {}
    version = ""
    for name in [fit, *report]:
        corpus, qa = benchmark(name)
        items = sample_items(qa, None if name == "sample" else limit, seed)
        corpus = subset_corpus(corpus, items, max_docs, seed,
                               Path(settings.data_dir) / "calibrate")
        pipeline, _ = eval_pipeline(measuring, corpus)
        version = pipeline.answers.prompt_version
        measured[name] = measure(pipeline, items)
        print(f"measured {name}: {len(measured[name])} cases", file=sys.stderr)
    threshold = fit_threshold(measured[fit])
    configured = settings.retrieval.min_relevance
    return {
        "fit_on": fit,
        "threshold": threshold,
        "configured_min_relevance": configured,
        "generator": settings.generator.name,
        "prompt_version": version,
        "limit": limit,
        "max_docs": max_docs,
        "seed": seed,
        "sets": {
            name: {"fitted": asdict(stats(cases, threshold)),
                   "configured": asdict(stats(cases, configured)),
                   "role": "fit" if name == fit else "report"}
            for name, cases in measured.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--fit", default="covidqa", help="benchmark to fit the threshold on "
                        "(a folder under ../shared/benchmarks, or 'sample')")
    parser.add_argument("--report", nargs="+", default=["hotpotqa_dev500", "sample"],
                        help="benchmarks to report the fitted threshold on")
    parser.add_argument("--limit", type=int, default=150, help="questions sampled per benchmark")
    parser.add_argument("--seed", type=int, default=13, help="sampling seed")
    parser.add_argument("--max-docs", type=int, default=1500, help="index at most this many "
                        "documents of a benchmark (the sampled questions' gold ones included)")
    parser.add_argument("--data-dir", type=Path, help="where eval indexes live (RAG_DATA_DIR)")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    result = run(load_settings(**overrides), args.fit, args.report, args.limit, args.seed,
                 args.max_docs)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
