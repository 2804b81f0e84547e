"""The ``rag`` command: the composition root of the product. Index commands (ingest,
documents, status) live in cli/index_commands.py, ask in cli/ask_command.py; serve, feedback
and eval here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from index.errors import InputError, RagError
from cli.ask_command import add_ask_command, run_ask
from cli.gap_commands import add_gap_commands, run_gaps
from cli.index_commands import INDEX_COMMANDS, add_index_commands, run_index_command
from cli.collection_commands import add_collection_commands, run_collections
from cli.key_commands import add_key_commands, run_keys
from cli.queue_commands import add_worker_command
from cli.releases_commands import add_release_commands, run_release_command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Question answering with citations over your documents."
    )
    parser.add_argument("--config", type=Path, help="TOML settings file (else $RAG_CONFIG or ./rag.toml)")
    parser.add_argument("--data-dir", type=Path, help="index directory (RAG_DATA_DIR)")
    sub = parser.add_subparsers(dest="command", required=True)

    add_index_commands(sub)
    add_release_commands(sub)

    add_ask_command(sub)

    p = sub.add_parser("serve", help="serve the HTTP API and the chat page")
    p.add_argument("--host", help="bind address (default from settings: 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default from settings: 8000)")
    p.add_argument("--corpus", type=Path, help="ingest this folder before serving")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes, each "
                   "loading the model once (default 1)")
    p.add_argument("--watch", type=Path, metavar="PATH", help="keep the index following this "
                   "folder while serving (as 'rag watch'; one worker only)")

    p = sub.add_parser("watch", help="keep the index following a folder: each burst of "
                       "changes becomes one release through releases.policy")
    p.add_argument("path", type=Path)
    p.add_argument("--interval", type=float, default=2.0, metavar="SECONDS",
                   help="polling interval (and how often a stop is noticed; default 2)")
    p.add_argument("--debounce", type=float, default=1.0, metavar="SECONDS",
                   help="a burst ends after this long without changes (default 1)")
    p.add_argument("--poll", action="store_true", help="poll instead of OS notifications")

    p = sub.add_parser("feedback", help="the ratings staff gave to answers")
    fsub = p.add_subparsers(dest="feedback_command", required=True)
    p = fsub.add_parser("export", help="rated answers as candidate gold Q&A pairs (qa.jsonl)")
    p.add_argument("--out", type=Path, help="write here (default: standard output)")
    p.add_argument("--rating", choices=["up", "down", "any"], default="up",
                   help="which ratings: 'up' (default) gives gold candidates, 'down' questions "
                   "to review")

    add_gap_commands(sub)
    add_worker_command(sub)
    add_key_commands(sub)
    add_collection_commands(sub)

    p = sub.add_parser("eval", help="evaluate answers against gold Q&A pairs")
    p.add_argument("--corpus", type=Path, help="corpus folder")
    p.add_argument("--qa", type=Path, help="qa.jsonl with the gold pairs")
    p.add_argument("--report", type=Path, help="write the JSON report here (and the HTML "
                   "report beside it, .html)")
    p.add_argument("--limit", type=int, help="evaluate only the first N questions")
    p.add_argument("--sample", type=int, metavar="N", help="evaluate N questions evenly spaced "
                   "through the file (after --limit)")
    p.add_argument("--baseline", type=Path, help="compare with this report; exit 1 when a "
                   "metric falls by more than its tolerance")
    p.add_argument("--update-baseline", action="store_true", help="write this run as the "
                   "new --baseline")
    p.add_argument("--tolerance", action="append", default=[], metavar="METRIC=VALUE",
                   help="how far METRIC may fall (repeatable), e.g. answer.contains_gold=0.05")
    p.add_argument("--tolerances", type=Path, help="JSON or TOML file of metric tolerances")
    p.add_argument("--generator", help="answer with this generator (generator.name)")
    p.add_argument("--variants", help="comma-separated configurations to compare in one run "
                   "over one index, e.g. dense,full (default: full)")
    p.add_argument("--variants-file", type=Path, help="TOML file of [name] tables of "
                   "settings overrides, defining more variants")
    p.add_argument("--compare", type=Path, metavar="REPORT", help="compare an existing "
                   "report with --baseline instead of running the questions")

    p = sub.add_parser("bench", add_help=False, help="measure ingest, retrieval and /v1/ask "
                       "speed: rag bench [ingest|retrieval|api|all] [--quick] [--out FILE] "
                       "(the options of python -m bench; rag bench --help lists them)")
    p.add_argument("bench_args", nargs="*")

    p = sub.add_parser("eval-import", help="turn a SQuAD file or a BEIR folder into a corpus "
                       "folder plus qa.jsonl")
    p.add_argument("format", choices=["squad", "beir"])
    p.add_argument("source", type=Path, help="SQuAD .json file, or BEIR folder")
    p.add_argument("out", type=Path, help="new folder: writes out/corpus/ and out/qa.jsonl")
    p.add_argument("--split", default="test", help="BEIR qrels split (qrels/SPLIT.tsv)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(argv)
    if args.command == "bench":  # the options are bench.command's own, checked there
        args.bench_args = argv[_command_at(argv) + 1:]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.config:
        os.environ["RAG_CONFIG"] = str(args.config)
    try:
        return _run(args)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `rag ask ... | head`
        return 0


def _command_at(argv: list[str]) -> int:
    """Index of the subcommand in ``argv`` (after the global options and their values)."""
    i = 0
    while i < len(argv):
        if argv[i] in ("--config", "--data-dir"):
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return i
    raise AssertionError(argv)


def _settings(args: argparse.Namespace):  # noqa: ANN202
    from rag.settings import load_settings

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    return load_settings(**overrides)


def _run(args: argparse.Namespace) -> int:
    if args.command == "bench":  # bench.command's own command line, settings loaded there
        from bench.command import main as bench_main

        extra = ["--data-dir", str(args.data_dir)] if args.data_dir else []
        return bench_main([*args.bench_args, *extra], prog="rag bench")
    settings = _settings(args)
    if args.command == "serve":
        from cli.serve_flow import serve_with_releases

        return serve_with_releases(settings, host=args.host, port=args.port,
                                   corpus=args.corpus, workers=args.workers, watch=args.watch)
    if args.command == "watch":
        from cli.watch import watch_folder

        if args.interval <= 0 or args.debounce < 0:
            raise InputError("--interval must be positive and --debounce not negative")
        watch_folder(settings, args.path, interval=args.interval, debounce=args.debounce,
                     poll=args.poll)
        return 0
    if args.command == "releases":
        return run_release_command(args, settings)
    if args.command == "worker":
        from cli.queue_commands import run_worker

        return run_worker(args, settings)
    if args.command == "feedback":
        return _feedback_export(settings, args.out, args.rating)
    if args.command == "gaps":
        return run_gaps(args, settings)
    if args.command == "keys":
        return run_keys(args, settings)
    if args.command == "collections":
        return run_collections(args, settings)
    if args.command == "eval":
        from eval.command import EvalRequest, run_eval_command

        return run_eval_command(settings, EvalRequest(
            corpus=args.corpus, qa=args.qa, report=args.report, baseline=args.baseline,
            update_baseline=args.update_baseline, generator=args.generator, limit=args.limit,
            sample=args.sample,
            variants=args.variants, variants_file=args.variants_file,
            tolerances=args.tolerance, tolerance_file=args.tolerances, compare_only=args.compare))
    if args.command == "eval-import":
        from eval.importers import import_beir, import_squad

        count = (import_squad(args.source, args.out) if args.format == "squad"
                 else import_beir(args.source, args.out, args.split))
        print(f"{count} questions: {args.out / 'qa.jsonl'}, documents in {args.out / 'corpus'}")
        return 0
    if args.command in INDEX_COMMANDS:
        return run_index_command(args, settings)
    if args.command == "ask":
        return run_ask(args, settings)
    raise AssertionError(args.command)


def _feedback_export(settings, out: Path | None, rating: str) -> int:  # noqa: ANN001
    from rag.feedback import FeedbackStore, feedback_path

    path = feedback_path(settings.data_dir)
    if not path.is_file():
        raise RagError(f"no feedback yet: {path} does not exist (the service creates it)")
    lines = [c.to_json() + "\n" for c in FeedbackStore(path).export_gold(rating)]  # type: ignore[arg-type]
    if out is None:
        sys.stdout.writelines(lines)
    else:
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text("".join(lines), encoding="utf-8")
        tmp.replace(out)
        print(f"wrote {len(lines)} candidate Q&A pairs to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
