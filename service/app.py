"""create_app(settings): the FastAPI application, its lifespan and its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from rag.factory import Pipeline, build_pipeline
from rag.feedback import FeedbackStore, feedback_path
from rag.settings import Settings
from service.audit import AuditLog, audit_path
from service.errors import install_error_handlers
from service.identity import Sso
from service.keys import KeyStore, keys_path
from service.metrics import Metrics, ObservabilityMiddleware
from service.oidc import OidcClient
from service.routes import (admin, ask, auth, chat, collections, documents, eval, feedback,
                            files, gaps, health, ingest_jobs, overview, pages, releases)
from service.sessions import SIGN_IN_SECONDS, Revocations, WidgetTokens, revocations_path


def create_app(settings: Settings, pipeline: Pipeline | None = None,
               settle_uploads: bool = False,
               on_started: Callable[[FastAPI], None] | None = None) -> FastAPI:
    """Build the app. The model and store are loaded once, in the lifespan, unless given.

    ``settle_uploads``: a release an upload or a delete staged goes through ``releases.policy``
    (the release gate included; the app of ``rag serve``); else it stays staged (see
    service/routes/releases.py). ``on_started(app)`` runs once the pipeline is loaded
    (``rag serve --watch`` starts its watcher there)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pipeline = pipeline or await run_in_threadpool(build_pipeline, settings)
        app.state.feedback = await run_in_threadpool(FeedbackStore,
                                                     feedback_path(settings.data_dir))
        app.state.keys = await run_in_threadpool(KeyStore, keys_path(settings.data_dir))
        app.state.audit = await run_in_threadpool(AuditLog, audit_path(settings.data_dir))
        if on_started is not None:
            on_started(app)
        yield
        app.state.pipeline = None
        app.state.feedback = None
        app.state.keys = None
        app.state.audit = None

    app = FastAPI(
        title="RAG service",
        version="0.1.0",
        description="Answers questions from the indexed documents, citing the exact passages, "
        "and says so plainly when the documents do not contain the answer.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.settle_uploads = settle_uploads
    app.state.metrics = Metrics()
    app.state.keys_required = True  # no request is let in on the settings alone before start
    install_error_handlers(app)
    for module in (health, ask, chat, documents, files, collections, feedback, gaps, overview,
                   eval, admin, ingest_jobs):
        app.include_router(module.router)
    app.include_router(releases.build_router())
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(auth.api)
    _install_sign_in(app, settings)
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    return app


def _install_sign_in(app: FastAPI, settings: Settings) -> None:
    """People's sign-in (docs/sso.md): the OIDC client and the signed session cookie."""
    oidc = settings.server.oidc
    app.state.sso = Sso(OidcClient(oidc) if oidc else None,
                        Revocations(revocations_path(settings.data_dir)),
                        WidgetTokens(oidc.session_secret.get_secret_value()) if oidc else None)
    if oidc is None:
        return
    base = settings.server.base_url or ""
    app.add_middleware(SessionMiddleware, secret_key=oidc.session_secret.get_secret_value(),
                       session_cookie=oidc.cookie_name, same_site="lax",
                       https_only=base.startswith("https://"),
                       max_age=max(int(oidc.session_hours * 3600), SIGN_IN_SECONDS))


def app_from_environment() -> FastAPI:
    """The app from ``RAG_*`` settings, for ``uvicorn --factory`` (one per worker process)."""
    from rag.settings import load_settings
    from service.logs import configure_logging

    configure_logging()
    return create_app(load_settings())
