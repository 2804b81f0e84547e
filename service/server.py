"""Run the service with uvicorn (``rag serve``)."""

from __future__ import annotations

import logging
from pathlib import Path

from rag.settings import Settings

log = logging.getLogger("rag.serve")


def serve(settings: Settings, host: str | None = None, port: int | None = None,
          corpus: Path | None = None) -> int:
    import uvicorn

    from rag.factory import build_pipeline
    from service.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    host = host or settings.server.host
    port = port or settings.server.port
    pipeline = build_pipeline(settings)
    if corpus is not None:
        report = pipeline.ingest.sync(corpus)
        s = report.summary()
        log.info("ingested %s: added %s, updated %s, unchanged %s, deleted %s, failed %s",
                 corpus, s["added"], s["updated"], s["unchanged"], s["deleted"], s["failed"])
    log.info("serving on http://%s:%s (chat page at /, API docs at /docs)", host, port)
    uvicorn.run(create_app(settings, pipeline), host=host, port=port, log_level="info")
    return 0
