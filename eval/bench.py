"""The speed benchmark: ``python -m eval.bench {ingest,retrieval,api,all} [--out report.json]``.

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

from eval.bench_report import BenchResult, loadavg, machine_context, render_table
from index.errors import InputError, RagError
from index.files import write_text_atomic
from rag.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
COVIDQA = SHARED / "benchmarks" / "covidqa"
BENCHES = ("ingest", "retrieval", "api", "api-stages")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("bench", choices=[*BENCHES, "all"], help="what to measure")
    p.add_argument("--out", type=Path, help="write the JSON report here")
    p.add_argument("--data-dir", type=Path, help="data directory (RAG_DATA_DIR); the retrieval "
                   "index is cached under DATA_DIR/bench/")
    g = p.add_argument_group("ingest")
    g.add_argument("--corpus", type=Path, default=COVIDQA / "corpus",
                   help="corpus ingested three ways (default: covidqa's)")
    g.add_argument("--repeats", type=int, default=1, help="run the three systems this many "
                   "times, reversing their order every other repeat (default 1)")
    g = p.add_argument_group("retrieval")
    g.add_argument("--chunks", type=int, default=100_000, help="index size (default 100000)")
    g.add_argument("--queries", type=int, default=200, help="timed questions (default 200)")
    g.add_argument("--base-corpus", type=Path, default=COVIDQA / "corpus",
                   help="real chunks the index starts from (default: covidqa's corpus)")
    g.add_argument("--questions", type=Path, default=COVIDQA / "qa.jsonl",
                   help="questions asked (default: covidqa's qa.jsonl)")
    g.add_argument("--seed", type=int, default=7, help="seed of the synthetic chunks")
    g = p.add_argument_group("api")
    g.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    g.add_argument("--seconds", type=float, default=30.0, help="measured time (default 30)")
    g.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    g.add_argument("--api-corpus", type=Path, default=SHARED / "corpus",
                   help="corpus the service indexes (default ../shared/corpus)")
    g.add_argument("--api-qa", type=Path, default=ROOT / "eval" / "gold" / "sample_qa.jsonl",
                   help="questions asked (default: the sample gold set)")
    g.add_argument("--warmup", type=int, help="requests before measuring (default: each "
                   "question once)")
    return p


def _check(args: argparse.Namespace) -> None:
    for name in ("repeats", "chunks", "queries", "clients", "workers"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be at least 1")
    if args.seconds <= 0:
        raise InputError("--seconds must be positive")
    wanted = BENCHES if args.bench == "all" else (args.bench,)
    paths = {"ingest": [args.corpus], "retrieval": [args.base_corpus, args.questions],
             "api": [args.api_corpus, args.api_qa], "api-stages": [args.api_corpus, args.api_qa]}
    for bench in wanted:
        for path in paths[bench]:
            if not path.exists():
                raise InputError(f"{path} does not exist")


def run(settings: Settings, args: argparse.Namespace, embedder: Any = None) -> dict[str, Any]:
    """Run the chosen benchmarks; return the whole report (also what ``--out`` receives)."""
    from eval.bench_api import run_api, run_api_stages
    from eval.bench_ingest import run_ingest
    from eval.bench_retrieval import run_retrieval

    from eval.report import code_version

    _check(args)
    before, commit = loadavg(), code_version()  # the code as it was when the run started
    started = time.time()
    results: list[BenchResult] = []
    wanted = BENCHES if args.bench == "all" else (args.bench,)
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
                                           args.warmup))
                case "api-stages":
                    results.append(run_api_stages(args.api_corpus, args.api_qa,
                                                  work / "api-stages", args.clients,
                                                  args.seconds, args.warmup))
    goals = [g.to_json() for r in results for g in r.goals]
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "context": {**machine_context(), "git_commit": commit, "loadavg_before": before,
                    "loadavg_after": loadavg()},
        "benchmarks": {r.name: r.to_json() for r in results},
        "goals": goals,
        "table": render_table(results),
    }


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        report = {"command": "python -m eval.bench " + " ".join(
            sys.argv[1:] if argv is None else argv), **run(settings, args)}
    except RagError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    ctx = report["context"]
    print(report["table"])
    print(f"load average before {ctx['loadavg_before']}, after {ctx['loadavg_after']}; "
          f"{ctx['cpu_count']} CPUs, torch threads {ctx['torch_threads']}, "
          f"commit {ctx['git_commit']}")
    if args.out:
        write_text_atomic(args.out, json.dumps(report, indent=1) + "\n")
        print(f"report written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
