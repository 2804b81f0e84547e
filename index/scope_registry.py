"""The scopes being ingested right now, so that overlapping scoped writers refuse each other.

``<lock_dir>/<index>.scopes/`` holds one small JSON file per running scoped writer (its scope, pid,
host, start time), which that writer keeps ``flock``-ed for as long as it runs. A claim happens
under one short-held guard lock (``<index>.scopes.lock``): read the live entries, refuse if one
overlaps the new scope, else add the new entry. So of two overlapping claims exactly one wins,
while disjoint scopes ('a/' and 'b/', shards 0/2 and 1/2) are admitted side by side.

An entry whose ``flock`` can be taken belongs to a writer that is gone (the kernel drops a lock
when its holder exits, even on ``kill -9``): the next claim deletes it. A live entry is never
mistaken for a dead one, whatever happened to its pid. These are local files: writers on different
machines do not see each other's entries (see docs/ingestion.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexBusyError
from index.scope import Scope

GUARD_TIMEOUT_SECONDS = 10.0  # the guard is held for milliseconds; waiting longer means trouble


@dataclass(frozen=True)
class ActiveScope:
    """A scope a live writer holds, as its registry entry tells."""

    scope: Scope
    pid: object = None
    host: object = None
    since: object = None

    def describe(self) -> str:
        return f"{self.scope.describe()}: pid {self.pid} on {self.host}, since {self.since}"


class ScopeRegistry:
    def __init__(self, lock_dir: Path, index_name: str) -> None:
        self.dir = Path(lock_dir) / f"{index_name}.scopes"
        self.guard_path = Path(lock_dir) / f"{index_name}.scopes.lock"

    @contextlib.contextmanager
    def claim(self, scope: Scope) -> Iterator[None]:
        """Hold ``scope`` until the block ends; raise IndexBusyError if a live writer holds a
        scope that overlaps it (naming both)."""
        with self._guard():
            for other in self._entries(remove_dead=True):
                if other.scope.overlaps(scope):
                    raise IndexBusyError(overlap_message(scope, other))
            fd, path = self._add(scope)
        try:
            yield
        finally:
            try:
                with self._guard():
                    path.unlink(missing_ok=True)
            finally:
                os.close(fd)  # releases the entry's flock (a leftover entry is then dead)

    def active(self) -> list[ActiveScope]:
        """The scopes live writers hold now (a snapshot, for messages; takes no guard)."""
        return self._entries(remove_dead=False)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.guard_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + GUARD_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise IndexBusyError(
                            f"the scope registry {self.guard_path} stayed locked for "
                            f"{GUARD_TIMEOUT_SECONDS:.0f} s; is a writer stopped (SIGSTOP)?"
                        ) from None
                    time.sleep(0.01)
            yield
        finally:
            os.close(fd)

    def _add(self, scope: Scope) -> tuple[int, Path]:
        """Write and lock our entry; it appears under its final name already locked."""
        name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        tmp, path = self.dir / f".{name}.tmp", self.dir / f"{name}.json"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            entry = {**scope.to_json(), "pid": os.getpid(), "host": socket.gethostname(),
                     "since": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
            os.write(fd, json.dumps(entry).encode())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            os.close(fd)
            raise
        return fd, path

    def _entries(self, remove_dead: bool) -> list[ActiveScope]:
        found = []
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:  # released meanwhile
                continue
            try:
                try:
                    # A shared probe: it fails only against the live holder's exclusive lock.
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    found.append(_read_entry(path))
                    continue
                if remove_dead:
                    path.unlink(missing_ok=True)
            finally:
                os.close(fd)
        return found


def _read_entry(path: Path) -> ActiveScope:
    try:
        data = json.loads(path.read_text())
        return ActiveScope(Scope.from_json(data), data.get("pid"), data.get("host"),
                           data.get("since"))
    except (OSError, ValueError, TypeError, IndexError):
        # Unreadable: assume the worst, that it covers everything.
        return ActiveScope(Scope(), "?", "?", f"unknown (entry {path.name} is unreadable)")


def overlap_message(scope: Scope, other: ActiveScope) -> str:
    return (f"cannot ingest {scope.describe()}: it overlaps {other.scope.describe()}, which "
            f"another writer is ingesting now (pid {other.pid} on {other.host}, since "
            f"{other.since}); writers on overlapping scopes could delete each other's chunks. "
            "Wait for it to finish, or give concurrent workers disjoint scopes (e.g. "
            "--partition a/ and --partition b/, or --shard 0/2 and --shard 1/2)")
