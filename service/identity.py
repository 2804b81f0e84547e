"""People, not keys: the principal of a signed-in session, a widget token or a trusted proxy.

:func:`person_principal` runs before the API-key check on every route (service.security). It
returns None when the request carries no person (an API key, or nothing), and the key rules
then apply as before. What it enforces:

- a session cookie: not past its end, not revoked (logout, on any replica), re-confirmed by the
  provider every ``refresh_minutes`` (groups re-read; refused refresh ends the session), and a
  CSRF token on state-changing methods (a cross-site form cannot send the header);
- a widget token (``Bearer rwt.…``): its signature, audience, expiry, the page origin it was
  issued for, and its session not revoked;
- proxy headers: honoured only from ``server.trusted_proxy.addresses`` (the TCP peer, never a
  forwarded-for header); from any other peer they are refused, not ignored.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass, field

from fastapi import Request

from rag.settings.serving import ServerSettings
from service.errors import ApiError
from service.oidc import OidcClient
from service.principal import Principal, person
from service.sessions import (SESSION_KEY, UNSAFE_METHODS, WIDGET_PREFIX, PersonSession,
                              Revocations, WidgetTokens, csrf_ok)

LOGIN_PATH = "/auth/login"
CSRF_HEADER = "X-CSRF-Token"
_REUSE_REFRESH_SECONDS = 60.0  # concurrent requests of one session share one refresh


@dataclass
class Sso:
    """What sign-in needs at run time, built by create_app (one per app)."""

    oidc: OidcClient | None
    revocations: Revocations
    widget_tokens: WidgetTokens | None
    _refreshing: dict[str, asyncio.Lock] = field(default_factory=dict)
    _refreshed: dict[str, tuple[float, PersonSession | None]] = field(default_factory=dict)


def _sso(request: Request) -> Sso | None:
    return getattr(request.app.state, "sso", None)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "Unauthorized", message, extra={"login_url": LOGIN_PATH})


async def person_principal(request: Request, given: str | None) -> Principal | None:
    server: ServerSettings = request.app.state.settings.server
    sso = _sso(request)
    if given is not None:
        if given.startswith(WIDGET_PREFIX) and sso is not None and sso.widget_tokens:
            return _widget_principal(request, sso, given, server)
        return None  # an API key: service.security checks it
    if server.trusted_proxy.addresses:
        who = _proxy_principal(request, server)
        if who is not None:
            return who
    if sso is not None and sso.oidc is not None and "session" in request.scope:
        session = await current_session(request, sso)
        if session is None:
            return None
        if request.method in UNSAFE_METHODS and not csrf_ok(
                session, request.headers.get(CSRF_HEADER)):
            raise ApiError(403, "Forbidden", f"this request relies on the sign-in cookie and "
                           f"has no valid {CSRF_HEADER} header (the token GET /v1/auth/me "
                           "returns): a page on another site cannot act as you")
        return person(session.user, session.groups, server.groups, "session")
    return None


async def current_session(request: Request, sso: Sso) -> PersonSession | None:
    """The request's live session (refreshed when due), or None when it has none; 401 when it
    had one that ended (expired, revoked, or refused by the provider)."""
    raw = request.session.get(SESSION_KEY)
    if raw is None:
        return None
    session = PersonSession.from_cookie(raw)
    if session is None or session.ends <= time.time():
        request.session.clear()
        raise _unauthorized("your session has ended: sign in again")
    if sso.revocations.is_revoked(session.sid):
        request.session.clear()
        raise _unauthorized("this session was signed out: sign in again")
    oidc = sso.oidc
    assert oidc is not None
    due = time.time() - session.checked >= oidc.settings.refresh_minutes * 60
    if due and session.refresh_token:
        renewed = await _refresh(sso, oidc, session)
        if renewed is None:
            sso.revocations.revoke(session.sid, session.ends)
            request.session.clear()
            raise _unauthorized("the identity provider no longer confirms this sign-in: "
                                "sign in again")
        session = renewed
        request.session[SESSION_KEY] = session.to_cookie()
    return session


async def _refresh(sso: Sso, oidc: OidcClient, session: PersonSession) -> PersonSession | None:
    lock = sso._refreshing.setdefault(session.sid, asyncio.Lock())
    async with lock:
        # a request that waited for another's refresh of this session takes its result,
        # within the refresh interval (never longer than a minute)
        window = min(_REUSE_REFRESH_SECONDS, oidc.settings.refresh_minutes * 60)
        recent = sso._refreshed.get(session.sid)
        if recent is not None and time.time() - recent[0] < window:
            return recent[1]
        result = await oidc.refresh(session.refresh_token or "")
        renewed = None if result is None else session.refreshed(
            result[0], result[1].get("refresh_token"), result[1].get("id_token"))
        now = time.time()
        sso._refreshed = {sid: v for sid, v in sso._refreshed.items()
                          if now - v[0] < _REUSE_REFRESH_SECONDS}
        sso._refreshed[session.sid] = (now, renewed)
    sso._refreshing.pop(session.sid, None)
    return renewed


def _widget_principal(request: Request, sso: Sso, token: str,
                      server: ServerSettings) -> Principal:
    assert sso.widget_tokens is not None
    try:
        body = sso.widget_tokens.read(token, request.headers.get("origin"))
    except ValueError as exc:
        raise _unauthorized(str(exc)) from None
    if sso.revocations.is_revoked(str(body.get("sid"))):
        raise _unauthorized("this session was signed out: sign in again")
    user = str(body.get("email") or body.get("sub"))
    return person(user, [str(g) for g in body.get("groups", [])], server.groups, "widget-token")


def peer_address(request: Request) -> str:
    """The TCP peer (``rag serve`` runs uvicorn without proxy-header rewriting)."""
    client = request.scope.get("client")
    return client[0] if client else ""


def _proxy_principal(request: Request, server: ServerSettings) -> Principal | None:
    proxy = server.trusted_proxy
    user = request.headers.get(proxy.user_header)
    if user is None:
        return None
    peer = peer_address(request)
    if not _from_proxy(peer, proxy.addresses):
        raise ApiError(401, "Unauthorized", f"identity headers ({proxy.user_header}) are "
                       f"honoured only from the configured proxy addresses, and this request "
                       f"came from {peer or 'an unknown address'}")
    user = user.strip()
    if not user:
        raise ApiError(401, "Unauthorized", f"the proxy sent an empty {proxy.user_header}")
    email = (request.headers.get(proxy.email_header) or "").strip()
    groups = [g.strip() for g in (request.headers.get(proxy.groups_header) or "").split(",")
              if g.strip()]
    return person(email or user, groups, server.groups, "proxy")


def _from_proxy(peer: str, addresses: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(a, strict=False) for a in addresses)
