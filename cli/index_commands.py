"""The index commands of ``rag``: ingest, documents list|show|delete, status."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from index.errors import InputError, NotFoundError
from index.disk_space import ensure_room, storage_full
from index.scope import Scope
from rag.settings import Settings

DEFAULT_CORPUS = Path("../shared/corpus")


def add_index_commands(sub: Any) -> None:
    p = sub.add_parser("ingest", help="make the index match a folder of documents")
    p.add_argument("path", type=Path, nargs="?", default=DEFAULT_CORPUS)
    p.add_argument("--no-delete", action="store_true", help="only add and update; keep documents "
                   "that are gone from the folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--partition", default="", metavar="PREFIX", help="own only documents whose "
                   "id (path under PATH) starts with PREFIX, e.g. 'reports/'")
    p.add_argument("--shard", metavar="K/N", help="own only the K-th of N hash shards of ids")
    p.add_argument("--collection", default="default", metavar="NAME", help="the collection the "
                   "folder's documents go into (it must exist: 'rag collections create NAME'); "
                   "only that collection's documents are compared with the folder")
    p.add_argument("--eval", action="store_true", help="then run the regression eval (eval.qa, "
                   "eval.baseline settings) over the synced index; exit 1 if it fails the gate")
    p.add_argument("--queue", action="store_true", help="split the sync into per-document jobs "
                   "on the Redis job queue (queue.broker_url) for 'rag worker' processes on any "
                   "machines; waits, showing the jobs done, then stages one release "
                   "(store.mode must be 'server'; docs/scale.md)")

    p = sub.add_parser("documents", help="list, show or delete indexed documents")
    dsub = p.add_subparsers(dest="action", required=True)
    d = dsub.add_parser("list", help="every indexed document")
    d.add_argument("--json", action="store_true")
    d = dsub.add_parser("show", help="one document's record and chunks")
    d.add_argument("doc_id")
    d.add_argument("--json", action="store_true")
    d = dsub.add_parser("delete", help="remove documents from the index")
    d.add_argument("doc_ids", nargs="+", metavar="doc_id")

    p = sub.add_parser("status", help="what the index holds")
    p.add_argument("--json", action="store_true")


INDEX_COMMANDS = {"ingest", "documents", "status"}


def run_index_command(args: argparse.Namespace, settings: Settings) -> int:
    match args.command:
        case "ingest":
            return _ingest(args, settings)
        case "documents":
            return _documents(args, settings)
        case "status":
            return _status(args, settings)
    raise AssertionError(args.command)


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from cli.releases_commands import exit_status, require_policy_ready, settle, stage_for_policy
    from rag.factory import build_lock, build_pipeline

    scope = Scope.parse_shard(args.shard, args.partition) if args.shard else Scope(args.partition)
    collection = _existing_collection(settings, args.collection)
    require_policy_ready(settings)
    if args.queue:
        if args.eval:
            raise InputError("--eval is not available with --queue: set eval.gold to gate the "
                             "release instead (releases.policy = 'gate')")
        from cli.queue_commands import ingest_queued

        return ingest_queued(args, settings, scope, collection)
    build_lock(settings).check(scope)  # a busy index is reported before the model loads
    pipeline = build_pipeline(settings)
    try:
        with ProgressBars(enabled=not args.quiet) as bars:
            report = pipeline.ingest.sync(args.path, delete_missing=not args.no_delete,
                                          progress=bars.update, scope=scope,
                                          publish=stage_for_policy(settings),
                                          collection=collection)
    except Exception as exc:
        full = storage_full(exc, settings.data_dir)  # a full disk, said in words (exit 2)
        if full is None:
            raise
        raise full from exc
    log = sys.stderr if args.json or args.quiet else sys.stdout
    outcome = settle(settings, pipeline, report, out=log)
    report.outcome = outcome
    _print_report(args, report, outcome)
    if args.eval:
        from eval.command import eval_after_ingest

        gate = eval_after_ingest(pipeline, args.path, sys.stderr if args.json else sys.stdout)
        if gate and outcome != "held":
            return 1
    return exit_status(outcome, report)


def _existing_collection(settings: Settings, name: str) -> str:
    """``name`` checked, and NotFoundError unless it is ``default`` or has been created."""
    from index.collections import check_name

    collection = check_name(name)
    if collection != "default":
        from cli.collection_commands import _registry

        if not _registry(settings).exists(collection):
            raise NotFoundError(f"no such collection: {collection!r}; create it with "
                                f"'rag collections create {collection}'")
    return collection


def _print_report(args: argparse.Namespace, report: Any, outcome: str) -> None:
    """What an ingest did: its summary (as JSON with ``--json``, nothing with ``--quiet``), how
    its release ended and the files that failed."""
    from cli.releases_commands import describe_outcome

    summary = report.summary()
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        print(
            f"added {summary['added']}, updated {summary['updated']}, unchanged "
            f"{summary['unchanged']}, deleted {summary['deleted']}, failed {summary['failed']}"
            f" ({summary['chunks_written']} chunks in {summary['seconds']} s)"
            + (f"; dated {summary['dated']} indexed before dates were kept"
               if summary["dated"] else "")
        )
        print(describe_outcome(report.release, outcome))
    if not args.json:
        for doc_id, reason in sorted(report.failed.items()):
            print(f"  failed: {doc_id}: {reason}", file=sys.stderr if args.quiet else sys.stdout)


def _documents(args: argparse.Namespace, settings: Settings) -> int:
    from rag.factory import open_existing_store

    store = open_existing_store(settings)
    if args.action == "delete":
        return _delete(args, settings, store)
    records = store.documents() if store is not None else {}
    if args.action == "list":
        rows = [_record_public(r) for _, r in sorted(records.items())]
        if args.json:
            print(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for r in rows:
                dup = f"  near-duplicate group {r['dup_group']}" if r["dup_group"] != r["doc_id"] \
                    else ""
                print(f"{r['doc_id']}  [{r['collection']}, {r['format']}, {r['chunks']} chunks]  "
                      f"{r['title']}{dup}")
        return 0
    if store is None or args.doc_id not in records:
        raise NotFoundError(f"no document with id {args.doc_id!r} in the index "
                            "(see 'rag documents list')")
    record = _record_public(records[args.doc_id])
    record["chunk_count"] = record.pop("chunks")
    record["near_duplicates"] = sorted(
        d for d, r in records.items() if r.dup_group == record["dup_group"] and d != args.doc_id)
    record["chunks"] = [
        {"chunk_id": c.chunk_id, "start": c.start, "end": c.end, "text": c.text, **c.metadata}
        for c in store.document_chunks(args.doc_id)
    ]
    if args.json:
        print(json.dumps(record, indent=2, ensure_ascii=False))
    else:
        for key, value in record.items():
            if key != "chunks":
                print(f"{key}: {value}")
        for c in record["chunks"]:
            print(f"--- chunk {c['chunk_id']} ({c['start']}-{c['end']})\n{c['text']}")
    return 0


def _delete(args: argparse.Namespace, settings: Settings, store: Any) -> int:
    """``rag documents delete``: one release without the documents, published at once (the
    keyword index then refreshed) or, under a gate, staged and settled."""
    from cli.releases_commands import describe_outcome, settle, stage_for_policy
    from index.ingest import delete_documents
    from rag.factory import build_keyword_index, build_lock

    if store is None:
        raise NotFoundError("the index is empty; nothing to delete")
    if not stage_for_policy(settings):  # staged, then gated: the gate needs the model
        from rag.factory import build_pipeline

        pipeline = build_pipeline(settings)
        report = pipeline.ingest.delete_ids(args.doc_ids, publish=False)
        for doc_id in report.deleted:
            print(f"deleted {doc_id}")
        outcome = settle(settings, pipeline, report)
        print(describe_outcome(report.release, outcome))
        return 3 if outcome == "held" else 0
    ensure_room(settings.data_dir, int(settings.ingest.min_free_mb * 1_000_000))
    try:
        report = delete_documents(store, build_lock(settings), args.doc_ids,
                                  settings.ingest.near_duplicate_threshold,
                                  retain=settings.releases.retain, publish=True)
        for doc_id in report.deleted:
            print(f"deleted {doc_id}")
        print(describe_outcome(report.release, report.outcome))
    finally:
        if (keyword := build_keyword_index(settings)) is not None:
            keyword.refresh(store)
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from rag.factory import open_existing_store

    store = open_existing_store(settings)
    docs = store.documents() if store is not None else {}
    status = {
        "documents": len(docs),
        "chunks": store.visible_chunks() if store is not None else 0,
        "stored_chunks": store.count_chunks() if store is not None else 0,
        "release": store.release_id() if store is not None else None,
        "releases": len(store.releases.list()) if store is not None else 0,
        "model": store.model_id if store is not None else settings.embedding.model,
        "dimension": store.dimension if store is not None else None,
        "collection": settings.store.collection,
        "store": settings.store.mode,
        "last_sync": store.last_sync() if store is not None else None,
        "near_duplicate_groups": sum(
            1 for n in Counter(r.dup_group for r in docs.values()).values() if n > 1),
    }
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        for key, value in status.items():
            print(f"{key}: {value}")
    return 0


def _record_public(r: Any) -> dict[str, Any]:
    return {
        "doc_id": r.doc_id, "collection": r.collection, "title": r.title, "format": r.format,
        "chunks": r.chunk_count,
        "chars": r.char_count, "content_hash": r.content_hash,
        "file_hash": r.file_hash, "source_path": r.source_path,
        "mtime": r.mtime, "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                      time.gmtime(r.indexed_at)),
        "date": r.date, "date_source": r.date_source, "dup_group": r.dup_group,
        **(r.extra or {}),
    }


class ProgressBars:
    """Files and chunks bars (tqdm, on stderr) for an ingest; shown only on a terminal and only
    once a run has lasted a second, so scripts and short runs print nothing extra."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None,
                 delay: float = 1.0) -> None:
        self.enabled = enabled
        self.stream = stream
        self.delay = delay
        self._files: Any = None
        self._chunks: Any = None
        self.ocr_pages = 0
        self.ocr_ms = 0

    def __enter__(self) -> "ProgressBars":
        return self

    def update(self, event: str, amount: int) -> None:
        if not self.enabled:
            return
        if self._files is None:
            from tqdm import tqdm

            # disable=None: off when the stream is not a terminal; an explicit stream forces it on.
            disable = None if self.stream is None else False
            common = {"file": self.stream or sys.stderr, "delay": self.delay, "disable": disable}
            self._files = tqdm(desc="files", unit="file", position=0, **common)
            self._chunks = tqdm(desc="chunks", unit="chunk", position=1, **common)
        match event:
            case "files_total":
                self._files.reset(total=amount)
            case "file":
                self._files.update(amount)
            case "chunks":
                self._chunks.update(amount)
            case "ocr_pages" | "ocr_ms":
                setattr(self, event, getattr(self, event) + amount)
                self._files.set_postfix_str(self.ocr_note(), refresh=False)

    def ocr_note(self) -> str:
        """``OCR 12 pages in 13.2 s (1.10 s/page)``, or empty before any page needed OCR."""
        if not self.ocr_pages:
            return ""
        seconds = self.ocr_ms / 1000
        return (f"OCR {self.ocr_pages} page{'s' if self.ocr_pages != 1 else ''} in "
                f"{seconds:.1f} s ({seconds / self.ocr_pages:.2f} s/page)")

    def __exit__(self, *exc: object) -> None:
        for bar in (self._files, self._chunks):
            if bar is not None:
                bar.close()
