"""Prometheus metrics, and the ASGI middleware that counts, times and logs every request.

Each app has its own registry. With several uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` to
an empty directory shared by the workers: the values are then kept in files there and
``GET /metrics`` from any worker reports the sum over all of them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.logs import start_request

log = logging.getLogger("rag.access")

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """Request counts and latencies per route, pipeline stage latencies, index size."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.registry = CollectorRegistry()
        reg = self.registry
        self.requests = Counter("rag_http_requests", "HTTP requests served.",
                                ["method", "route", "status"], registry=reg)
        self.latency = Histogram("rag_http_request_duration_seconds",
                                 "Time from request to the last byte of the response.",
                                 ["method", "route"], buckets=_LATENCY_BUCKETS, registry=reg)
        self.stage = Histogram("rag_pipeline_stage_duration_seconds",
                               "Time spent in each answering stage (embed, retrieve, ...).",
                               ["stage"], buckets=_LATENCY_BUCKETS, registry=reg)
        self.answers = Counter("rag_answers", "Answers given, by outcome.", ["outcome"],
                               registry=reg)
        self.disconnects = Counter("rag_stream_disconnects",
                                   "Streamed answers stopped because the client went away.",
                                   registry=reg)
        self.feedback = Counter("rag_feedback", "Feedback received, by rating.", ["rating"],
                                registry=reg)
        self.documents = Gauge("rag_index_documents", "Documents in the index.",
                               registry=reg, multiprocess_mode="mostrecent")
        self.chunks = Gauge("rag_index_chunks", "Chunks (embedded passages) in the index.",
                            registry=reg, multiprocess_mode="mostrecent")
        self.releases = Counter("rag_releases", "Corpus releases staged by this process "
                                "(uploads, deletes, watched folders), by what became of them.",
                                ["outcome"], registry=reg)
        self.release_age = Gauge("rag_release_published_age_seconds",
                                 "Seconds since the published release was published.",
                                 registry=reg, multiprocess_mode="mostrecent")

    def observe_answer(self, timings_ms: Mapping[str, float], refused: bool) -> None:
        for stage, ms in timings_ms.items():
            self.stage.labels(stage=stage).observe(ms / 1000)
        self.answers.labels(outcome="refused" if refused else "answered").inc()

    def observe_release(self, outcome: str) -> None:
        self.releases.labels(outcome=outcome).inc()

    def render(self, index_size: Callable[[], tuple[int, int]],
               release_age: Callable[[], float | None] = lambda: None) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        documents, chunks = index_size()
        self.documents.set(documents)
        self.chunks.set(chunks)
        age = release_age()
        if age is not None:
            self.release_age.set(age)
        registry = self.registry
        if self.multiprocess_dir:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST


class ObservabilityMiddleware:
    """Gives each request an id (``X-Request-ID``), then counts, times and logs it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1") or None
        rid = start_request(incoming)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.latency.labels(method=method, route=route).observe(elapsed)
            log.info("%s %s %s", method, route, status, extra={
                "request_id": rid, "method": method, "path": scope["path"], "route": route, "status": status,
                "ms": round(elapsed * 1000, 1),
            })
