"""``rag eval``: run (or load) a report, write JSON + HTML, compare with a baseline, gate."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from eval.baseline import Comparison, compare, format_comparison, parse_tolerances
from eval.dataset import load_qa, spread
from eval.html import render_html
from eval.report import (Report, RunInfo, aggregate, code_version, load_report_json,
                         write_atomic)
from eval.runner import corpus_fingerprint, eval_pipeline, run_questions
from eval.variants import Variant, apply, load_variant_file, parse_variants
from index.errors import InputError
from rag.factory import Pipeline, build_pipeline
from rag.settings import Settings


@dataclass
class EvalRequest:
    corpus: Path | None = None
    qa: Path | None = None
    report: Path | None = None
    baseline: Path | None = None
    update_baseline: bool = False
    generator: str | None = None
    limit: int | None = None
    sample: int | None = None
    variants: str | None = None
    variants_file: Path | None = None
    tolerances: list[str] = field(default_factory=list)
    tolerance_file: Path | None = None
    compare_only: Path | None = None  # an existing report: compare it, run nothing


def bundle(reports: list[Report]) -> dict[str, Any]:
    """The report file: the first variant at the top level, the others under ``variants``."""
    data = reports[0].to_json()
    if len(reports) > 1:
        data["variants"] = {r.info.variant: r.to_json() for r in reports[1:]}
    return data


def unbundle(data: dict[str, Any]) -> list[Report]:
    others = data.get("variants", {})
    first = Report.from_json({k: v for k, v in data.items() if k != "variants"})
    return [first, *(Report.from_json(v) for v in others.values())]


def run_reports(settings: Settings, req: EvalRequest,
                live: Pipeline | None = None) -> list[Report]:
    """Ask the questions for every variant. With ``live`` (``rag ingest --eval``), ask the index
    just synced instead of building the eval index for the corpus."""
    if req.corpus is None or req.qa is None:
        raise InputError("rag eval needs --corpus and --qa (or --compare REPORT)")
    for flag, value in (("--limit", req.limit), ("--sample", req.sample)):
        if value is not None and value < 1:
            raise InputError(f"{flag} must be a positive number of questions (got {value})")
    items = load_qa(req.qa, req.limit)
    if req.sample is not None:
        items = spread(items, req.sample)
    if not items:
        raise InputError(f"{req.qa} holds no questions")
    if req.generator:
        settings = apply(settings, Variant("--generator", {"generator": {"name": req.generator}}))
    defined = load_variant_file(req.variants_file) if req.variants_file else None
    variants = parse_variants(req.variants, defined)
    configured = [apply(settings, v) for v in variants]  # fail before any work is done
    if live is None:
        base, fingerprint = eval_pipeline(settings, req.corpus)
    else:
        base, fingerprint = live, corpus_fingerprint(req.corpus)
    reports = []
    for variant, variant_settings in zip(variants, configured):
        pipeline = base if not variant.overrides else build_pipeline(
            variant_settings.model_copy(update={"data_dir": base.settings.data_dir}),
            embedder=base.embedder)
        print(f"eval: variant {variant.name}: {len(items)} questions", file=sys.stderr)
        outcomes = run_questions(pipeline, items)
        info = RunInfo(
            variant=variant.name, corpus=str(req.corpus), qa_file=str(req.qa),
            corpus_fingerprint=fingerprint, embedding_model=pipeline.embedder.model_id,
            generator=pipeline.settings.generator.name,
            prompt_version=pipeline.answers.prompt_version, code_version=code_version(),
            settings=json.loads(pipeline.settings.model_dump_json()), overrides=variant.overrides,
            release=pipeline.store.release_id())
        reports.append(Report(info, aggregate(outcomes), outcomes))
    return reports


def _summary(reports: list[Report]) -> str:
    names = [r.info.variant for r in reports]
    flats = [r.flat() for r in reports]
    width = max(len(n) for n in flats[0])
    lines = [f"{'metric':{width}}  " + "  ".join(f"{n:>10}" for n in names)]
    for metric in flats[0]:
        cells = ["-" if f.get(metric) is None else f"{f[metric]:.4f}" for f in flats]
        lines.append(f"{metric:{width}}  " + "  ".join(f"{c:>10}" for c in cells))
    lines.append(f"{'questions':{width}}  " + "  ".join(f"{len(r.questions):>10}" for r in reports))
    return "\n".join(lines)


def eval_after_ingest(pipeline: Pipeline, corpus: Path, out: TextIO = sys.stdout) -> int:
    """``rag ingest --eval``: the regression eval over the index just synced."""
    e = pipeline.settings.eval
    if e.qa is None:
        raise InputError("rag ingest --eval needs the gold questions: set eval.qa "
                         "(RAG_EVAL__QA=path/to/qa.jsonl)")
    req = EvalRequest(corpus=corpus, qa=e.qa, baseline=e.baseline)
    return run_eval_command(pipeline.settings, req, out, live=pipeline)


def run_eval_command(settings: Settings, req: EvalRequest, out: TextIO = sys.stdout,
                     live: Pipeline | None = None) -> int:
    """Exit status: 0, or 1 when a metric fell below the baseline by more than its tolerance."""
    if req.update_baseline and req.baseline is None:
        raise InputError("--update-baseline needs --baseline PATH (where to write it)")
    tolerances = parse_tolerances(req.tolerances, req.tolerance_file)
    if req.compare_only is not None:
        reports = unbundle(load_report_json(req.compare_only))
    else:
        reports = run_reports(settings, req, live)
    comparisons: dict[str, Comparison] = {}
    if req.baseline is not None and Path(req.baseline).is_file():
        baseline = {r.info.variant: r for r in unbundle(load_report_json(req.baseline))}
        for report in reports:
            if report.info.variant in baseline:
                comparisons[report.info.variant] = compare(
                    report, baseline[report.info.variant], tolerances, settings.eval.tolerance)
    elif req.baseline is not None and not req.update_baseline:
        raise InputError(f"baseline {req.baseline} does not exist (write one with "
                         "--update-baseline)")

    text = json.dumps(bundle(reports), indent=2, ensure_ascii=False)
    page = render_html(reports, comparisons)
    if req.compare_only is None:
        latest = settings.latest_eval_report
        write_atomic(latest, text)
        write_atomic(latest.with_suffix(".html"), page)
    if req.report:
        write_atomic(req.report, text)
        write_atomic(req.report.with_suffix(".html"), page)

    print(_summary(reports), file=out)
    for comparison in comparisons.values():
        print(format_comparison(comparison), file=out)
    if req.update_baseline:
        write_atomic(req.baseline, text)
        print(f"baseline written to {req.baseline}", file=out)
        return 0
    return 1 if any(c.failed for c in comparisons.values()) else 0
