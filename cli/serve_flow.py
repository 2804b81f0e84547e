"""``rag serve``: the first ingest and the uploads follow ``releases.policy`` (releases/policy.py,
which the app's upload and delete routes run too)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from rag.settings import Settings

log = logging.getLogger("rag.serve")


def serve_with_releases(settings: Settings, host: str | None = None, port: int | None = None,
                        corpus: Path | None = None, workers: int = 1,
                        watch: Path | None = None) -> int:
    from rag.factory import build_pipeline
    from releases.policy import describe_outcome, require_policy_ready, settle, stage_for_policy
    from service.logs import configure_logging
    from service.server import serve

    from index.errors import InputError

    if watch is not None and workers > 1:
        raise InputError("--watch runs in the serving process: use it with one worker (or "
                         "run 'rag watch PATH' beside the workers)")
    pipeline = None
    if corpus is not None:
        configure_logging()
        require_policy_ready(settings)
        pipeline = build_pipeline(settings)
        report = pipeline.ingest.sync(corpus, publish=stage_for_policy(settings))
        outcome = settle(settings, pipeline, report, out=sys.stderr)
        s = report.summary()
        log.info("ingested %s: added %s, updated %s, unchanged %s, deleted %s, failed %s; %s",
                 corpus, s["added"], s["updated"], s["unchanged"], s["deleted"], s["failed"],
                 describe_outcome(report.release, outcome))
    started = None
    if watch is not None:
        from cli.watch import start_watch_thread

        def started(app: Any) -> None:  # noqa: F811  (the app's metrics count the bursts)
            start_watch_thread(settings, watch, app.state.pipeline,
                               lambda outcome, report: app.state.metrics.observe_release(outcome))

    return serve(settings, host=host, port=port, workers=workers, pipeline=pipeline,
                 on_started=started)
