"""The OpenID Connect client (Authlib): sign-in redirects, the code exchange, ID token checks,
refresh and the provider's logout URL.

Authlib does the protocol: discovery, PKCE (S256), state and nonce (kept in the signed session
cookie between the redirect and the callback, and cleared once used, so a replayed callback
finds no state), the token request, and the ID token's signature (the provider's JWKS),
issuer, audience, expiry and nonce. This module turns its results and errors into the user's
identity or an error that says what went wrong.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.starlette_client import OAuth, OAuthError
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse

from index.errors import StoreUnavailableError
from rag.settings.serving import OidcSettings

log = logging.getLogger("rag.sso")
NAME = "idp"


class SignInError(Exception):
    """The sign-in could not be completed: the message says why, for the person."""


@dataclass(frozen=True)
class Identity:
    """Who the provider says the person is."""

    sub: str
    name: str
    email: str
    groups: tuple[str, ...]

    @property
    def user(self) -> str:
        return self.email or self.sub


def _groups(claims: dict[str, Any], claim: str) -> tuple[str, ...]:
    value = claims.get(claim)
    if value is None:
        return ()
    if isinstance(value, str):  # some providers send one group, or a space-separated list
        value = value.replace(",", " ").split()
    return tuple(dict.fromkeys(str(g) for g in value if str(g)))


def _unverified_audience(id_token: str) -> list[str] | None:
    """The ``aud`` of a JWT, read without checking it (only to word an error)."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    aud = claims.get("aud") if isinstance(claims, dict) else None
    return [aud] if isinstance(aud, str) else [str(a) for a in aud] if isinstance(aud, list) else None


class OidcClient:
    """One per app (the settings' provider); replicas share nothing but the settings."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        scopes = list(dict.fromkeys(["openid", *settings.scopes]))
        self._oauth = OAuth()
        self._oauth.register(
            NAME, client_id=settings.client_id,
            client_secret=(settings.client_secret.get_secret_value()
                           if settings.client_secret else None),
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": " ".join(scopes), "code_challenge_method": "S256",
                           "timeout": 10.0,
                           "token_endpoint_auth_method": ("client_secret_basic"
                                                          if settings.client_secret else "none")})

    @property
    def _app(self) -> Any:
        return getattr(self._oauth, NAME)

    def _unreachable(self, exc: Exception) -> StoreUnavailableError:
        return StoreUnavailableError(f"the identity provider {self.settings.issuer} cannot be "
                                     f"reached ({type(exc).__name__}); try again shortly")

    async def metadata(self) -> dict[str, Any]:
        try:
            return await self._app.load_server_metadata()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._unreachable(exc) from None

    async def login_redirect(self, request: Request, redirect_uri: str) -> RedirectResponse:
        await self.metadata()
        return await self._app.authorize_redirect(request, redirect_uri)

    async def finish(self, request: Request) -> tuple[Identity, dict[str, Any]]:
        """The callback: the code exchanged and the ID token checked; the identity and the
        token response (its refresh token is kept in the session)."""
        error = request.query_params.get("error")
        if error:
            raise SignInError(f"the identity provider refused the sign-in: {error} "
                              f"({request.query_params.get('error_description', '')})")
        try:
            token = await self._app.authorize_access_token(request)
        except MismatchingStateError:
            raise SignInError("this sign-in link was already used, has expired, or was "
                              "started in another browser: start again") from None
        except OAuthError as exc:
            raise SignInError(f"the sign-in failed: {exc.error} {exc.description or ''}"
                              .strip()) from None
        except (AuthlibBaseError, JoseError) as exc:
            raise SignInError(f"the identity provider's ID token was refused "
                              f"({type(exc).__name__}: {exc})") from None
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise SignInError("the identity provider sent no ID token: is 'openid' among "
                              "its allowed scopes for this client?")
        return await self._identity(claims, token), token

    async def check_id_token(self, id_token: str, nonce: str | None,
                             access_token: str | None = None) -> dict[str, Any]:
        """The claims of ``id_token`` once its signature, issuer, audience (this client),
        expiry and nonce are checked; SignInError otherwise."""
        token = {"id_token": id_token}
        if access_token:
            token["access_token"] = access_token
        try:
            return dict(await self._app.parse_id_token(token, nonce))
        except (AuthlibBaseError, JoseError) as exc:
            raise SignInError(self._refusal(id_token, exc)) from None

    def _refusal(self, id_token: str, exc: Exception) -> str:
        """Why an ID token was refused, naming a wrong audience plainly."""
        audience = _unverified_audience(id_token)
        if audience is not None and self.settings.client_id not in audience:
            return (f"the ID token was refused: its audience (aud) is {', '.join(audience)}, "
                    f"not this service's client id {self.settings.client_id!r}")
        return f"the ID token was refused ({type(exc).__name__}: {exc})"

    async def _identity(self, claims: dict[str, Any], token: dict[str, Any]) -> Identity:
        claim = self.settings.groups_claim
        if claim not in claims and token.get("access_token"):
            claims = {**claims, **await self._userinfo(token)}
        sub = str(claims.get("sub") or "")
        if not sub:
            raise SignInError("the identity provider's ID token has no subject ('sub')")
        return Identity(sub, str(claims.get("name") or claims.get("preferred_username") or ""),
                        str(claims.get("email") or ""), _groups(claims, claim))

    async def _userinfo(self, token: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(await self._app.userinfo(token=token))
        except httpx.HTTPStatusError:
            return {}
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None

    async def refresh(self, refresh_token: str) -> tuple[Identity, dict[str, Any]] | None:
        """Ask the provider again: the person's identity and groups now, and the new token
        response; None when the provider no longer accepts the refresh token (the session
        ends)."""
        try:
            token = await self._app.fetch_access_token(grant_type="refresh_token",
                                                       refresh_token=refresh_token)
        except AuthlibBaseError as exc:
            log.info("refresh refused by the provider: %s", getattr(exc, "error", exc))
            return None
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from None
        claims = await self._userinfo(token)
        if not claims.get("sub"):
            return None
        return await self._identity(claims, token), token

    async def logout_url(self, post_logout_redirect_uri: str,
                         id_token_hint: str | None) -> str | None:
        """The provider's end-session URL (RP-initiated logout), or None if it has none."""
        try:
            metadata = await self.metadata()
        except StoreUnavailableError:
            return None
        endpoint = metadata.get("end_session_endpoint")
        if not endpoint:
            return None
        params = {"client_id": self.settings.client_id,
                  "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        return str(httpx.URL(endpoint, params=params))
