"""API keys: a read key for asking, an admin key for changing documents.

Two kinds of key open the service: the bootstrap keys in the settings (``server.read_api_key``,
``server.admin_api_key``; every collection) and the named keys made with ``rag keys create``
(:mod:`service.keys`: a role and the collections they open, stored hashed, revocable). A route's
dependency returns the :class:`Principal` the request acts as. Once a named key exists the
service is closed to requests without one.

Keys arrive as ``Authorization: Bearer KEY`` (what OpenAI SDKs send) or ``X-API-Key: KEY`` and
are compared in constant time. They are never logged: the settings hold them as ``SecretStr`` and
the access log records the route, never headers. Without any key configured every route is open
and ``rag serve`` binds to 127.0.0.1 only.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from pydantic import SecretStr

from index.errors import StoreUnavailableError
from rag.settings import ServerSettings
from service.errors import ApiError
from service.identity import LOGIN_PATH, person_principal
from service.keys import KeyStore
from service.principal import OPEN, Access, Principal

__all__ = ["OPEN", "AdminAccess", "Principal", "ReadAccess", "check_access", "presented_key"]


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def _matches(given: str, key: SecretStr | None) -> bool:
    return key is not None and hmac.compare_digest(given.encode(), key.get_secret_value().encode())


def _identify(server: ServerSettings, keys: KeyStore | None, given: str) -> Principal | None:
    if _matches(given, server.admin_api_key):
        return Principal("admin key (settings)", "admin")
    if _matches(given, server.read_api_key):
        return Principal("read key (settings)", "read")
    record = keys.find(given) if keys is not None else None
    if record is None:
        return None
    return Principal(record.name, record.role, record.collections)


def check_access(server: ServerSettings, given: str | None, access: Access,
                 keys: KeyStore | None = None) -> Principal:
    """The principal ``given`` acts as, or 401/403 unless it opens ``access`` (see the module
    docstring for the rules)."""
    named = keys is not None and keys.any_keys()
    if not server.has_keys and not named and not server.has_people:
        return OPEN
    who = _identify(server, keys, given) if given is not None else None
    if access == "read" and server.read_api_key is None and not named and not server.has_people:
        return who or Principal("anonymous", "read")  # only an admin key is set: reads open
    if access == "admin" and server.admin_api_key is None and not (
            keys is not None and keys.has_role("admin")):
        raise ApiError(403, "Forbidden", "changing documents is disabled: no admin key is "
                       "configured (set RAG_SERVER__ADMIN_API_KEY or 'rag keys create --role "
                       "admin')")
    if given is None and server.oidc is not None:
        raise ApiError(401, "Unauthorized", f"sign in first (GET {LOGIN_PATH}), or send a "
                       f"{access} API key as 'Authorization: Bearer KEY'",
                       extra={"login_url": LOGIN_PATH})
    if given is None:
        raise ApiError(401, "Unauthorized", f"this route needs a {access} API key: send "
                       "'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
    if who is None:
        raise ApiError(401, "Unauthorized", "the API key is not valid (unknown or revoked)")
    if access == "admin" and who.role != "admin":
        raise ApiError(403, "Forbidden", f"the key {who.name!r} has the read role and cannot "
                       "change anything: use an admin key")
    return who


def allow(who: Principal, access: Access) -> Principal:
    """``who`` if its role opens ``access``, else 403."""
    if access == "admin" and who.role != "admin":
        raise ApiError(403, "Forbidden", f"{who.name!r} has the read role and cannot change "
                       "anything: this needs an admin")
    return who


def _require(access: Access):  # noqa: ANN202
    # async: run on the event loop, not handed to the thread pool (service.deps). The key
    # store's reads are a cached lookup and, when another process changed the keys, one
    # SQLite read of a WAL file, which never waits for a writer.
    async def dependency(request: Request) -> Principal:
        state = request.app.state
        keys = getattr(state, "keys", None)
        if keys is None and getattr(state, "keys_required", False):
            raise StoreUnavailableError("the service is still starting: the key store is opening")
        given = presented_key(request)
        who = await person_principal(request, given)
        if who is not None:
            return allow(who, access)
        return check_access(state.settings.server, given, access, keys)

    return dependency


ReadAccess = Annotated[Principal, Depends(_require("read"))]
AdminAccess = Annotated[Principal, Depends(_require("admin"))]
