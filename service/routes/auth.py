"""Sign-in for people (docs/sso.md): /auth/login, /auth/callback, /auth/popup, /auth/logout,
and GET /v1/auth/me (who a request acts as) and GET /v1/audit (the audit log)."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from index.errors import StoreUnavailableError
from service.errors import ApiError
from service.identity import CSRF_HEADER, LOGIN_PATH, Sso, current_session, person_principal
from service.oidc import SignInError
from service.principal import OPEN, person
from service.schemas import json_errors
from service.security import AdminAccess, check_access, presented_key
from service.sessions import SESSION_KEY, PersonSession, csrf_ok

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/v1", tags=["auth"])
_NEXT = re.compile(r"^/(?![/\\])[^\s\\]*$")  # a local path: never //host or a scheme


def _safe_next(value: str | None) -> str:
    return value if value and _NEXT.match(value) else "/"


def _base(request: Request) -> str:
    configured = request.app.state.settings.server.base_url
    return configured or str(request.base_url).rstrip("/")


def _sso(request: Request) -> Sso:
    sso = getattr(request.app.state, "sso", None)
    if sso is None or sso.oidc is None:
        raise _Page(404, "Sign-in is not configured",
                    "This service has no identity provider configured (server.oidc): use an "
                    "API key, or ask the operator to set up sign-in (docs/sso.md).")
    return sso


class _Page(Exception):
    def __init__(self, status: int, title: str, message: str, retry: str | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.retry = status, title, message, retry


def page(status: int, title: str, message: str, link: tuple[str, str] | None = None,
         body_extra: str = "") -> HTMLResponse:
    """A small self-contained page (no script unless ``body_extra`` has one)."""
    a = (f'<p><a href="{html.escape(link[0])}">{html.escape(link[1])}</a></p>'
         if link else "")
    return HTMLResponse(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
        "</title><meta name=viewport content='width=device-width'><style>body{font:16px "
        "system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p id=message>{html.escape(message)}</p>{a}"
        f"{body_extra}</body></html>", status_code=status,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _error_page(exc: _Page) -> HTMLResponse:
    return page(exc.status, exc.title, exc.message,
                (exc.retry, "Sign in again") if exc.retry else None)


@router.get("/auth/login")
async def login(request: Request, next: str | None = None) -> Response:
    try:
        sso = _sso(request)
        assert sso.oidc is not None
        request.session["next"] = _safe_next(next)
        return await sso.oidc.login_redirect(request, f"{_base(request)}/auth/callback")
    except _Page as exc:
        return _error_page(exc)
    except StoreUnavailableError as exc:
        return page(503, "Sign-in is unavailable", str(exc), (LOGIN_PATH, "Try again"))


@router.get("/auth/callback")
async def callback(request: Request) -> Response:
    try:
        sso = _sso(request)
        assert sso.oidc is not None
        identity, token = await sso.oidc.finish(request)
    except _Page as exc:
        return _error_page(exc)
    except SignInError as exc:
        return page(400, "Sign-in failed", str(exc), (LOGIN_PATH, "Sign in again"))
    except StoreUnavailableError as exc:
        return page(503, "Sign-in is unavailable", str(exc), (LOGIN_PATH, "Try again"))
    target = _safe_next(request.session.get("next"))
    request.session.clear()  # nothing from before the sign-in survives it (session fixation)
    session = PersonSession.start(identity, sso.oidc.settings.session_hours,
                                  token.get("refresh_token"), token.get("id_token"))
    request.session[SESSION_KEY] = session.to_cookie()
    return RedirectResponse(target, status_code=303)


def _allowed_origin(request: Request, origin: str) -> bool:
    return origin in request.app.state.settings.server.cors_origins


@router.get("/auth/popup")
async def popup(request: Request, origin: str | None = None) -> Response:
    """The widget on another site: sign in here, then hand the page a widget token."""
    try:
        sso = _sso(request)
    except _Page as exc:
        return _error_page(exc)
    if not origin:
        return page(400, "Sign-in refused", "the sign-in popup needs ?origin= naming the page "
                    "that embeds the widget")
    if not _allowed_origin(request, origin):
        return page(400, "Sign-in refused", f"{origin!r} is not among the origins allowed to "
                    "embed the widget (server.cors_origins must list it exactly).")
    try:
        session = await current_session(request, sso)
    except ApiError:
        session = None
    if session is None:
        here = f"/auth/popup?origin={quote(origin, safe='')}"
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(here, safe='')}", status_code=303)
    assert sso.widget_tokens is not None
    token, seconds = sso.widget_tokens.issue(session, origin)
    data = json.dumps({"type": "rag-signed-in", "token": token, "expires_in": seconds,
                       "user": session.user}).replace("<", "\\u003c")
    script = ("<script type=application/json id=grant>" + data + "</script><script>"
              "(function(){var g=JSON.parse(document.getElementById('grant').textContent);"
              f"var o={json.dumps(origin)};"
              "if(window.opener){window.opener.postMessage(g,o);window.close();}})();"
              "</script>")
    return page(200, "Signed in", f"Signed in as {session.user}. You can close this window.",
                body_extra=script)


@router.post("/auth/logout")
async def logout(request: Request) -> Response:
    wants_json = "application/json" in request.headers.get("accept", "")
    sso = getattr(request.app.state, "sso", None)
    session = PersonSession.from_cookie(request.session.get(SESSION_KEY)) if (
        "session" in request.scope) else None
    redirect = "/auth/signed-out"
    if session is not None and sso is not None:
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and "form" in request.headers.get("content-type", ""):
            presented = str((await request.form()).get("csrf") or "") or None
        if not csrf_ok(session, presented):
            raise ApiError(403, "Forbidden", f"signing out needs the {CSRF_HEADER} header (or "
                           "a 'csrf' form field) with the token GET /v1/auth/me returns")
        sso.revocations.revoke(session.sid, session.ends)
        request.session.clear()
        if sso.oidc is not None:
            redirect = await sso.oidc.logout_url(f"{_base(request)}/auth/signed-out",
                                                 session.id_token) or redirect
    if wants_json:
        return JSONResponse({"signed_out": session is not None, "redirect": redirect})
    return RedirectResponse(redirect, status_code=303)


@router.get("/auth/signed-out")
async def signed_out() -> HTMLResponse:
    return page(200, "Signed out", "You are signed out of the document assistant.",
                ("/", "Back to the assistant"))


def _admin_setup(request: Request) -> str | None:
    """How an operator gets into /admin when no admin can sign in yet; None when one can."""
    server = request.app.state.settings.server
    keys = getattr(request.app.state, "keys", None)
    named = keys is not None and keys.any_keys()
    if not server.has_keys and not named and not server.has_people:
        return None  # nothing configured: every route is open to this machine
    if server.admin_api_key is not None or (keys is not None and keys.has_role("admin")):
        return None
    if server.has_people and any(g.role == "admin" for g in server.groups.values()):
        return None
    return ("No administrator can get in yet: no admin key exists and no sign-in group has the "
            "admin role. On the server, run `rag keys create --name ops --role admin --all` and "
            "paste the key it prints here, or configure sign-in (server.oidc) with a group "
            "mapped to role 'admin' in server.groups (see docs/sso.md).")


@api.get("/auth/me", responses=json_errors(503), summary="Who this request acts as")
async def me(request: Request) -> dict[str, Any]:
    server = request.app.state.settings.server
    sso = getattr(request.app.state, "sso", None)
    oidc = sso is not None and sso.oidc is not None
    out: dict[str, Any] = {"oidc": oidc, "login_url": LOGIN_PATH if oidc else None,
                           "signed_in": False, "via": None, "user": None, "name": None,
                           "email": None, "groups": [], "collections": None, "role": None,
                           "csrf_token": None, "no_access": None,
                           "admin_setup": _admin_setup(request)}
    session = None
    if oidc and "session" in request.scope:
        try:
            session = await current_session(request, sso)
        except ApiError as exc:
            out["ended"] = str(exc)
    if session is not None:
        out.update(signed_in=True, via="session", user=session.user, name=session.name,
                   email=session.email, groups=list(session.groups),
                   csrf_token=session.csrf)
        try:
            who = person(session.user, session.groups, server.groups, "session")
            out.update(role=who.role, collections=(None if who.collections is None
                                                   else list(who.collections)))
        except ApiError as exc:
            out["no_access"] = str(exc)
        return out
    try:
        given = presented_key(request)
        who = await person_principal(request, given) or check_access(
            server, given, "read", getattr(request.app.state, "keys", None))
    except ApiError:
        return out
    out.update(signed_in=who is not OPEN, via=who.via, user=who.user or who.name,
               groups=list(who.groups), role=who.role,
               collections=None if who.collections is None else list(who.collections))
    return out


@api.get("/audit", responses=json_errors(401, 403, 503),
         summary="The audit log of admin actions (newest first)")
def audit(request: Request, who: AdminAccess, limit: int = Query(100, ge=1, le=1000),
          before: int | None = Query(None, ge=1, description="only entries older than this "
                                     "sequence number (paging)")) -> dict[str, Any]:
    log = getattr(request.app.state, "audit", None)
    if log is None:
        raise StoreUnavailableError("the service is still starting: the audit log is opening")
    entries = log.entries(limit, before, who.collections)
    return {"entries": [e.to_dict() for e in entries],
            "next_before": entries[-1].seq if len(entries) == limit else None}
