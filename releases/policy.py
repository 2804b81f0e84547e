"""What becomes of a staged release under ``releases.policy``: 'manual' leaves it staged,
'always' publishes it, 'gate' runs the gold questions (releases/gate.py) and publishes or holds
it. Every writer follows it: the ``rag`` commands (cli/) and the service's uploads and deletes
(service/routes/releases.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from index.errors import InputError
from index.ingest import SyncReport
from rag.settings import Settings

# Exit statuses of `rag ingest` (and `rag watch` bursts): published, failed files, usage, held.
EXIT_PUBLISHED, EXIT_FAILED, EXIT_USAGE, EXIT_HELD = 0, 1, 2, 3


def settle(settings: Settings, pipeline: Any, report: SyncReport,
           out: TextIO = sys.stdout, report_dir: Path | None = None) -> str:
    """Apply ``releases.policy`` to the release ``report`` staged (``outcome == "staged"``):
    'manual' leaves it staged, 'always' publishes it, 'gate' runs the gold questions and
    publishes or holds it. Returns the outcome: published, held, staged or unchanged."""
    if report.outcome != "staged" or report.release is None:
        return report.outcome
    policy = settings.release_policy
    if policy == "manual":
        return "staged"
    if policy == "always":
        return _publish(settings, pipeline, report.release)
    from releases.gate import format_gate, run_gate, write_report_files

    result = run_gate(settings, pipeline.embedder, pipeline.store, report.release, log=out)
    print(format_gate(result), file=out)
    stored = pipeline.store.releases.report(report.release)
    if stored is not None:
        folder = report_dir or Path(settings.data_dir) / "releases" / report.release
        path = write_report_files(result, stored[0], stored[1], folder)
        print(f"gate report: {path} and {path.with_suffix('.html')}", file=out)
    gate = {"outcome": "passed" if result.passed else "failed", "reason": result.reason,
            "worse": [q.id for q in result.worse]}
    release = pipeline.store.releases.get(report.release)
    if result.passed:
        pipeline.store.set_status(release, "staged", gate)
        return _publish(settings, pipeline, report.release)
    pipeline.store.set_status(release, "held", gate)
    return "held"


def _publish(settings: Settings, pipeline: Any, release_id: str) -> str:
    from releases.publishing import publish_release

    publish_release(pipeline.store, pipeline.ingest.lock, release_id,
                    retain=settings.releases.retain, on_change=pipeline.ingest.on_change)
    return "published"


def publishes_at_once(settings: Settings) -> bool:
    """Whether an upload publishes its release at once rather than stage it for the policy."""
    return settings.releases.upload_publish or settings.release_policy == "always"


def describe_outcome(release: str | None, outcome: str) -> str:
    return {
        "published": f"release {release}: published",
        "held": f"release {release}: HELD by the gate (the published release keeps answering; "
                f"see 'rag releases show {release}', publish anyway with 'rag releases publish "
                f"{release} --force')",
        "staged": f"release {release}: staged (releases.policy = manual; publish it with "
                  f"'rag releases publish {release}')",
        "unchanged": f"nothing changed; release {release or '-'} stays published",
    }[outcome]


def exit_status(outcome: str, report: SyncReport) -> int:
    if outcome == "held":
        return EXIT_HELD
    return EXIT_FAILED if report.failed else EXIT_PUBLISHED


def stage_for_policy(settings: Settings) -> bool:
    """Whether writers publish at once (policy 'always') rather than stage for ``settle``."""
    return settings.release_policy == "always"


def require_policy_ready(settings: Settings) -> None:
    """Fail before slow work when the gate cannot run."""
    if settings.release_policy == "gate":
        gold = settings.eval.gold
        if gold is None or not Path(gold).is_file():
            raise InputError(f"eval.gold {gold} is not a file: the release gate needs the gold "
                             "questions (RAG_EVAL__GOLD=path/to/qa.jsonl)")
