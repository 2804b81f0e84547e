"""create_app(settings): the FastAPI application, its lifespan and its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from rag.factory import Pipeline, build_pipeline
from rag.settings import Settings
from service.errors import install_error_handlers
from service.routes import ask, health, pages


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> FastAPI:
    """Build the app. The model and store are loaded once, in the lifespan, unless given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline = pipeline or await run_in_threadpool(build_pipeline, settings)
        yield
        app.state.pipeline = None

    app = FastAPI(
        title="RAG service",
        version="0.1.0",
        description="Answers questions from the indexed documents, citing the exact passages, "
        "and says so plainly when the documents do not contain the answer.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(ask.router)
    app.include_router(pages.router)
    return app
