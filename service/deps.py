"""FastAPI dependencies: what the lifespan built, handed to routes.

They are ``async def``: each only reads ``app.state``, and FastAPI runs a plain ``def``
dependency in its thread pool: a hand-off per dependency per request, which under load held
about as much of the interpreter lock as the answer's own retrieval (docs/performance.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from index.errors import StoreUnavailableError
from rag.factory import Pipeline
from rag.feedback import FeedbackStore
from rag.settings import Settings
from service.metrics import Metrics


async def get_pipeline(request: Request) -> Pipeline:
    pipeline = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        raise StoreUnavailableError("the service is still starting: the model is loading")
    return pipeline


async def get_feedback(request: Request) -> FeedbackStore:
    store = getattr(request.app.state, "feedback", None)
    if store is None:
        raise StoreUnavailableError("the service is still starting: the feedback store is opening")
    return store


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
