"""FastAPI dependencies: the pipeline built in the lifespan, handed to routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from index.errors import StoreUnavailableError
from rag.factory import Pipeline


def get_pipeline(request: Request) -> Pipeline:
    pipeline = getattr(request.app.state, "pipeline", None)
    if pipeline is None:
        raise StoreUnavailableError("the service is still starting: the model is loading")
    return pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
