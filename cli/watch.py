"""``rag watch PATH`` (and ``rag serve --watch PATH``): keep the index following a folder.

Changes are noticed with ``watchfiles`` (inotify and the like; uvicorn brings it) or, when it is
missing, fails or ``--poll`` is given, by comparing the folder's (path, size, mtime) every
``interval`` seconds. A burst of changes is debounced (nothing new for ``debounce`` seconds) and
becomes one sync: one staged release through ``releases.policy`` (the gate, when configured).
A held release is reported and watching goes on.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from index.errors import RagError
from rag.settings import Settings

log = logging.getLogger("rag.watch")

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every file under ``root`` (hidden ones skipped): relative path -> (size, mtime ns)."""
    out: Snapshot = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        try:
            st = path.stat()
        except OSError:
            continue  # vanished meanwhile
        if path.is_file():
            out[rel.as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def poll_bursts(root: Path, interval: float, debounce: float,
                stop: threading.Event) -> Iterator[None]:
    """Yield once per debounced burst of changes, by polling."""
    last = snapshot(root)
    while not stop.wait(interval):
        now = snapshot(root)
        if now == last:
            continue
        while not stop.wait(debounce):  # settle: until nothing changed for ``debounce``
            settled = snapshot(root)
            if settled == now:
                break
            now = settled
        last = now
        if not stop.is_set():
            yield


def notify_bursts(root: Path, interval: float, debounce: float,
                  stop: threading.Event) -> Iterator[None]:
    """Yield once per debounced burst of changes, from the OS's notifications."""
    from watchfiles import watch

    for _changes in watch(root, debounce=int(debounce * 1000), step=50, stop_event=stop,
                          rust_timeout=int(max(interval, 0.1) * 1000), yield_on_timeout=False,
                          raise_interrupt=False):
        yield


def bursts(root: Path, interval: float, debounce: float, stop: threading.Event,
           poll: bool = False) -> Iterator[None]:
    if not poll:
        try:
            import watchfiles  # noqa: F401
        except ImportError:
            log.warning("watchfiles is not installed: polling %s every %s s", root, interval)
            poll = True
    if poll:
        yield from poll_bursts(root, interval, debounce, stop)
        return
    try:
        yield from notify_bursts(root, interval, debounce, stop)
    except OSError as exc:  # e.g. inotify watches exhausted: fall back to polling
        log.warning("file notifications failed (%s): polling %s every %s s", exc, root, interval)
        yield from poll_bursts(root, interval, debounce, stop)


def watch_folder(settings: Settings, root: Path, *, pipeline: Any = None,
                 interval: float = 2.0, debounce: float = 1.0, poll: bool = False,
                 stop: threading.Event | None = None, max_bursts: int | None = None,
                 on_outcome: Callable[[str, Any], object] | None = None,
                 out: Any = None) -> int:
    """Sync ``root`` now and after every burst of changes, until ``stop`` is set (or
    ``max_bursts`` bursts after the first sync); return how many releases were staged."""
    from cli.releases_commands import describe_outcome, require_policy_ready, settle, \
        stage_for_policy
    from rag.factory import build_pipeline

    root = Path(root)
    if not root.is_dir():
        raise RagError(f"rag watch needs a folder: {root} is not one")
    require_policy_ready(settings)
    out = out or sys.stdout
    stop = stop or threading.Event()
    pipeline = pipeline or build_pipeline(settings)
    staged = 0

    def burst() -> None:
        nonlocal staged
        try:
            report = pipeline.ingest.sync(root, publish=stage_for_policy(settings))
            outcome = settle(settings, pipeline, report, out=out)
        except RagError as exc:  # e.g. another writer holds the lock: the next burst retries
            print(f"watch: {exc}", file=out, flush=True)
            log.warning("watch: %s", exc)
            return
        if report.changed:
            staged += 1
        s = report.summary()
        line = (f"watch: added {s['added']}, updated {s['updated']}, deleted {s['deleted']}, "
                f"failed {s['failed']}: {describe_outcome(report.release, outcome)}")
        print(line, file=out, flush=True)
        (log.warning if outcome == "held" else log.info)(line)
        if on_outcome is not None:
            on_outcome(outcome, report)

    burst()
    seen = 0
    for _ in bursts(root, interval, debounce, stop, poll):
        burst()
        seen += 1
        if max_bursts is not None and seen >= max_bursts:
            break
    return staged


def start_watch_thread(settings: Settings, root: Path, pipeline: Any,
                       on_outcome: Callable[[str, Any], object]) -> threading.Event:
    """``rag serve --watch``: watch in a daemon thread of the server; returns its stop event."""
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_folder, args=(settings, root),
        kwargs={"pipeline": pipeline, "stop": stop, "on_outcome": on_outcome,
                "out": sys.stderr}, name="rag-watch", daemon=True)
    thread.start()
    return stop
