"""Staff sign-in over HTTP against a real OpenID provider (oidc-provider on Node, tests/sso/
conftest.py): the session, its end, CSRF, refresh, widget tokens, the trusted proxy, the audit
log. The browser flows are in test_sign_in_browser.py.

The app runs over the stand-in pipeline of the security table (what is tested here is who gets
in, not the answer); collection scoping with real documents is in the browser tests and in
tests/service/test_security_collections.py, which the same ``Principal`` goes through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from service.oidc import OidcClient, SignInError
from tests.helpers import LiveServer, make_settings
from tests.service.test_security_table import stand_in_pipeline
from tests.sso.conftest import CLIENT_SECRET, OidcProvider, client
from tests.sso.test_provider_harness import CALLBACK as HARNESS_CALLBACK
from tests.sso.test_provider_harness import Login

pytestmark = pytest.mark.slow
APP = "http://testserver"
ADMIN_KEY = "admin-key-for-the-sso-tests-0123"
GROUPS = {"hr-staff": {"collections": ["hr"], "role": "read"},
          "rag-admins": {"collections": ["*"], "role": "admin"}}
SECRET = "session-secret-for-the-sso-tests-0123456789"


@pytest.fixture(scope="module")
def provider(oidc_provider_factory) -> OidcProvider:
    return oidc_provider_factory(clients=[
        client([f"{APP}/auth/callback"], [f"{APP}/auth/signed-out"]),
        client(["http://127.0.0.1:9/cb"], client_id="other"),
        # the harness's Login helper redirects to its own callback
        client([HARNESS_CALLBACK], client_id="stranger"),
    ])


def oidc_settings(provider: OidcProvider, **more) -> dict:
    return {"issuer": provider.issuer, "client_id": "rag", "client_secret": CLIENT_SECRET,
            "scopes": ["openid", "profile", "email", "groups"], "session_secret": SECRET,
            **more}


def app_for(tmp_path, provider, *, oidc: dict | None = None, **server) -> TestClient:
    from service.app import create_app

    settings = make_settings(tmp_path / "data", server={
        "oidc": oidc_settings(provider, **(oidc or {})), "groups": GROUPS,
        "admin_api_key": ADMIN_KEY, **server})
    return TestClient(create_app(settings, stand_in_pipeline()), follow_redirects=False)


@dataclass
class SignedIn:
    app: TestClient
    callback: str  # the provider's redirect back, with code and state
    me: dict

    @property
    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.me["csrf_token"]}


def sign_in(app: TestClient, provider: OidcProvider, user: str, next: str = "/",
            at_provider: float = 0.0) -> SignedIn:
    start = app.get(f"/auth/login?next={next}")
    assert start.status_code == 302, start.text
    time.sleep(at_provider)  # the person reading the provider's page
    with httpx.Client(timeout=10) as http:
        back = provider.sign_in(http, start.headers["location"], user, f"{user}-pw")
    callback = back.headers["location"].removeprefix(APP)
    done = app.get(callback)
    assert done.status_code == 303 and done.headers["location"] == next, done.text
    return SignedIn(app, callback, app.get("/v1/auth/me").json())


@pytest.fixture
def app(tmp_path, provider) -> Iterator[TestClient]:
    with app_for(tmp_path, provider) as c:
        yield c


def test_without_a_session_the_api_says_where_to_sign_in(app):
    reply = app.post("/v1/ask", json={"question": "How many days of leave?"})
    assert reply.status_code == 401
    assert reply.json()["error"]["login_url"] == "/auth/login"
    assert app.get("/v1/auth/me").json()["signed_in"] is False
    # an API key keeps working beside sign-in
    assert app.get("/v1/audit", headers={"X-API-Key": ADMIN_KEY}).status_code == 200


def test_a_session_carries_the_groups_collections_and_role(app, provider):
    alice = sign_in(app, provider, "alice", next="/admin")
    assert alice.me | {"csrf_token": None} == alice.me | {
        "signed_in": True, "via": "session", "user": "alice@example.org",
        "name": "Alice Archer", "groups": ["hr-staff"], "collections": ["hr"], "role": "read",
        "csrf_token": None}
    assert alice.me["csrf_token"]
    cookie = app.cookies.get("rag_session")
    assert cookie and "alice" not in cookie.split(".")[-1]  # the signature is not the payload
    # read role: the admin routes refuse her
    assert app.get("/v1/audit").status_code == 403


def test_a_used_state_is_refused(app, provider):
    alice = sign_in(app, provider, "alice")
    again = app.get(alice.callback)
    assert again.status_code == 400 and "already used" in again.text
    # a callback with a state this browser never started is refused the same way
    forged = alice.callback.replace("state=", "state=x")
    assert app.get(forged).status_code == 400


def test_a_tampered_or_foreign_cookie_is_no_session(app, provider):
    sign_in(app, provider, "alice")
    good = app.cookies.get("rag_session")
    payload, _, rest = good.partition(".")
    app.cookies.clear()
    app.cookies.set("rag_session", payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
                    + "." + rest)
    assert app.post("/v1/ask", json={"question": "x"}).status_code == 401
    # signed with another deployment's secret: no session either
    from itsdangerous import TimestampSigner

    foreign = TimestampSigner("another-deployment-secret-0123456789abcdef").sign(
        payload.encode()).decode()
    app.cookies.clear()
    app.cookies.set("rag_session", foreign)
    assert app.post("/v1/ask", json={"question": "x"}).status_code == 401


def test_a_session_ends_at_its_hour(tmp_path, provider):
    with app_for(tmp_path, provider, oidc={"session_hours": 1 / 3600}) as app:
        # a sign-in slower than the session is long still completes: the pending sign-in's
        # cookie does not end with the session it is about to start
        sign_in(app, provider, "alice", at_provider=1.2)
        assert app.get("/v1/auth/me").json()["signed_in"] is True
        time.sleep(1.2)
        reply = app.post("/v1/ask", json={"question": "x"}, headers={})
        assert reply.status_code == 401, reply.text


def test_state_changes_need_the_csrf_token(app, provider):
    alice = sign_in(app, provider, "alice")
    body = {"answer_id": "0" * 32, "rating": "up"}
    refused = app.post("/v1/feedback", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["error"]["message"]
    wrong = app.post("/v1/feedback", json=body, headers={"X-CSRF-Token": "not-the-token"})
    assert wrong.status_code == 403
    passed = app.post("/v1/feedback", json=body, headers=alice.csrf)
    assert passed.status_code == 404  # past the guard: no such answer
    assert app.post("/auth/logout").status_code == 403  # logout too


def test_refresh_follows_group_changes_and_a_disabled_user_is_signed_out(tmp_path, provider):
    with app_for(tmp_path, provider, oidc={"refresh_minutes": 0}) as app:
        try:
            sign_in(app, provider, "alice")
            assert app.get("/v1/audit").status_code == 403
            provider.set_groups("alice", ["rag-admins"])
            assert app.get("/v1/audit").status_code == 200  # refreshed: now an admin
            assert app.get("/v1/auth/me").json()["groups"] == ["rag-admins"]
            provider.disable("alice")
            ended = app.get("/v1/audit")
            assert ended.status_code == 401 and "no longer" in ended.json()["error"]["message"]
        finally:
            provider.enable("alice")
            provider.set_groups("alice", ["hr-staff"])


def test_a_user_without_a_mapped_group_is_told_so(app, provider):
    carol = sign_in(app, provider, "carol")
    assert "none of your groups" in carol.me["no_access"]
    reply = app.post("/v1/ask", json={"question": "x"}, headers=carol.csrf)
    assert reply.status_code == 403 and reply.json()["error"]["type"] == "NoAccess"


def test_logout_revokes_the_session_everywhere(tmp_path, provider):
    with app_for(tmp_path, provider) as app:
        alice = sign_in(app, provider, "alice")
        copy = app.cookies.get("rag_session")
        out = app.post("/auth/logout", headers={**alice.csrf, "Accept": "application/json"})
        redirect = out.json()["redirect"]
        assert redirect.startswith(provider.discovery["end_session_endpoint"])
        assert parse_qs(urlsplit(redirect).query)["post_logout_redirect_uri"] == [
            f"{APP}/auth/signed-out"]
        app.cookies.clear()
        app.cookies.set("rag_session", copy)
        reply = app.post("/v1/ask", json={"question": "x"}, headers=alice.csrf)
        assert reply.status_code == 401 and "signed out" in reply.json()["error"]["message"]
        # another replica (another app over the same data directory) refuses it as well
        from service.app import create_app

        replica = create_app(app.app.state.settings, stand_in_pipeline())
        with TestClient(replica) as other:
            other.cookies.set("rag_session", copy)
            assert other.get("/v1/documents").status_code == 401


def test_an_id_token_for_another_client_is_refused(provider):
    login = Login(provider, "alice", "alice-pw", client_id="stranger")
    tokens = httpx.post(provider.discovery["token_endpoint"], data={
        "grant_type": "authorization_code", "code": login.code,
        "redirect_uri": HARNESS_CALLBACK, "code_verifier": login.verifier},
        auth=("stranger", CLIENT_SECRET), timeout=10).json()
    from rag.settings.serving import OidcSettings

    ours = OidcClient(OidcSettings(**oidc_settings(provider)))
    with pytest.raises(SignInError, match="aud"):
        asyncio.run(ours.check_id_token(tokens["id_token"], login.nonce))
    theirs = OidcClient(OidcSettings(**oidc_settings(provider, client_id="stranger")))
    claims = asyncio.run(theirs.check_id_token(tokens["id_token"], login.nonce))
    assert claims["aud"] == "stranger" and claims["groups"] == ["hr-staff"]
    with pytest.raises(SignInError, match="nonce"):  # a replayed token for another sign-in
        asyncio.run(theirs.check_id_token(tokens["id_token"], "another-nonce"))


def test_widget_tokens_hold_for_their_origin_only(tmp_path, provider):
    page = "http://127.0.0.1:8123"
    with app_for(tmp_path, provider, cors_origins=[page]) as app:
        assert "not among the origins" in app.get(
            "/auth/popup?origin=http://evil.example").text
        sign_in(app, provider, "alice")
        grant = app.get(f"/auth/popup?origin={page}")
        assert grant.status_code == 200
        token = grant.text.split('"token": "')[1].split('"')[0]
        assert token.startswith("rwt.")
        app.cookies.clear()  # another site's page has no cookie: only the token
        bearer = {"Authorization": f"Bearer {token}"}
        me = app.get("/v1/auth/me", headers={**bearer, "Origin": page}).json()
        assert me["via"] == "widget-token" and me["collections"] == ["hr"]
        assert app.get("/v1/documents", headers={**bearer, "Origin": page}).status_code != 401
        other = app.get("/v1/documents", headers={**bearer, "Origin": "http://127.0.0.1:9999"})
        assert other.status_code == 401 and "issued for" in other.json()["error"]["message"]
        forged = app.get("/v1/documents", headers={"Authorization": f"Bearer {token[:-3]}abc",
                                                   "Origin": page})
        assert forged.status_code == 401
        # the read role of the token's groups: no admin route
        assert app.get("/v1/audit", headers={**bearer, "Origin": page}).status_code == 403
        # signing the session out ends its widget tokens too
        sign_in(app, provider, "alice")
        me2 = app.get("/v1/auth/me").json()
        grant2 = app.get(f"/auth/popup?origin={page}").text
        token2 = grant2.split('"token": "')[1].split('"')[0]
        app.post("/auth/logout", headers={"X-CSRF-Token": me2["csrf_token"]})
        gone = app.get("/v1/documents", headers={"Authorization": f"Bearer {token2}",
                                                 "Origin": page})
        assert gone.status_code == 401


def test_admin_actions_are_audited_under_the_persons_name(app, provider):
    bob = sign_in(app, provider, "bob")
    assert bob.me["role"] == "admin" and bob.me["collections"] is None
    key = app.post("/v1/keys", json={"name": "kiosk", "role": "read"}, headers=bob.csrf)
    assert key.status_code == 201
    assert app.post("/v1/keys/kiosk/revoke", headers=bob.csrf).status_code == 200
    entries = app.get("/v1/audit").json()["entries"]
    assert [(e["actor"], e["via"], e["action"], e["target"]) for e in entries[:2]] == [
        ("bob@example.org", "session", "key.revoke", "kiosk"),
        ("bob@example.org", "session", "key.create", "kiosk")]
    # the same action with the admin key is recorded under the key's name
    app.post("/v1/keys", json={"name": "kiosk2", "role": "read"},
             headers={"X-API-Key": ADMIN_KEY})
    newest = app.get("/v1/audit").json()["entries"][0]
    assert (newest["actor"], newest["via"]) == ("admin key (settings)", "key")
    assert all(e["request_id"] for e in entries[:2])


def test_trusted_proxy_headers_only_from_its_address(tmp_path, provider):
    from service.app import create_app

    settings = make_settings(tmp_path / "data", server={
        "groups": GROUPS, "admin_api_key": ADMIN_KEY,
        "trusted_proxy": {"addresses": ["127.0.0.2/32"]}})
    headers = {"X-Forwarded-User": "dave", "X-Forwarded-Email": "dave@example.org",
               "X-Forwarded-Groups": "staff, hr-staff"}
    with LiveServer(create_app(settings, stand_in_pipeline())) as server:
        direct = httpx.get(f"{server.url}/v1/auth/me", headers=headers)
        assert direct.json()["signed_in"] is False
        refused = httpx.get(f"{server.url}/v1/documents", headers=headers)
        assert refused.status_code == 401
        assert "127.0.0.1" in refused.json()["error"]["message"]
        # a forwarded-for header does not make the peer the proxy
        spoofed = httpx.get(f"{server.url}/v1/documents",
                            headers={**headers, "X-Forwarded-For": "127.0.0.2"})
        assert spoofed.status_code == 401
        via_proxy = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with via_proxy:
            me = via_proxy.get(f"{server.url}/v1/auth/me", headers=headers).json()
            assert (me["via"], me["user"], me["collections"], me["role"]) == (
                "proxy", "dave@example.org", ["hr"], "read")
            assert via_proxy.get(f"{server.url}/v1/documents").status_code == 401  # no headers
            unmapped = via_proxy.get(f"{server.url}/v1/documents", headers={
                **headers, "X-Forwarded-Groups": "staff"})
            assert unmapped.status_code == 403


def test_first_run_admin_page_says_how_to_get_in(tmp_path):
    from service.app import create_app

    settings = make_settings(tmp_path / "data",
                             server={"read_api_key": "read-key-for-the-first-run-0123"})
    with TestClient(create_app(settings, stand_in_pipeline())) as app:
        setup = app.get("/v1/auth/me").json()["admin_setup"]
        assert "rag keys create" in setup and "server.oidc" in setup
