"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import Response

from service.deps import MetricsDep, PipelineDep
from service.schemas import ERRORS, Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=ERRORS,
            summary="The model is loaded and the index reachable")
def readyz(pipeline: PipelineDep) -> Health:
    pipeline.store.count_chunks()
    return Health(status="ready")


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(pipeline: PipelineDep, metrics: MetricsDep) -> Response:
    def index_size() -> tuple[int, int]:
        return len(pipeline.store.documents()), pipeline.store.visible_chunks()

    def release_age() -> float | None:
        rid = pipeline.store.release_id()
        published = pipeline.store.releases.get(rid).published_at if rid else None
        return None if published is None else max(0.0, time.time() - published)

    body, content_type = metrics.render(index_size, release_age)
    return Response(body, media_type=content_type)
