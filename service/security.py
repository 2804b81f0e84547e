"""API keys: a read key for asking, an admin key for changing documents.

Keys arrive as ``Authorization: Bearer KEY`` (what OpenAI SDKs send) or ``X-API-Key: KEY`` and
are compared in constant time. They are never logged: the settings hold them as ``SecretStr`` and
the access log records the route, never headers. Without any key configured every route is open
and ``rag serve`` binds to 127.0.0.1 only.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import SecretStr

from rag.settings import ServerSettings
from service.errors import ApiError

Access = Literal["read", "admin"]


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def _matches(given: str, key: SecretStr | None) -> bool:
    return key is not None and hmac.compare_digest(given.encode(), key.get_secret_value().encode())


def check_access(server: ServerSettings, given: str | None, access: Access) -> None:
    """Raise 401/403 unless ``given`` opens ``access``; see the module docstring for the rules."""
    if not server.has_keys:
        return
    if access == "read" and server.read_api_key is None:
        return
    if access == "admin" and server.admin_api_key is None:
        raise ApiError(403, "Forbidden", "changing documents is disabled: no admin key is "
                       "configured (set RAG_SERVER__ADMIN_API_KEY)")
    if given is None:
        raise ApiError(401, "Unauthorized", f"this route needs the {access} API key: send "
                       "'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
    if _matches(given, server.admin_api_key):
        return
    if access == "read" and _matches(given, server.read_api_key):
        return
    if _matches(given, server.read_api_key):
        raise ApiError(403, "Forbidden", "the read key cannot change documents: use the admin key")
    raise ApiError(401, "Unauthorized", "the API key is not valid")


def _require(access: Access):  # noqa: ANN202
    def dependency(request: Request) -> None:
        check_access(request.app.state.settings.server, presented_key(request), access)

    return dependency


ReadAccess = Annotated[None, Depends(_require("read"))]
AdminAccess = Annotated[None, Depends(_require("admin"))]
