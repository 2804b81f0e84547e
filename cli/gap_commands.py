"""``rag gaps``: the knowledge-gap report (rag.gaps) from the service's answer records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index.errors import RagError


def add_gap_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("gaps", help="what staff asked and did not get (refused or rated "
                       "down), grouped by meaning")
    p.add_argument("--since", metavar="DATE", help="only answers given from this date "
                   "(YYYY-MM-DD or an ISO date-time, UTC)")
    p.add_argument("--json", action="store_true", help="print the groups as JSON")
    p.add_argument("--max-distance", type=float, help="how far apart (cosine distance) "
                   "questions of one group may be on average (default 0.35)")
    p.add_argument("--export", metavar="GROUP", help="write this group's questions as gold "
                   "candidates (qa.jsonl) to --out or standard output")
    p.add_argument("--out", type=Path, help="with --export: the file to write")


def run_gaps(args: argparse.Namespace, settings) -> int:  # noqa: ANN001
    from rag.factory import build_embedder
    from rag.feedback import FeedbackStore, feedback_path
    from rag.gaps import DEFAULT_MAX_DISTANCE, find_gaps, find_group, gold_candidates, iso
    from rag.gaps import parse_since

    if args.out is not None and args.export is None:
        raise RagError("--out goes with --export GROUP")
    since = parse_since(args.since)
    path = feedback_path(settings.data_dir)
    if not path.is_file():
        raise RagError(f"no answers recorded yet: {path} does not exist (the service "
                       "creates it when it answers)")
    misses = FeedbackStore(path).misses(since)
    distance = DEFAULT_MAX_DISTANCE if args.max_distance is None else args.max_distance
    groups = find_gaps(misses, build_embedder(settings).embed, distance) if misses else []
    if args.export is not None:
        text = gold_candidates(find_group(groups, args.export))
        if args.out is None:
            sys.stdout.write(text)
        else:
            tmp = args.out.with_name(args.out.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(args.out)
            print(f"wrote {text.count(chr(10))} gold-candidate questions to {args.out}",
                  file=sys.stderr)
        return 0
    if args.json:
        print(json.dumps({"since": None if since is None else iso(since),
                          "misses": len(misses), "groups": [g.to_dict() for g in groups]},
                         indent=2, ensure_ascii=False))
        return 0
    if not groups:
        print("no gaps: every recorded answer since then was given and not rated down")
        return 0
    print(f"{len(misses)} questions not served, in {len(groups)} groups")
    for g in groups:
        print(f"\n[{g.id}] {g.label}")
        print(f"  {g.count} asked ({g.refused} refused, {g.rated_down} rated down), "
              f"{iso(g.first)[:10]} .. {iso(g.last)[:10]}")
        for q in g.questions[1:6]:
            print(f"  - {q}")
    return 0
