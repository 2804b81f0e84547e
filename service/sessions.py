"""Signed sessions for people: the cookie's content, its end, CSRF, and widget tokens.

The session lives in Starlette's signed cookie (itsdangerous; HTTP-only, SameSite=Lax, Secure
behind https), under the key ``"user"``: no replica stores it. What a replica must share is only
which sessions were ended early (logout): their ids go into ``data_dir/sessions.sqlite3``, which
every worker reads. A tampered cookie fails its signature and reads as no session.

A widget on another site cannot use the cookie (third-party cookies); after a sign-in in a
popup it gets a **widget token**: the same identity, signed for the audience ``rag-widget`` and
one page origin, sent as ``Authorization: Bearer rwt.…``, valid one hour or until the session's
end, whichever is first.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from rag.sqlite import LazySqliteFile
from service.oidc import Identity

SESSION_KEY = "user"
WIDGET_PREFIX = "rwt."
WIDGET_AUDIENCE = "rag-widget"
WIDGET_SECONDS = 3600
# The cookie also carries a pending sign-in (state, nonce) while the person is at the provider:
# it lives at least this long however short a session is; a session's own end is checked
# against ``PersonSession.ends`` on every request.
SIGN_IN_SECONDS = 600
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SCHEMA = """
CREATE TABLE IF NOT EXISTS revoked (
    sid TEXT PRIMARY KEY,
    until REAL NOT NULL   -- the session's own end: after it the row may go
);
"""


@dataclass(frozen=True)
class PersonSession:
    """The ``"user"`` entry of a signed session cookie."""

    sid: str
    sub: str
    name: str
    email: str
    groups: tuple[str, ...]
    csrf: str
    started: float
    ends: float
    checked: float  # when the provider last confirmed the person (sign-in or refresh)
    refresh_token: str | None
    id_token: str | None

    @property
    def user(self) -> str:
        return self.email or self.sub

    def to_cookie(self) -> dict[str, Any]:
        return {"sid": self.sid, "sub": self.sub, "name": self.name, "email": self.email,
                "groups": list(self.groups), "csrf": self.csrf, "started": self.started,
                "ends": self.ends, "checked": self.checked, "rt": self.refresh_token,
                "idt": self.id_token}

    @classmethod
    def from_cookie(cls, data: Any) -> PersonSession | None:
        """The session a cookie holds, or None for anything else (an old shape included)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data["sid"]), str(data["sub"]), str(data.get("name") or ""),
                       str(data.get("email") or ""), tuple(str(g) for g in data["groups"]),
                       str(data["csrf"]), float(data["started"]), float(data["ends"]),
                       float(data["checked"]), data.get("rt"), data.get("idt"))
        except (KeyError, TypeError, ValueError):
            return None

    @classmethod
    def start(cls, identity: Identity, hours: float, refresh_token: str | None,
              id_token: str | None) -> PersonSession:
        now = time.time()
        return cls(secrets.token_urlsafe(18), identity.sub, identity.name, identity.email,
                   identity.groups, secrets.token_urlsafe(24), now, now + hours * 3600, now,
                   refresh_token, id_token)

    def refreshed(self, identity: Identity, refresh_token: str | None,
                  id_token: str | None) -> PersonSession:
        return PersonSession(self.sid, identity.sub, identity.name or self.name,
                             identity.email or self.email, identity.groups, self.csrf,
                             self.started, self.ends, time.time(),
                             refresh_token or self.refresh_token, id_token or self.id_token)


class Revocations:
    """Sessions ended before their time, shared by every process through one SQLite file.
    Reads are cached per thread until another connection commits (``data_version``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = LazySqliteFile(self.path, _SCHEMA, "session revocations")
        self._written = 0

    def revoke(self, sid: str, until: float) -> None:
        with self._db.transaction() as db:
            db.execute("INSERT OR REPLACE INTO revoked VALUES (?, ?)", (sid, until))
            db.execute("DELETE FROM revoked WHERE until < ?", (time.time() - 60,))
        self._written += 1

    def is_revoked(self, sid: str) -> bool:
        file = self._db.for_reading()
        if file is None:
            return False  # nothing was ever revoked: no file is made for reading
        try:
            db = file.connection()
            version = (int(db.execute("PRAGMA data_version").fetchone()[0]), self._written)
            cached = getattr(file.local, "revoked", None)
            if cached is None or cached[0] != version:
                cached = (version, frozenset(r[0] for r in db.execute("SELECT sid FROM revoked")))
                file.local.revoked = cached
        except sqlite3.Error as exc:
            raise file.failed(exc) from None
        return sid in cached[1]


def revocations_path(data_dir: Path) -> Path:
    return Path(data_dir) / "sessions.sqlite3"


class WidgetTokens:
    """Widget tokens: a session's identity for one page origin, signed with the session
    secret."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=WIDGET_AUDIENCE)

    def issue(self, session: PersonSession, origin: str) -> tuple[str, int]:
        seconds = int(max(0, min(WIDGET_SECONDS, session.ends - time.time())))
        body = {"aud": WIDGET_AUDIENCE, "origin": origin, "sid": session.sid,
                "sub": session.sub, "name": session.name, "email": session.email,
                "groups": list(session.groups), "exp": time.time() + seconds}
        return WIDGET_PREFIX + self._serializer.dumps(body), seconds

    def read(self, token: str, origin: str | None) -> dict[str, Any]:
        """The token's body once its signature, audience, expiry and origin hold; ValueError
        saying what failed otherwise."""
        try:
            body = self._serializer.loads(token.removeprefix(WIDGET_PREFIX),
                                          max_age=WIDGET_SECONDS)
        except SignatureExpired:
            raise ValueError("the widget token has expired: sign in again") from None
        except BadSignature:
            raise ValueError("the widget token is not valid (altered, or signed by another "
                             "deployment)") from None
        if not isinstance(body, dict) or body.get("aud") != WIDGET_AUDIENCE:
            raise ValueError("the token was not issued for the widget")
        if float(body.get("exp", 0)) < time.time():
            raise ValueError("the widget token has expired: sign in again")
        if origin is not None and origin != body.get("origin"):
            raise ValueError(f"the widget token was issued for {body.get('origin')!r}, not for "
                             f"a page on {origin!r}")
        return body


def csrf_ok(session: PersonSession, presented: str | None) -> bool:
    return presented is not None and secrets.compare_digest(presented.encode(),
                                                            session.csrf.encode())
