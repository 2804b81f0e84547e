"""The audit log: who changed what (uploads, deletes, publishes, rollbacks, keys).

One row per admin action in ``data_dir/audit.sqlite3``, shared by every worker process and by
the ``rag`` command (``rag keys create`` records itself as ``cli:<user>``). Rows are only ever
added. An admin whose key or groups open some collections sees only the rows about those; rows
about no collection (keys, the whole index) only an admin of every collection sees.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request

from index.errors import StoreUnavailableError
from rag.sqlite import LazySqliteFile
from service.logs import current_request_id
from service.principal import Principal

_log = logging.getLogger("rag.audit")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,       -- the person (OIDC, proxy) or the key's name
    via TEXT NOT NULL,         -- session, widget-token, proxy, key, open, cli
    action TEXT NOT NULL,      -- e.g. document.upload, release.publish, key.create
    target TEXT NOT NULL,      -- what it acted on (a document, a release, a key)
    collection TEXT,           -- the collection it concerns; NULL: none or every one
    detail TEXT NOT NULL,      -- JSON object
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
"""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: float
    actor: str
    via: str
    action: str
    target: str
    collection: str | None
    detail: dict[str, Any]
    request_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq,
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at)),
                "actor": self.actor, "via": self.via, "action": self.action,
                "target": self.target, "collection": self.collection, "detail": self.detail,
                "request_id": self.request_id}


class AuditLog:
    """The audit file. Safe to share between threads; any number of processes may open it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Opened (and the file created) at the first action, so a service with a full or
        # read-only data directory still starts (as the key store).
        self._db = LazySqliteFile(self.path, _SCHEMA, "audit log")

    def record(self, actor: str, via: str, action: str, target: str,
               collection: str | None = None, detail: dict[str, Any] | None = None,
               request_id: str | None = None) -> None:
        with self._db.transaction() as db:
            db.execute("INSERT INTO audit (at, actor, via, action, target, collection, detail, "
                       "request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (time.time(), actor, via, action, target, collection,
                        json.dumps(detail or {}, sort_keys=True, default=str), request_id))

    def entries(self, limit: int = 100, before: int | None = None,
                visible: tuple[str, ...] | None = None) -> list[AuditEntry]:
        """The newest ``limit`` entries (older than sequence ``before``), newest first, only
        those about ``visible`` collections when given."""
        file = self._db.for_reading()
        if file is None:
            return []
        query = ("SELECT seq, at, actor, via, action, target, collection, detail, request_id "
                 "FROM audit WHERE seq < ? ORDER BY seq DESC")
        out: list[AuditEntry] = []
        try:
            rows = file.connection().execute(query, (before or 2**62,))
            for row in rows:
                if visible is not None and row[6] not in visible:
                    continue
                out.append(AuditEntry(*row[:7], json.loads(row[7]), row[8]))
                if len(out) >= limit:
                    break
        except sqlite3.Error as exc:
            raise file.failed(exc) from None
        return out


def audit_path(data_dir: Path) -> Path:
    return Path(data_dir) / "audit.sqlite3"


def note(request: Request, who: Principal, action: str, target: str,
         collection: str | None = None, **detail: Any) -> None:
    """Record an admin action of ``who`` in the app's audit log (no-op before start-up)."""
    audit = getattr(request.app.state, "audit", None)
    if audit is None:
        return
    actor = who.user or who.name
    try:
        audit.record(actor, who.via, action, target, collection, detail, current_request_id())
    except StoreUnavailableError as exc:
        # the action is done; its row is not: say so in the log, with what the row held
        _log.error("audit row not written (%s): %s %s %s %s", exc, actor, action, target,
                   collection)
