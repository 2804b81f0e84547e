"""``rag releases list|show|publish|rollback|diff``. What becomes of a staged release under
``releases.policy`` (the gate included) is releases/policy.py; the other commands import it from
here too."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from index.errors import NotFoundError
from rag.settings import Settings
# Imported from here by the ingest, watch, queue and collection commands.
from releases.policy import (describe_outcome, exit_status, require_policy_ready,  # noqa: F401
                             settle, stage_for_policy)


def add_release_commands(sub: Any) -> None:
    p = sub.add_parser("releases", help="list, inspect, publish and roll back corpus releases")
    rsub = p.add_subparsers(dest="release_command", required=True)
    r = rsub.add_parser("list", help="every retained release, newest last")
    r.add_argument("--json", action="store_true")
    r = rsub.add_parser("show", help="one release: its changes and its gate report")
    r.add_argument("release_id")
    r.add_argument("--json", action="store_true")
    r = rsub.add_parser("publish", help="publish a staged, held or earlier release")
    r.add_argument("release_id")
    r.add_argument("--force", action="store_true", help="publish a release the gate held")
    r = rsub.add_parser("rollback", help="publish the previous (or the named) release again, "
                        "instantly")
    r.add_argument("release_id", nargs="?")
    r = rsub.add_parser("diff", help="which documents differ between two releases")
    r.add_argument("a")
    r.add_argument("b")
    r.add_argument("--json", action="store_true")


def _store(settings: Settings):  # noqa: ANN202
    from rag.factory import open_existing_store

    store = open_existing_store(settings)
    if store is None:
        raise NotFoundError("the index is empty: there are no releases yet (run 'rag ingest')")
    return store


def _refresh_keyword(settings: Settings, store: Any) -> None:
    from rag.factory import build_keyword_index

    keyword = build_keyword_index(settings)
    if keyword is not None:
        keyword.refresh(store)


def run_release_command(args: argparse.Namespace, settings: Settings) -> int:
    from releases.publishing import publish_release, rollback
    from rag.factory import build_lock

    store = _store(settings)
    retain = settings.releases.retain
    match args.release_command:
        case "list":
            rows = [r.to_public() for r in store.releases.list()]
            if args.json:
                print(json.dumps(rows, indent=2))
            for r in [] if args.json else rows:
                changes = r["changes"]
                moved = ", ".join(f"{len(changes.get(k, []))} {k}" for k in
                                  ("added", "updated", "deleted") if changes.get(k))
                gate = r["gate"].get("outcome", "")
                print(f"{r['release_id']:>6}  {r['state']:9}  {r['created_at']}  "
                      f"{r['documents']} docs  {moved or '-'}"
                      f"{'  gate ' + gate if gate else ''}")
            return 0
        case "show":
            release = store.releases.get(args.release_id)
            data = release.to_public()
            stored = store.releases.report(args.release_id)
            report = stored[0] if stored else None
            data["report"] = ({k: v for k, v in report.items() if k != "eval"}
                              if report else None)
            if args.json:
                print(json.dumps(data, indent=2, ensure_ascii=False))
                return 0
            for key in ("release_id", "state", "created_at", "published_at", "base", "scope",
                        "documents", "chunks", "note"):
                print(f"{key}: {data[key]}")
            for kind, ids in data["changes"].items():
                if ids:
                    print(f"{kind}: {', '.join(ids)}")
            if report and report.get("outcome"):
                print(_format_report(report))
            return 0
        case "publish":
            t0 = time.perf_counter()
            release = publish_release(store, build_lock(settings), args.release_id,
                                      force=args.force, retain=retain)
            _refresh_keyword(settings, store)
            print(f"release {release.release_id} is published "
                  f"({time.perf_counter() - t0:.2f} s)")
            return 0
        case "rollback":
            before = store.releases.pointer()
            t0 = time.perf_counter()
            release = rollback(store, build_lock(settings), args.release_id, retain=retain)
            _refresh_keyword(settings, store)
            print(f"rolled back: release {release.release_id} is published again (was "
                  f"{before}; {time.perf_counter() - t0:.2f} s)")
            return 0
        case "diff":
            return _diff(store, args.a, args.b, args.json)
    raise AssertionError(args.release_command)


def _format_report(report: dict[str, Any]) -> str:
    lines = [f"gate: {report['outcome']} against {report.get('base')}: {report.get('reason')}"]
    for q in report.get("worse", []):
        causes = "; ".join(_cause(c) for c in q.get("causes", []))
        lines.append(f"  WORSE {q['id']}: {q['question']} [{', '.join(q['kinds'])}]")
        lines.append(f"      because: {causes or 'unknown'}")
    return "\n".join(lines)


def _cause(c: dict[str, Any]) -> str:
    if c["change"] == "statistics":
        by = ", ".join(f"{b['doc_id']} ({b['change']})" for b in c.get("by", []))
        return f"{c['doc_id']} unchanged; corpus statistics moved ({by})"
    if c["change"] == "outranked":
        by = ", ".join(f"{b['doc_id']} ({b['change']})" for b in c.get("by", []))
        return f"{c['doc_id']} outranked by {by or 'other passages'}"
    return f"{c['doc_id']} {c['change']}"


def _diff(store: Any, a: str, b: str, as_json: bool) -> int:
    old, new = store.releases.manifest(a), store.releases.manifest(b)
    diff = {"from": a, "to": b,
            "added": sorted(set(new) - set(old)),
            "deleted": sorted(set(old) - set(new)),
            "changed": sorted(d for d in set(old) & set(new) if old[d][0] != new[d][0]),
            "unchanged": len([d for d in set(old) & set(new) if old[d][0] == new[d][0]])}
    if as_json:
        print(json.dumps(diff, indent=2))
        return 0
    print(f"{a} -> {b}: {len(diff['added'])} added, {len(diff['changed'])} changed, "
          f"{len(diff['deleted'])} deleted, {diff['unchanged']} unchanged")
    for kind, sign in (("added", "+"), ("changed", "~"), ("deleted", "-")):
        for doc_id in diff[kind]:
            print(f"  {sign} {doc_id}")
    return 0
