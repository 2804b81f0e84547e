"""Ingestion on a distributed job queue: Celery with Redis (docs/scale.md).

A queued sync (``rag ingest PATH --queue``, cli/queue_commands.py) is split into one job per
document. Workers (``rag worker``, on any number of machines) take them; each job runs
:meth:`index.ingest.IngestService.ingest_one`, which writes a document *version* (invisible until
a release names it) and is idempotent by content hash. Jobs are acknowledged late
(``acks_late``, ``task_reject_on_worker_lost``) and Redis hands a job a worker took but never
acknowledged to another worker after ``queue.visibility_timeout``: a worker killed mid-job has
its job done again, and since the first result recorded for a document wins and a version
stored whole is never re-embedded, the sync ends as if it had not died.

:class:`SyncTracker` keeps a sync's progress in Redis (``rag:sync:<id>*`` keys): the job count,
each document's result (first one wins), attempts per document (redeliveries are attempts past
the first) and the jobs running now. The coordinator reads it for its progress bar and, once
every job has a result, builds the one staged release; ``GET /v1/ingest/jobs/{id}`` reads it too.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from index.errors import NotFoundError, StoreUnavailableError
from index.ingest import DocumentJob

TASK_NAME = "rag.ingest_document"
_PREFIX = "rag:sync:"
# A finished result counts once: the first one recorded for a document wins.
_RECORD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], 'n_' .. ARGV[3], 1)
  redis.call('HDEL', KEYS[3], ARGV[1])
  return 1
end
redis.call('HDEL', KEYS[3], ARGV[1])
return 0
"""
# How long a client keeps retrying Redis (a restart, a failover) before giving up.
REDIS_RETRY_SECONDS = 120.0


def make_celery(broker_url: str, queue: str, visibility_timeout: float) -> Any:
    """The Celery app both sides use: jobs are sent by name, so it needs no task code."""
    from celery import Celery

    app = Celery("rag", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_serializer="json", accept_content=["json"],
        task_ignore_result=True,  # results go to the tracker, first one wins
        task_acks_late=True,  # acknowledged after the job ran, so a dead worker's job returns
        task_reject_on_worker_lost=True,  # a killed pool process's job goes back to the queue
        worker_prefetch_multiplier=1,  # a worker holds no more jobs than it runs
        broker_transport_options={"visibility_timeout": visibility_timeout,
                                  "unacked_restore_interval": min(10.0, visibility_timeout)},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis to come back
        worker_hijack_root_logger=False,
    )
    return app


# Celery's Redis transport keeps a queue's messages in lists (one per priority step) and the
# messages delivered but not yet acknowledged in a hash.
_PRIORITY_STEPS = (3, 6, 9)
_UNACKED = "unacked"


def messages_held(client: Any, queue: str) -> int:
    """How many messages Redis holds for the queue: waiting, or delivered and unacknowledged
    (``unacked``: any queue's, so another sync's running jobs count too). 0 with jobs still
    without a result means they were lost: by a restart, a job a worker was taking (popped
    from the queue, not yet recorded as unacknowledged) or writes the append-only file did not
    keep."""
    names = [queue, *(f"{queue}\x06\x16{p}" for p in _PRIORITY_STEPS)]
    pipe = client.pipeline()
    for name in names:
        pipe.llen(name)
    pipe.hlen(_UNACKED)
    return sum(int(n) for n in pipe.execute())


def redis_client(url: str, retry_seconds: float = REDIS_RETRY_SECONDS) -> Any:
    """A Redis client that rides out a restart: commands are retried with backoff."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    tries = max(1, int(retry_seconds / 1.0))
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=10,
                                socket_connect_timeout=5,
                                retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), tries))


@dataclass(frozen=True)
class SyncStatus:
    sync_id: str
    state: str  # queued, finishing, published, staged, held, unchanged, failed
    total: int
    done: int
    failed: int
    running: int
    attempts: int
    duplicates: int  # deliveries of a job already done, answered without any work
    release: str | None
    created_at: float
    finished_at: float | None
    message: str = ""

    @property
    def redeliveries(self) -> int:
        """Deliveries beyond one per job: jobs run again after a worker died or retried after
        an error, and jobs delivered again after they were done (a lost acknowledgement)."""
        return max(0, self.attempts - self.done - self.running) + self.duplicates

    def to_public(self) -> dict[str, Any]:
        return {"sync_id": self.sync_id, "state": self.state, "jobs": self.total,
                "done": self.done, "failed": self.failed, "running": self.running,
                "pending": self.total - self.done - self.running,
                "attempts": self.attempts, "duplicates": self.duplicates,
                "redeliveries": self.redeliveries,
                "release": self.release, "created_at": _iso(self.created_at),
                "finished_at": _iso(self.finished_at), "message": self.message}


class SyncTracker:
    """A sync's progress and results in Redis (see the module docstring)."""

    def __init__(self, client: Any, keep_seconds: float = 7 * 86400) -> None:
        self.redis = client
        self.keep_seconds = int(keep_seconds)
        self._record = client.register_script(_RECORD)

    @classmethod
    def connect(cls, url: str, keep_days: float = 7.0) -> "SyncTracker":
        return cls(redis_client(url), keep_days * 86400)

    def _keys(self, sync_id: str) -> tuple[str, str, str, str]:
        base = _PREFIX + sync_id
        return base, base + ":results", base + ":running", base + ":attempts"

    def create(self, sync_id: str, total: int, **meta: str) -> None:
        main = self._keys(sync_id)[0]
        self.redis.hset(main, mapping={"total": total, "state": "queued",
                                       "created_at": time.time(), **meta})

    def exists(self, sync_id: str) -> bool:
        return bool(self.redis.exists(self._keys(sync_id)[0]))

    def started(self, sync_id: str, doc_id: str) -> int:
        """A worker starts ``doc_id``'s job; returns the attempt number (1 the first time)."""
        _, _, running, attempts = self._keys(sync_id)
        pipe = self.redis.pipeline()
        pipe.hset(running, doc_id, f"{socket.gethostname()}:{os.getpid()}")
        pipe.hincrby(attempts, doc_id, 1)
        return int(pipe.execute()[1])

    def duplicate(self, sync_id: str) -> None:
        """A job came again after its result was recorded (its acknowledgement was lost)."""
        self.redis.hincrby(self._keys(sync_id)[0], "n_duplicate", 1)

    def result(self, sync_id: str, doc_id: str) -> DocumentJob | None:
        raw = self.redis.hget(self._keys(sync_id)[1], doc_id)
        return None if raw is None else DocumentJob.from_dict(json.loads(raw))

    def finished(self, sync_id: str, job: DocumentJob) -> bool:
        """Record ``job``'s result; False when one was recorded already (a redelivered job)."""
        main, results, running, _ = self._keys(sync_id)
        kind = "failed" if job.outcome == "failed" else "ok"
        return bool(self._record(keys=[results, main, running],
                                 args=[job.doc_id, json.dumps(job.to_dict()), kind]))

    def results(self, sync_id: str) -> dict[str, DocumentJob]:
        raw = self.redis.hgetall(self._keys(sync_id)[1])
        return {d: DocumentJob.from_dict(json.loads(v)) for d, v in raw.items()}

    def running(self, sync_id: str) -> dict[str, str]:
        """doc id -> 'host:pid' of the worker running its job now."""
        return dict(self.redis.hgetall(self._keys(sync_id)[2]))

    def status(self, sync_id: str) -> SyncStatus:
        main, results, running, attempts = self._keys(sync_id)
        pipe = self.redis.pipeline()
        pipe.hgetall(main)
        pipe.hlen(results)
        pipe.hlen(running)
        pipe.hvals(attempts)
        meta, done, busy, tries = pipe.execute()
        if not meta:
            raise NotFoundError(f"no queued sync {sync_id!r} (unknown, or finished more than "
                                "queue.keep_days ago)")
        return SyncStatus(sync_id=sync_id, state=meta.get("state", "queued"),
                          total=int(meta.get("total", 0)), done=int(done),
                          failed=int(meta.get("n_failed", 0)), running=int(busy),
                          attempts=sum(int(t) for t in tries),
                          duplicates=int(meta.get("n_duplicate", 0)),
                          release=meta.get("release") or None,
                          created_at=float(meta.get("created_at", 0.0)),
                          finished_at=float(meta["finished_at"]) if meta.get("finished_at")
                          else None, message=meta.get("message", ""))

    def set_state(self, sync_id: str, state: str, release: str | None = None,
                  message: str = "") -> None:
        main = self._keys(sync_id)[0]
        fields: dict[str, Any] = {"state": state, "message": message}
        if release is not None:
            fields["release"] = release
        if state not in {"queued", "finishing"}:
            fields["finished_at"] = time.time()
        self.redis.hset(main, mapping=fields)
        if "finished_at" in fields:
            for key in self._keys(sync_id):
                self.redis.expire(key, self.keep_seconds)


def tracker_status(url: str, sync_id: str) -> dict[str, Any]:
    """A sync's progress for the HTTP API; StoreUnavailableError when Redis is unreachable."""
    try:
        import redis
    except ImportError:
        raise StoreUnavailableError("the job queue is not installed on this server (install "
                                    "the 'queue' extra: pip install '.[queue]')") from None
    try:
        return SyncTracker(redis_client(url, retry_seconds=2.0)).status(sync_id).to_public()
    except redis.RedisError as exc:
        raise StoreUnavailableError(f"cannot reach the job queue's Redis at "
                                    f"{redacted_url(url)}: {exc}") from None


def redacted_url(url: str) -> str:
    """The URL without a password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _iso(ts: float | None) -> str | None:
    return None if not ts else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
