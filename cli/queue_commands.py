"""Queued ingestion (index/queue.py): ``rag worker`` and the coordinator of ``rag ingest
--queue``.

The coordinator runs the sync of ``rag ingest`` (index/sync.py): it holds the index's write
lock on its machine, begins one staged release, and for indexing the documents sends one job per
document (doc id, path, the published version's hash) and waits, showing a bar of jobs done,
until every job has a result. It then puts each new version into the release, removes the
documents gone from the folder, and the release goes through ``releases.policy`` exactly as
after ``rag ingest`` (staged, gated, published). Workers write versions only, which no reader
sees until a release names them; the folder must be at the same path on every worker's machine
(a shared mount).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from index.errors import InputError, RagError
from index.scope import Scope
from rag.settings import Settings

if TYPE_CHECKING:
    from index.ingest import DocumentJob
    from index.queue import SyncTracker
    from index.store import ChromaStore
    from index.sync import SyncPlan

POLL_SECONDS = 0.5
LOST_AFTER = 10.0  # seconds without a job finished, none running, before Redis is asked


def add_worker_command(sub: Any) -> None:
    p = sub.add_parser("worker", help="take queued ingest jobs (rag ingest --queue) from Redis "
                       "and index their documents; run any number, on any machines")
    p.add_argument("--concurrency", type=int, default=1, metavar="N",
                   help="jobs run at once (pool processes, each loading the model; default 1)")
    p.add_argument("--name", default="rag-worker@%h", help="Celery node name (default "
                   "rag-worker@HOST)")
    p.add_argument("--loglevel", default="INFO", help="Celery log level (default INFO)")


def register_tasks(app: Any, settings: Settings) -> Any:
    """Register the document job on ``app``; the ingest service is built (model loaded) in
    each pool process at its first job, and reused."""
    from index.ingest import DocumentJob
    from index.queue import TASK_NAME, SyncTracker

    built: dict[str, Any] = {}

    def parts() -> tuple[Any, SyncTracker]:
        if not built:
            from rag.factory import build_embedder, build_ingest, build_store

            embedder = build_embedder(settings)
            built["ingest"] = build_ingest(settings, build_store(settings, embedder), embedder)
            built["tracker"] = SyncTracker.connect(settings.queue.broker_url,
                                                   settings.queue.keep_days)
        return built["ingest"], built["tracker"]

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True,
              max_retries=settings.queue.max_retries)
    def ingest_document(self: Any, sync_id: str, doc_id: str, root: str, path: str,
                        collection: str, committed_hash: str | None, index: str) -> str:
        ingest, tracker = parts()
        if tracker.result(sync_id, doc_id) is not None:
            tracker.duplicate(sync_id)  # a redelivered job whose result was recorded
            return "done before"
        tracker.started(sync_id, doc_id)
        if ingest.store.name != index:
            job = DocumentJob(doc_id, "failed", reason=(
                f"the worker writes the index {ingest.store.name!r} but the sync is for "
                f"{index!r}: give the worker the same store settings (RAG_STORE__*)"))
        else:
            try:
                job = ingest.ingest_one(Path(path), Path(root), collection, committed_hash)
            except Exception as exc:  # the store or encoder failed: retried, then failed
                if self.request.retries < self.max_retries:
                    raise self.retry(exc=exc, countdown=min(30, 2 ** self.request.retries))
                job = DocumentJob(doc_id, "failed", reason=f"{type(exc).__name__}: {exc}")
        tracker.finished(sync_id, job)
        return job.outcome

    return ingest_document


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    from index.queue import make_celery

    if args.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    if settings.store.mode != "server":
        raise InputError("a queue worker writes to a Chroma server that every worker and the "
                         "coordinator share: set store.mode = \"server\" (RAG_STORE__MODE=server"
                         ", RAG_STORE__HOST, RAG_STORE__PORT)")
    q = settings.queue
    app = make_celery(q.broker_url, q.name, q.visibility_timeout)
    register_tasks(app, settings)
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per Chroma call otherwise
    argv = ["worker", "--queues", q.name, "--concurrency", str(args.concurrency),
            "--pool", "prefork", "--hostname", args.name, "--loglevel", args.loglevel,
            "--without-gossip", "--without-mingle"]
    app.worker_main(argv)
    return 0


def queued_sync(settings: Settings, root: Path, *, delete_missing: bool = True,
                scope: Scope = Scope(), collection: str = "default", show_progress: bool = True,
                log: TextIO = sys.stdout) -> tuple[Any, Any, str]:
    """Run a sync through the queue; returns (pipeline, report, sync id) with the release
    staged (or published under policy 'always'), ready for ``settle``. The steps are those of
    ``rag ingest`` (index/sync.py); only the documents are indexed by the workers' jobs."""
    from cli.releases_commands import stage_for_policy
    from index.queue import SyncTracker
    from index.sync import SyncRequest, corpus_base, run_sync
    from rag.factory import build_pipeline

    if settings.store.mode != "server":
        raise InputError("'rag ingest --queue' needs the Chroma server every worker writes to: "
                         "set store.mode = \"server\" (RAG_STORE__MODE=server)")
    root = Path(root).resolve()
    corpus_base(root)  # a missing folder is an InputError before Redis and the model
    q = settings.queue
    _check_redis(q.broker_url)
    tracker = SyncTracker.connect(q.broker_url, q.keep_days)
    pipeline = build_pipeline(settings)
    store, ingest = pipeline.store, pipeline.ingest
    started = time.perf_counter()
    sync_id = uuid.uuid4().hex[:12]
    request = SyncRequest(root, scope, collection, f"ingest {root} (queue {sync_id})",
                          delete_missing, stage_for_policy(settings))
    report = run_sync(store, ingest.lock, request,
                      lambda plan: _run_jobs(plan, store, settings, tracker, sync_id,
                                             show_progress, log),
                      threshold=ingest.near_duplicate_threshold, retain=ingest.retain,
                      started=started)
    ingest.on_change()
    return pipeline, report, sync_id


def _run_jobs(plan: SyncPlan, store: ChromaStore, settings: Settings, tracker: SyncTracker,
              sync_id: str, show_progress: bool, log: TextIO) -> None:
    """The queued step of a sync (index/sync.py): one job per document of the plan (doc id,
    path, the published version's hash), waited for until every job has a result; then each
    new version is put into the release."""
    from index.queue import TASK_NAME, make_celery, messages_held, redis_client

    q = settings.queue
    jobs = plan.files
    tracker.create(sync_id, len(jobs), release=plan.stage.release_id, root=str(plan.root),
                   collection=plan.collection, index=store.name)
    app = make_celery(q.broker_url, q.name, q.visibility_timeout)

    def send(doc_id: str) -> None:
        previous = plan.committed.get(doc_id)
        app.send_task(TASK_NAME, kwargs={
            "sync_id": sync_id, "doc_id": doc_id, "root": str(plan.base),
            "path": str(jobs[doc_id]), "collection": plan.collection, "index": store.name,
            "committed_hash": previous.content_hash if previous else None})

    def resend_lost() -> int:
        """The jobs without a result sent again when Redis holds no message for them (lost
        in a restart); jobs are idempotent, so one sent twice is only done twice."""
        if messages_held(redis_client(q.broker_url), q.name):
            return 0
        missing = sorted(set(jobs) - set(tracker.results(sync_id)))
        for doc_id in missing:
            send(doc_id)
        return len(missing)

    for doc_id in jobs:
        send(doc_id)
    print(f"sync {sync_id}: {len(jobs)} jobs queued on {q.name!r}; workers ('rag worker') "
          f"take them", file=log)
    _wait(tracker, sync_id, len(jobs), show_progress, log, resend_lost)
    tracker.set_state(sync_id, "finishing")
    _put_results(plan, store, tracker.results(sync_id))


def _put_results(plan: SyncPlan, store: ChromaStore, results: dict[str, DocumentJob]) -> None:
    """Each job's result (and its attachments', ``children``) into the plan's report, and each
    new version stored whole into its release (a version not stored whole is a failure: a
    worker's write was lost)."""
    report = plan.report
    jobs = [job for _, top in sorted(results.items()) for job in (top, *top.children)]
    for job in jobs:  # a mail's attachments (index/attachments.py) after the mail
        doc_id = job.doc_id
        plan.seen.add(doc_id)
        previous = plan.committed.get(doc_id)
        if job.outcome == "failed":
            report.failed[doc_id] = job.reason
        elif job.outcome == "unchanged" or (previous is not None
                                            and previous.content_hash == job.content_hash):
            report.unchanged.append(doc_id)
        elif (record := store.stored_version(doc_id, job.content_hash)) is None:
            report.failed[doc_id] = "its version is not stored whole (a worker's write was lost)"
        else:
            plan.changed(doc_id)
            plan.stage.put(record)
            report.chunks_written += 0 if job.reused else job.chunks


def _check_redis(url: str) -> None:
    """Fail before the model loads when the queue is not installed or Redis cannot be reached
    (one quick try)."""
    try:
        import redis
    except ImportError:
        raise InputError("rag ingest --queue needs the 'queue' extra (celery, redis), which is "
                         "not installed: pip install '.[queue]' or scripts/setup.sh queue") from None

    from index.queue import redacted_url, redis_client

    try:
        redis_client(url, retry_seconds=1.0).ping()
    except redis.RedisError as exc:
        raise InputError(f"cannot reach the job queue's Redis at {redacted_url(url)}: {exc}; start "
                         "redis-server or set queue.broker_url (RAG_QUEUE__BROKER_URL)") from None


def _wait(tracker: Any, sync_id: str, total: int, show_progress: bool, log: TextIO,
          resend_lost: Callable[[], int] | None = None) -> None:
    """Until every job has a result: a bar of jobs done (on a terminal). Rides out a Redis
    restart (the client retries; a longer outage is reported and waited for). When no job has
    finished for ``LOST_AFTER`` seconds and none is running, ``resend_lost`` sends again the
    jobs a Redis restart lost (index.queue.messages_held): they would never come."""
    import redis
    from tqdm import tqdm

    bar = tqdm(total=total, desc="jobs", unit="job", file=sys.stderr, delay=1.0,
               disable=None if show_progress else True)
    try:
        done, moved = 0, time.monotonic()
        while done < total:
            try:
                status = tracker.status(sync_id)
                if status.done > done:
                    moved = time.monotonic()
                elif resend_lost is not None and status.running == 0 and \
                        time.monotonic() - moved >= LOST_AFTER:
                    moved = time.monotonic()
                    if (lost := resend_lost()):
                        print(f"sync {sync_id}: {lost} jobs lost by the queue (Redis "
                              f"restarted?); sent again", file=log)
            except redis.RedisError as exc:
                print(f"sync {sync_id}: Redis unreachable ({exc}); waiting", file=log)
                time.sleep(2.0)
                continue
            bar.update(status.done - done)
            bar.set_postfix(running=status.running, failed=status.failed,
                            redelivered=status.redeliveries, refresh=False)
            done = status.done
            if done < total:
                time.sleep(POLL_SECONDS)
    finally:
        bar.close()


def ingest_queued(args: argparse.Namespace, settings: Settings, scope: Scope,
                  collection: str) -> int:
    """``rag ingest PATH --queue``: the summary and exit status of ``rag ingest``."""
    import json

    from cli.releases_commands import describe_outcome, exit_status, settle
    from index.queue import SyncTracker

    log = sys.stderr if args.json or args.quiet else sys.stdout
    pipeline, report, sync_id = queued_sync(
        settings, args.path, delete_missing=not args.no_delete, scope=scope,
        collection=collection, show_progress=not args.quiet, log=log)
    tracker = SyncTracker.connect(settings.queue.broker_url, settings.queue.keep_days)
    try:
        outcome = settle(settings, pipeline, report, out=log)
    except RagError as exc:
        tracker.set_state(sync_id, "failed", report.release, str(exc))
        raise
    report.outcome = outcome
    status = tracker.status(sync_id)
    tracker.set_state(sync_id, outcome, report.release)
    summary = {**report.summary(), "sync_id": sync_id, "jobs": status.total,
               "attempts": status.attempts, "duplicates": status.duplicates,
               "redeliveries": status.redeliveries}
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        print(f"sync {sync_id}: {status.total} jobs, {status.redeliveries} redelivered; added "
              f"{summary['added']}, updated {summary['updated']}, unchanged "
              f"{summary['unchanged']}, deleted {summary['deleted']}, failed {summary['failed']}"
              f" ({summary['chunks_written']} chunks in {summary['seconds']} s)")
        print(describe_outcome(report.release, outcome))
    for doc_id, reason in sorted(report.failed.items()):
        print(f"  failed: {doc_id}: {reason}", file=log)
    return exit_status(outcome, report)
