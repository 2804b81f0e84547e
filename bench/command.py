"""The speed benchmark: ``python -m bench {ingest,retrieval,api,all} [--out report.json]``.

Timings on a shared machine are noisy, so speed goals are checked here, as ratios measured in one
run (our ingest against the raw encoder and a plain llama-index pipeline) and percentiles of many
requests, never as timed assertions in tests. The JSON report keeps every raw measurement next to
the figures computed from it, the goal and pass/miss of each, and the machine's context (CPUs,
load average before and after, torch threads, versions, git commit). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import BenchResult, loadavg, machine_context, render_table
from index.errors import InputError, RagError
from index.atomic_files import write_text_atomic
from rag.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
COVIDQA = SHARED / "benchmarks" / "covidqa"
BENCHES = ("ingest", "retrieval", "api", "api-stages", "encoder")
GOLD = ROOT / "eval" / "gold" / "sample_qa.jsonl"
# --quick: every benchmark at a tiny size over the sample corpus; checks that it works (CI),
# measures nothing worth reporting. Explicit options still win.
QUICK = {"corpus": SHARED / "corpus", "repeats": 1, "chunks": 300, "queries": 5,
         "base_corpus": SHARED / "corpus", "questions": GOLD, "clients": 2, "seconds": 2.0,
         "api_corpus": SHARED / "corpus", "warmup": 2, "encoder_corpus": SHARED / "corpus",
         "encoder_qa": GOLD, "encoder_texts": 64, "encoder_questions": 20}
QUICK_ALL = ("ingest", "retrieval", "api", "encoder")


def parser(prog: str = "python -m bench") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("bench", nargs="?", default="all", choices=[*BENCHES, "all"],
                   help="what to measure (default: all)")
    p.add_argument("--quick", action="store_true", help="every benchmark at a tiny size over "
                   "the sample corpus (a check that it works, as CI runs it; 'all' then skips "
                   "api-stages)")
    p.add_argument("--out", type=Path, help="write the JSON report here")
    p.add_argument("--data-dir", type=Path, help="data directory (RAG_DATA_DIR); the retrieval "
                   "index is cached under DATA_DIR/bench/")
    g = p.add_argument_group("ingest")
    g.add_argument("--corpus", type=Path, default=None,
                   help="corpus ingested three ways (default: covidqa's)")
    g.add_argument("--repeats", type=int, default=None, help="run the three systems this many "
                   "times, reversing their order every other repeat (default 1)")
    g = p.add_argument_group("retrieval")
    g.add_argument("--chunks", type=int, default=None, help="index size (default 100000)")
    g.add_argument("--queries", type=int, default=None, help="timed questions (default 200)")
    g.add_argument("--base-corpus", type=Path, default=None,
                   help="real chunks the index starts from (default: covidqa's corpus)")
    g.add_argument("--questions", type=Path, default=None,
                   help="questions asked (default: covidqa's qa.jsonl)")
    g.add_argument("--seed", type=int, default=7, help="seed of the synthetic chunks")
    g = p.add_argument_group("api")
    g.add_argument("--clients", type=int, default=None, help="concurrent clients (default 8)")
    g.add_argument("--seconds", type=float, default=None, help="measured time (default 30)")
    g.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    g.add_argument("--api-corpus", type=Path, default=None,
                   help="corpus the service indexes (default ../shared/corpus)")
    g.add_argument("--api-qa", type=Path, default=None,
                   help="questions asked (default: the sample gold set)")
    g.add_argument("--warmup", type=int, help="requests before measuring (default: each "
                   "question once)")
    g = p.add_argument_group("encoder (each backend and precision: throughput, vector "
                             "agreement, recall@5 and MRR)")
    g.add_argument("--encoder-corpus", type=Path, default=None,
                   help="corpus indexed at each precision (default: covidqa's)")
    g.add_argument("--encoder-qa", type=Path, default=None,
                   help="gold questions (default: covidqa's qa.jsonl)")
    g.add_argument("--encoder-texts", type=int, default=None,
                   help="chunk texts timed per precision (default 1024)")
    g.add_argument("--encoder-questions", type=int, default=None,
                   help="questions scored, evenly spaced (default 500)")
    g.add_argument("--encoder-variants", default=None,
                   help="comma-separated backend-precision variants compared with "
                   "torch-float32 (default: torch-bfloat16,onnx-float32,onnx-int8)")
    return p


DEFAULTS = {"corpus": COVIDQA / "corpus", "repeats": 1, "chunks": 100_000, "queries": 200,
            "base_corpus": COVIDQA / "corpus", "questions": COVIDQA / "qa.jsonl", "clients": 8,
            "seconds": 30.0, "api_corpus": SHARED / "corpus", "api_qa": GOLD,
            "encoder_corpus": COVIDQA / "corpus", "encoder_qa": COVIDQA / "qa.jsonl",
            "encoder_texts": 1024, "encoder_questions": 500}


def _fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Options not given take the --quick sizes or the full defaults."""
    for name, value in DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, QUICK.get(name, value) if getattr(args, "quick", False)
                    else value)
    if getattr(args, "quick", False) and args.warmup is None:
        args.warmup = QUICK["warmup"]
    return args


def wanted_benches(args: argparse.Namespace) -> tuple[str, ...]:
    if args.bench != "all":
        return (args.bench,)
    return QUICK_ALL if getattr(args, "quick", False) else BENCHES


def _check(args: argparse.Namespace) -> None:
    _fill_defaults(args)
    for name in ("repeats", "chunks", "queries", "clients", "workers", "encoder_texts",
                 "encoder_questions"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be at least 1")
    if args.seconds <= 0:
        raise InputError("--seconds must be positive")
    from bench.encoder import parse_variants

    parse_variants(getattr(args, "encoder_variants", None))  # refuses an unknown one early
    wanted = wanted_benches(args)
    paths = {"ingest": [args.corpus], "retrieval": [args.base_corpus, args.questions],
             "api": [args.api_corpus, args.api_qa], "api-stages": [args.api_corpus, args.api_qa],
             "encoder": [args.encoder_corpus, args.encoder_qa]}
    for bench in wanted:
        for path in paths[bench]:
            if not path.exists():
                raise InputError(f"{path} does not exist")


def run(settings: Settings, args: argparse.Namespace, embedder: Any = None) -> dict[str, Any]:
    """Run the chosen benchmarks; return the whole report (also what ``--out`` receives)."""
    from bench.api import run_api, run_api_stages
    from bench.encoder import parse_variants, run_encoder
    from bench.ingest import run_ingest
    from bench.retrieval import run_retrieval

    from eval.report import code_version

    _check(args)
    before, commit = loadavg(), code_version()  # the code as it was when the run started
    started = time.time()
    results: list[BenchResult] = []
    wanted = wanted_benches(args)
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        work = Path(tmp)
        for bench in wanted:
            print(f"[bench] {bench} ... (load average {loadavg()})", file=sys.stderr, flush=True)
            match bench:
                case "ingest":
                    results.append(run_ingest(settings, args.corpus, work / "ingest",
                                              args.repeats, embedder))
                case "retrieval":
                    results.append(run_retrieval(settings, args.base_corpus, args.questions,
                                                 args.chunks, args.queries, args.seed,
                                                 embedder=embedder))
                case "api":
                    results.append(run_api(args.api_corpus, args.api_qa, work / "api",
                                           args.clients, args.seconds, args.workers,
                                           args.warmup, settings=settings, embedder=embedder))
                case "encoder":
                    results.append(run_encoder(
                        settings, args.encoder_corpus, args.encoder_qa, work / "encoder",
                        args.encoder_texts, args.encoder_questions, embedder,
                        parse_variants(getattr(args, "encoder_variants", None))))
                case "api-stages":
                    results.append(run_api_stages(args.api_corpus, args.api_qa,
                                                  work / "api-stages", args.clients,
                                                  args.seconds, args.warmup))
    goals = [g.to_json() for r in results for g in r.goals]
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "context": {**machine_context(), **encoder_context(settings, embedder),
                    "git_commit": commit, "loadavg_before": before,
                    "loadavg_after": loadavg()},
        "quick": bool(getattr(args, "quick", False)),
        "benchmarks": {r.name: r.to_json() for r in results},
        "goals": goals,
        "table": render_table(results),
    }


def encoder_context(settings: Settings, embedder: Any = None) -> dict[str, Any]:
    """The CPU's flags that decide the encoder's backend and precision, and those chosen."""
    from index.embedder import choose_encoder, cpu_flags

    flags = cpu_flags()
    e = settings.embedding
    backend, precision = choose_encoder(e.backend, e.precision, e.device, flags)
    return {
        "cpu_flags": sorted(flags),
        "cpu_flags_relevant": sorted(f for f in flags if f.startswith(("avx", "amx", "fma",
                                                                        "sse4", "f16c"))),
        "encoder": {"precision_setting": e.precision, "backend_setting": e.backend,
                    "precision": getattr(embedder, "precision", None) or precision,
                    "backend": getattr(embedder, "backend", None) or backend},
    }


def main(argv: list[str] | None = None, prog: str = "python -m bench") -> int:
    args = parser(prog).parse_args(argv)
    try:
        settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        report = {"command": prog + " " + " ".join(
            sys.argv[1:] if argv is None else argv), **run(settings, args)}
    except RagError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    ctx = report["context"]
    print(report["table"])
    print(f"load average before {ctx['loadavg_before']}, after {ctx['loadavg_after']}; "
          f"{ctx['cpu_count']} CPUs, torch threads {ctx['torch_threads']}, "
          f"commit {ctx['git_commit']}; encoder {ctx['encoder']['backend']} "
          f"{ctx['encoder']['precision']}; CPU flags {' '.join(ctx['cpu_flags_relevant'])}")
    if args.out:
        write_text_atomic(args.out, json.dumps(report, indent=1) + "\n")
        print(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
