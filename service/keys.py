"""API keys made with ``rag keys create``: named, with a role and the collections they open.

A key is ``rag_`` plus 32 random bytes (URL-safe base64), printed once; only its SHA-256 is
stored (``data_dir/keys.sqlite3``; a random 256-bit secret needs no slow hash: nothing can be
guessed from its digest). A presented key is hashed and compared with every active key's digest
in constant time (``hmac.compare_digest``, no early exit), so the time taken says nothing about
which key came close.

Every worker process opens the same SQLite file. Reads go through a cache that is reloaded when
SQLite's ``data_version`` says another connection committed, so a key revoked by ``rag keys
revoke`` in another process is refused by every worker on its next request. Once any key has
been created the service is closed to requests without a key, whatever the settings say.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from index.errors import InputError, NotFoundError
from rag.sqlite import LazySqliteFile

Role = Literal["read", "admin"]
ROLES: tuple[Role, ...] = ("read", "admin")
KEY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_NAME = re.compile(KEY_NAME_PATTERN)
_COLLECTION = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('read', 'admin')),
    collections TEXT,            -- JSON list of names, NULL for all collections
    digest TEXT NOT NULL UNIQUE, -- sha256 of the key, hex
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""


@dataclass(frozen=True)
class KeyRecord:
    name: str
    role: Role
    collections: tuple[str, ...] | None  # None: every collection
    created_at: float
    revoked_at: float | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_public(self) -> dict[str, object]:
        """What ``rag keys list`` shows: never the key or its digest."""
        return {"name": self.name, "role": self.role,
                "collections": "all" if self.collections is None else list(self.collections),
                "created_at": _iso(self.created_at),
                "revoked_at": None if self.revoked_at is None else _iso(self.revoked_at)}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def parse_collections(value: str) -> tuple[str, ...]:
    """``--collections a,b``: names of lower-case letters, digits, ``-`` and ``_``."""
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        raise InputError("--collections needs at least one collection name, e.g. hr,finance")
    bad = [n for n in names if not _COLLECTION.match(n)]
    if bad:
        raise InputError(f"not a collection name: {', '.join(map(repr, bad))} (lower-case "
                         "letters, digits, '-' and '_', at most 64)")
    return names


class KeyStore:
    """The keys file. Safe to share between threads; any number of processes may open it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Opened (and the file created) only once a key is made, so a service that never had
        # named keys writes nothing here (a read-only or full data directory still starts).
        self._db = LazySqliteFile(self.path, _SCHEMA, "key store")
        self._generation = 0  # bumped by this object's own writes (data_version misses them)

    def _transaction(self):  # noqa: ANN202
        return self._db.transaction()

    # ---- management (rag keys) -----------------------------------------------------------

    def create(self, name: str, role: str, collections: Sequence[str] | None) -> str:
        """Store a new key; return the key itself (shown once, never stored)."""
        if not _NAME.match(name or ""):
            raise InputError(f"a key name is 1-64 letters, digits, '.', '-' or '_', starting "
                             f"with a letter or digit, not {name!r}")
        if role not in ROLES:
            raise InputError(f"role must be 'read' or 'admin', not {role!r}")
        key = "rag_" + secrets.token_urlsafe(32)
        listed = None if collections is None else json.dumps(sorted(set(collections)))
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM keys WHERE name = ?", (name,)).fetchone():
                raise InputError(f"a key named {name!r} exists already (revoked keys keep "
                                 "their name): choose another name")
            db.execute("INSERT INTO keys VALUES (?, ?, ?, ?, ?, NULL)",
                       (name, role, listed, digest(key), time.time()))
        self._generation += 1
        return key

    def revoke(self, name: str) -> KeyRecord:
        with self._transaction() as db:
            row = db.execute("SELECT revoked_at FROM keys WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"no key named {name!r} (see 'rag keys list')")
            if row[0] is None:
                db.execute("UPDATE keys SET revoked_at = ? WHERE name = ?", (time.time(), name))
        self._generation += 1
        return next(r for r in self.list() if r.name == name)

    def list(self) -> list[KeyRecord]:
        return [record for _, record in self._rows(fresh=True)]

    # ---- checking (every request) --------------------------------------------------------

    def any_keys(self) -> bool:
        """True once any key was created (revoked ones included): the service is then closed
        to requests without a key."""
        return bool(self._rows())

    def has_role(self, role: Role) -> bool:
        return any(r.active and r.role == role for _, r in self._rows())

    def find(self, key: str) -> KeyRecord | None:
        """The active key record ``key`` opens, compared in constant time against each."""
        presented = digest(key).encode()
        found = None
        for stored, record in self._rows():
            if hmac.compare_digest(presented, stored.encode()) and record.active:
                found = record
        return found

    def _rows(self, fresh: bool = False) -> list[tuple[str, KeyRecord]]:
        """Every key, from this thread's cache unless another connection committed since (its
        ``data_version``, which is per connection, hence a cache per thread) or this object
        wrote."""
        file = self._db.for_reading()
        if file is None:
            return []
        try:
            db = file.connection()
            version = (int(db.execute("PRAGMA data_version").fetchone()[0]), self._generation)
            cached = getattr(file.local, "cache", None)
            if not fresh and cached is not None and cached[0] == version:
                return cached[1]
            rows = db.execute("SELECT digest, name, role, collections, created_at, revoked_at "
                              "FROM keys ORDER BY created_at").fetchall()
        except sqlite3.Error as exc:
            raise file.failed(exc) from None
        records = [(d, KeyRecord(name, role, None if c is None else tuple(json.loads(c)),
                                 created, revoked))
                   for d, name, role, c, created, revoked in rows]
        file.local.cache = (version, records)
        return records


def keys_path(data_dir: Path) -> Path:
    return Path(data_dir) / "keys.sqlite3"
