"""One SQLite file shared by threads and processes: the feedback store and the key store.

Each thread has its own connection (WAL journal, full sync); each write is one ``BEGIN
IMMEDIATE`` transaction, so a crash leaves every record whole or absent. A database that fails
(locked past the timeout, damaged, its tables gone) raises StoreUnavailableError (503), not a 500.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import StoreUnavailableError


class SqliteFile:
    def __init__(self, path: Path, schema: str, what: str) -> None:
        self.path = Path(path)
        self.what = what
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection().executescript(schema)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailableError(f"cannot open the {what} {self.path}: {exc}") from None

    @property
    def local(self) -> threading.local:
        """Per-thread state beside the connection (a cache that must follow it)."""
        return self._local

    def connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self.connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(f"the {self.what} {self.path} failed: {exc}") from None

    def failed(self, exc: sqlite3.Error) -> StoreUnavailableError:
        return StoreUnavailableError(f"the {self.what} {self.path} failed: {exc}")


class LazySqliteFile:
    """A SqliteFile opened (and its file created) at the first write, so a service with a full
    or read-only data directory still starts when it has written nothing there: the key store,
    the audit log and the session revocations. Reads before any write see no file (``None``)."""

    def __init__(self, path: Path, schema: str, what: str) -> None:
        self.path = Path(path)
        self._schema = schema
        self._what = what
        self._opened: SqliteFile | None = None
        self._opening = threading.Lock()

    def for_reading(self) -> SqliteFile | None:
        """The open file, or None when it was never written (nothing is created to read)."""
        if self._opened is None and not self.path.exists():
            return None
        return self.for_writing()

    def for_writing(self) -> SqliteFile:
        if self._opened is None:
            with self._opening:
                if self._opened is None:
                    self._opened = SqliteFile(self.path, self._schema, self._what)
        return self._opened

    def transaction(self):  # noqa: ANN201 - SqliteFile.transaction's context manager
        return self.for_writing().transaction()
