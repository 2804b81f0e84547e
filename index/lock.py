"""The single-writer lock of an index, held by every ingest and delete.

An OS file lock (``flock``) under ``<data_dir>/locks/``: the kernel releases it when the holder
exits, even on ``kill -9``, so a crashed ingest never leaves the index locked. A second writer
waits up to ``wait_seconds`` for its turn (two uploads to one service, an upload during a
publish), then fails with :class:`IndexBusyError` naming the holder (pid, host, scope, start
time).

Embedded mode: the Chroma files support one writing process, so every writer takes the index lock
exclusively. Server mode: workers with disjoint scopes (``--partition`` / ``--shard``) may write
at once; each takes the index lock *shared* and claims its scope in the index's
:class:`ScopeRegistry`, which refuses a scope that overlaps one being written ('a/' and 'a/b/',
the same shard twice, a partition and a shard); a whole-index sync takes the index lock
exclusively. These locks are local files: workers on different machines must be given disjoint
scopes (see docs/ingestion.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from index.errors import IndexBusyError
from index.scope import Scope
from index.scope_registry import ScopeRegistry


class WriteLock:
    def __init__(self, lock_dir: Path, index_name: str, allow_partitions: bool,
                 wait_seconds: float = 0.0) -> None:
        self.lock_dir = Path(lock_dir)
        self.wait_seconds = wait_seconds
        self.index_name = index_name
        self.allow_partitions = allow_partitions
        self.scopes = ScopeRegistry(self.lock_dir, index_name)

    @contextlib.contextmanager
    def hold(self, scope: Scope = Scope()) -> Iterator[None]:
        """Hold the lock for ``scope``; raise IndexBusyError if another writer has it."""
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            if scope.is_everything or not self.allow_partitions:
                stack.enter_context(self._flock(self.index_name, exclusive=True, scope=scope))
            else:
                stack.enter_context(self._flock(self.index_name, exclusive=False, scope=scope))
                stack.enter_context(self.scopes.claim(scope))
            yield

    def check(self, scope: Scope = Scope()) -> None:
        """Raise IndexBusyError now if ``scope`` could not be locked (fail before slow work)."""
        with self.hold(scope):
            pass

    @contextlib.contextmanager
    def _flock(self, name: str, exclusive: bool, scope: Scope) -> Iterator[None]:
        path = self.lock_dir / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + self.wait_seconds
            while True:
                try:
                    fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
                                | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(self._busy_message(path)) from None
                    time.sleep(0.05)
            if exclusive:
                holder = {"pid": os.getpid(), "host": socket.gethostname(),
                          "scope": scope.describe(), "since": time.strftime(
                              "%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(holder).encode(), 0)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def _busy_message(self, path: Path) -> str:
        scoped = self.scopes.active() if self.allow_partitions else []
        if scoped:  # scoped writers hold the index lock shared; the file names an older holder
            who = " (" + "; ".join(a.describe() for a in scoped) + ")"
        else:
            try:
                holder = json.loads(path.read_text() or "{}")
            except (OSError, ValueError):
                holder = {}
            who = (f" (pid {holder.get('pid')} on {holder.get('host')}, {holder.get('scope')}, "
                   f"since {holder.get('since')})") if holder else ""
        return (f"the index {self.index_name!r} is being written by another process{who}; "
                "wait for it to finish, or give concurrent workers disjoint --partition/--shard "
                "scopes in server mode")


@contextlib.contextmanager
def publishing(lock: WriteLock | None) -> Iterator[None]:
    """Serialise the read-merge-publish step of scoped writers on this machine (blocking)."""
    if lock is None:
        yield
        return
    lock.lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock.lock_dir / f"{lock.index_name}.publish.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
