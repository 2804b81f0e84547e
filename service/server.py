"""Run the service with uvicorn (``rag serve``)."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.settings import Settings
from service.logs import configure_logging

log = logging.getLogger("rag.serve")


def keys_configured(settings: Settings) -> bool:
    """A key in the settings, a named key made with ``rag keys create``, or people's sign-in
    (OIDC or a trusted proxy)."""
    if settings.server.has_keys or settings.server.has_people:
        return True
    from service.keys import KeyStore, keys_path

    path = keys_path(settings.data_dir)
    return path.is_file() and KeyStore(path).any_keys()


def bind_host(settings: Settings, requested: str | None) -> str:
    """The address to bind: as asked, except loopback only while no API key is configured."""
    host = requested or settings.server.host
    if _is_loopback(host) or keys_configured(settings):
        return host
    log.warning("no API keys configured (RAG_SERVER__READ_API_KEY, RAG_SERVER__ADMIN_API_KEY, "
                "'rag keys create'): binding to 127.0.0.1 only instead of %s; set keys to serve "
                "other machines", host)
    return "127.0.0.1"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, host: str | None = None, port: int | None = None,
          corpus: Path | None = None, workers: int = 1, pipeline: Any = None,
          on_started: Callable[[Any], None] | None = None) -> int:
    """Serve. ``corpus`` is ingested first and published at once (``rag serve`` in cli/ does
    the ingest itself, through the release policy). The app's uploads and deletes follow the
    release policy, the gate included (see service/routes/releases.py)."""
    import uvicorn

    from rag.factory import build_pipeline
    from service.app import create_app

    configure_logging()
    host = bind_host(settings, host)
    port = port or settings.server.port
    if not keys_configured(settings):
        log.warning("no API keys configured: every route is open, to this machine only")
    if pipeline is None and (corpus is not None or workers == 1):
        pipeline = build_pipeline(settings)
    if corpus is not None and pipeline is not None:
        report = pipeline.ingest.sync(corpus)
        s = report.summary()
        log.info("ingested %s: added %s, updated %s, unchanged %s, deleted %s, failed %s",
                 corpus, s["added"], s["updated"], s["unchanged"], s["deleted"], s["failed"])
    log.info("serving on http://%s:%s (chat page at /, API docs at /docs)",
             host, port)
    if workers > 1:
        # Each worker process builds its own app (and loads the model once) from the settings,
        # which reach it through the environment. Worker apps have no gate: an upload under
        # releases.policy 'gate' stays staged for 'rag releases publish'.
        os.environ["RAG_DATA_DIR"] = str(settings.data_dir)
        uvicorn.run("service.app:app_from_environment", factory=True, host=host, port=port,
                    workers=workers, log_config=None, proxy_headers=False)
        return 0
    uvicorn.run(create_app(settings, pipeline, settle_uploads=True, on_started=on_started),
                host=host, port=port, log_config=None, proxy_headers=False)
    return 0
