"""The OIDC test provider (tests/sso/conftest.py) is a real one: discovery, the authorization code
flow with PKCE driven over HTTP, an ID token signed by its JWKS with the user's groups, refresh
tokens that follow ``set_groups`` and stop after ``disable``, single-use codes, refused bad logins
and RP-initiated logout. One provider serves the module."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.sso.conftest import (CLIENT_ID, CLIENT_SECRET, OidcProvider, client, code_challenge,
                                page_form)

pytestmark = pytest.mark.slow

APP = "http://127.0.0.1:9"  # nothing listens: the redirect's Location is read, never followed
CALLBACK, AFTER_LOGOUT = f"{APP}/auth/callback", f"{APP}/signed-out"
POST_CLIENT = "rag-post"


@pytest.fixture(scope="module")
def provider(oidc_provider_factory) -> OidcProvider:
    return oidc_provider_factory(clients=[
        client([CALLBACK], [AFTER_LOGOUT]),
        client([CALLBACK], client_id=POST_CLIENT, token_endpoint_auth_method="client_secret_post"),
    ])


class Login:
    """One browser-less sign-in: the code from the redirect, its verifier, state and nonce."""

    def __init__(self, provider: OidcProvider, user: str, password: str,
                 client_id: str = CLIENT_ID) -> None:
        self.provider, self.client_id = provider, client_id
        self.verifier, self.state, self.nonce = (secrets.token_urlsafe(48),
                                                 secrets.token_urlsafe(16),
                                                 secrets.token_urlsafe(16))
        query = urlencode({
            "client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK,
            "scope": "openid profile email groups", "state": self.state, "nonce": self.nonce,
            "code_challenge": code_challenge(self.verifier), "code_challenge_method": "S256"})
        self.http = httpx.Client(timeout=10)
        self.reply = provider.sign_in(self.http, f"{provider.discovery['authorization_endpoint']}"
                                      f"?{query}", user, password)

    @property
    def code(self) -> str:
        location = self.reply.headers["location"]
        assert location.startswith(CALLBACK + "?"), location
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert params["state"] == self.state and params["iss"] == self.provider.issuer
        return params["code"]

    def token(self, **form: str) -> httpx.Response:
        endpoint = self.provider.discovery["token_endpoint"]
        if self.client_id == POST_CLIENT:
            form.update(client_id=POST_CLIENT, client_secret=CLIENT_SECRET)
            return httpx.post(endpoint, data=form, timeout=10)
        return httpx.post(endpoint, data=form, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)

    def exchange(self, code: str) -> httpx.Response:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                          code_verifier=self.verifier)


def id_claims(provider: OidcProvider, id_token: str, nonce: str | None = None) -> dict:
    """The ID token's claims, its signature checked against the provider's JWKS."""
    keys = KeySet.import_key_set(httpx.get(provider.discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(id_token, keys, algorithms=["RS256"]).claims
    expected = {"iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": CLIENT_ID}, "exp": {"essential": True}}
    if nonce is not None:
        expected["nonce"] = {"essential": True, "value": nonce}
    jwt.JWTClaimsRegistry(**expected).validate(claims)
    return claims


def test_discovery_names_the_endpoints_and_s256(provider):
    found = provider.discovery
    assert found["issuer"] == provider.issuer
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri",
                     "end_session_endpoint", "userinfo_endpoint"):
        assert found[endpoint].startswith(provider.issuer + "/"), endpoint
    assert "S256" in found["code_challenge_methods_supported"]
    assert {"openid", "profile", "email", "groups"} <= set(found["scopes_supported"])
    assert httpx.get(provider.url("/__test/health"), timeout=10).json()["ok"] is True


def test_code_flow_with_pkce_gives_a_signed_id_token_with_groups(provider):
    login = Login(provider, "alice", "alice-pw")
    tokens = login.exchange(login.code).json()
    claims = id_claims(provider, tokens["id_token"], login.nonce)
    assert claims["aud"] == CLIENT_ID and claims["sub"] == "alice"
    assert claims["groups"] == ["hr-staff"]
    assert (claims["email"], claims["name"]) == ("alice@example.org", "Alice Archer")
    assert tokens["refresh_token"] and tokens["token_type"] == "Bearer"
    me = httpx.get(provider.discovery["userinfo_endpoint"], timeout=10,
                   headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert me["groups"] == ["hr-staff"] and me["sub"] == "alice"


def test_refresh_follows_group_changes_and_stops_when_the_user_is_disabled(provider):
    login = Login(provider, "carol", "carol-pw")
    tokens = login.exchange(login.code).json()
    assert id_claims(provider, tokens["id_token"])["groups"] == []
    provider.set_groups("carol", ["hr-staff", "rag-admins"])
    refreshed = login.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert id_claims(provider, refreshed.json()["id_token"])["groups"] == ["hr-staff",
                                                                          "rag-admins"]
    provider.disable("carol")
    try:
        refused = login.token(grant_type="refresh_token",
                              refresh_token=refreshed.json().get("refresh_token",
                                                                 tokens["refresh_token"]))
    finally:
        provider.enable("carol")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_client_secret_post_and_a_code_works_once(provider):
    login = Login(provider, "bob", "bob-pw", client_id=POST_CLIENT)
    code = login.code
    first = login.exchange(code)
    assert first.status_code == 200, first.text
    again = login.exchange(code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_wrong_verifier_is_refused(provider):
    login = Login(provider, "alice", "alice-pw")
    login.verifier = secrets.token_urlsafe(48)
    refused = login.exchange(login.code)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("user, password", [("alice", "wrong"), ("mallory", "x")])
def test_a_bad_login_is_refused(provider, user, password):
    login = Login(provider, user, password)
    assert login.reply.status_code == 401
    assert "Sign-in refused" in login.reply.text and "location" not in login.reply.headers


def test_rp_initiated_logout_returns_to_the_app(provider):
    login = Login(provider, "alice", "alice-pw")
    tokens = login.exchange(login.code).json()
    query = urlencode({"id_token_hint": tokens["id_token"], "client_id": CLIENT_ID,
                       "post_logout_redirect_uri": AFTER_LOGOUT, "state": "bye"})
    page = login.http.get(f"{provider.discovery['end_session_endpoint']}?{query}")
    assert page.status_code == 200 and "op.logoutForm" in page.text
    action, hidden = page_form(page)
    done = login.http.post(action, data={**hidden, "logout": "yes"})
    assert done.status_code in (302, 303)
    assert done.headers["location"] == f"{AFTER_LOGOUT}?state=bye"
    # The refresh token ends with the provider's session (no offline_access was asked for).
    after = login.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
