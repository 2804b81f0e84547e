"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import PipelineDep
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="The model is loaded and the index reachable")
def readyz(pipeline: PipelineDep) -> Health:
    pipeline.store.count_chunks()
    return Health(status="ready")
