"""Every route's protection, table-driven, and keys kept out of logs, errors and metrics.

``ROUTES`` says, for every (method, path) the app serves, who may call it. The test enumerates
the routes from the app itself (``app.routes``, through FastAPI's route contexts), so a route
added without a row here fails ``test_every_route_is_in_the_table``; every row is then tried
without a key, with a key that is wrong, and with the key of the wrong role, and must be refused
(401/403, one error shape); with the right key it must get past the guard.

The table's rows are ``Rule``s; their ``scope`` column says what a key limited to another
collection meets on the route, tried with real data in test_security_collections.py.

No model is loaded: the app runs over a stand-in pipeline (what the guards protect is the route,
not the answer), so this is in the fast subset.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from index.errors import NotFoundError
from service.logs import JsonFormatter
from tests.helpers import make_settings

READ_KEY = "read-key-s3cr3t-0123456789"
ADMIN_KEY = "admin-key-s3cr3t-0123456789"
WRONG_KEY = "wrong-key-s3cr3t-0123456789"
SECRETS = (READ_KEY, ADMIN_KEY, WRONG_KEY, "s3cr3t")


@dataclass(frozen=True)
class Rule:
    access: Literal["public", "read", "admin"]
    # What a key scoped to collection A meets on this route (tests/service/
    # test_security_collections.py tries each with B's resources): "own" reads or writes
    # collection-scoped data and shows A's only (B's is a 404 like a missing one); "every"
    # acts on every collection at once and needs a key for every collection (403); "none"
    # holds no collection data.
    scope: Literal["none", "own", "every"] = "own"


ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): Rule("public", "none"),
    ("GET", "/docs"): Rule("public", "none"),
    ("GET", "/docs/oauth2-redirect"): Rule("public", "none"),
    ("GET", "/redoc"): Rule("public", "none"),
    ("GET", "/healthz"): Rule("public", "none"),
    ("GET", "/readyz"): Rule("public", "none"),
    ("GET", "/metrics"): Rule("public", "none"),
    ("GET", "/"): Rule("public", "none"),
    ("GET", "/widget.js"): Rule("public", "none"),
    ("GET", "/admin"): Rule("public", "none"),  # the page; it asks for the admin key
    ("GET", "/admin.js"): Rule("public", "none"),
    # the PDF viewer's page, script, style and pdf.js: no data (the PDF comes from /v1/files)
    ("GET", "/viewer"): Rule("public", "none"),
    ("GET", "/viewer.mjs"): Rule("public", "none"),
    ("GET", "/viewer.css"): Rule("public", "none"),
    ("GET", "/pdfjs/{name}"): Rule("public", "none"),
    # sign-in for people (docs/sso.md): 404 pages without OIDC; tried with a real provider in
    # tests/sso/. /v1/auth/me tells only the caller about the caller.
    ("GET", "/auth/login"): Rule("public", "none"),
    ("GET", "/auth/callback"): Rule("public", "none"),
    ("GET", "/auth/popup"): Rule("public", "none"),
    ("POST", "/auth/logout"): Rule("public", "none"),
    ("GET", "/auth/signed-out"): Rule("public", "none"),
    ("GET", "/v1/auth/me"): Rule("public", "none"),
    ("GET", "/v1/audit"): Rule("admin"),
    ("POST", "/v1/ask"): Rule("read"),
    ("POST", "/v1/ask/stream"): Rule("read"),
    ("POST", "/v1/chat/completions"): Rule("read"),
    ("POST", "/v1/feedback"): Rule("read"),
    ("GET", "/v1/documents"): Rule("read"),
    ("GET", "/v1/documents/{doc_id:path}"): Rule("read"),
    ("GET", "/v1/files/{doc_id:path}"): Rule("read"),
    ("GET", "/v1/eval/latest"): Rule("read"),
    ("GET", "/v1/eval/latest.html"): Rule("read"),
    ("GET", "/v1/overview"): Rule("read"),
    ("GET", "/v1/collections"): Rule("read"),
    ("POST", "/v1/collections"): Rule("admin", "every"),
    ("GET", "/v1/keys"): Rule("admin", "every"),
    ("POST", "/v1/keys"): Rule("admin", "every"),
    ("POST", "/v1/keys/{name}/revoke"): Rule("admin", "every"),
    ("GET", "/v1/feedback"): Rule("admin"),
    ("POST", "/v1/documents"): Rule("admin"),
    ("DELETE", "/v1/documents/{doc_id:path}"): Rule("admin"),
    ("GET", "/v1/gaps"): Rule("admin"),
    ("GET", "/v1/gaps/{group_id}/export"): Rule("admin"),
    ("GET", "/v1/releases"): Rule("admin"),
    ("GET", "/v1/releases/{release_id:release}"): Rule("admin"),
    ("GET", "/v1/releases/{release_id:release}.html"): Rule("admin"),
    ("POST", "/v1/releases/rollback"): Rule("admin", "every"),
    ("POST", "/v1/releases/{release_id:release}/publish"): Rule("admin", "every"),
    # a queued sync is a whole-index write (its release, its failures)
    ("GET", "/v1/ingest/jobs/{sync_id}"): Rule("admin", "every"),
}
PROTECTED = sorted(k for k, rule in ROUTES.items() if rule.access != "public")


def served_routes(app) -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves; HEAD rides along with GET."""
    return {(method, rc.path) for rc in iter_route_contexts(app.routes)
            for method in (rc.methods or ()) if method != "HEAD"}


def url_of(path: str) -> str:
    return (path.replace("/pdfjs/{name}", "/pdfjs/pdf.min.mjs")
            .replace("{doc_id:path}", "reports/a.txt").replace("{release_id:release}", "r1")
            .replace("{group_id}", "g1").replace("{name}", "someone")
            .replace("{sync_id}", "0123456789ab"))


def missing(*_args, **_kwargs):
    raise NotFoundError("no document 'reports/a.txt' in the index")


class Absent:
    """Any part of the pipeline a route reaches past its guard: every attribute is another
    Absent, and calling one is a 404 (what the guards protect is the route, not the answer)."""

    def __getattr__(self, name: str) -> "Absent":
        return Absent()

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        missing()


def stand_in_pipeline() -> SimpleNamespace:
    """Just enough of a Pipeline for the routes to answer past their guards without a model."""
    store = SimpleNamespace(documents=dict, count_chunks=lambda: 0, visible_chunks=lambda: 0,
                            document=missing, document_text=missing, releases=Absent(),
                            release_id=lambda: None, collections=Absent(),
                            collection_counts=dict)
    return SimpleNamespace(store=store, ingest=Absent(), embedder=Absent(),
                           answers=SimpleNamespace(answer=missing, stream=missing))


@pytest.fixture(scope="module")
def log_text() -> Iterator[io.StringIO]:
    """Everything logged (any logger, any level) while the module runs, as the service's JSON."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture(scope="module")
def client(tmp_path_factory, log_text) -> Iterator[TestClient]:
    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("security") / "data",
                             server={"read_api_key": READ_KEY, "admin_api_key": ADMIN_KEY})
    with TestClient(create_app(settings, stand_in_pipeline())) as c:
        yield c


def call(client: TestClient, method: str, path: str, headers: dict[str, str]):
    return client.request(method, url_of(path), headers=headers,
                          json={} if method == "POST" and path != "/v1/documents" else None)


def assert_refused(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    return body["error"]


def test_every_route_is_in_the_table(client):
    served = served_routes(client.app)
    assert served - ROUTES.keys() == set(), "a route without a row in ROUTES: say who may call it"
    assert ROUTES.keys() - served == set(), "a row for a route the app no longer serves"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("presented", ["none", "wrong-bearer", "wrong-header", "empty-bearer"])
def test_protected_routes_refuse_without_a_valid_key(client, method, path, presented):
    headers = {"none": {}, "wrong-bearer": {"Authorization": f"Bearer {WRONG_KEY}"},
               "wrong-header": {"X-API-Key": WRONG_KEY},
               "empty-bearer": {"Authorization": "Bearer "}}[presented]
    response = call(client, method, path, headers)
    error = assert_refused(response, 401)
    assert error["type"] == "Unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"),
                         [k for k in PROTECTED if ROUTES[k].access == "admin"])
@pytest.mark.parametrize("how", ["bearer", "header"])
def test_admin_routes_refuse_the_read_key(client, method, path, how):
    headers = ({"Authorization": f"Bearer {READ_KEY}"} if how == "bearer"
               else {"X-API-Key": READ_KEY})
    error = assert_refused(call(client, method, path, headers), 403)
    assert error["type"] == "Forbidden" and "admin key" in error["message"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_the_right_key_gets_past_the_guard(client, method, path):
    keys = [ADMIN_KEY] if ROUTES[(method, path)].access == "admin" else [READ_KEY, ADMIN_KEY]
    for key in keys:
        for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
            status = call(client, method, path, headers).status_code
            assert status not in (401, 403), (method, path, status)


@pytest.mark.parametrize(("method", "path"),
                         sorted(k for k, rule in ROUTES.items() if rule.access == "public"))
def test_public_routes_need_no_key(client, method, path):
    response = call(client, method, path, {})
    if path in ("/auth/login", "/auth/callback", "/auth/popup"):
        # no identity provider configured here: a page that says so, whoever asks
        assert response.status_code == 404 and "not configured" in response.text
        return
    assert response.status_code < 400


def test_admin_routes_refuse_everyone_when_no_admin_key_is_set(tmp_path):
    from service.app import create_app

    settings = make_settings(tmp_path / "data", server={"read_api_key": READ_KEY})
    with TestClient(create_app(settings, stand_in_pipeline())) as c:
        for method, path in [k for k in PROTECTED if ROUTES[k].access == "admin"]:
            for headers in ({}, {"X-API-Key": READ_KEY}, {"X-API-Key": WRONG_KEY}):
                error = assert_refused(call(c, method, path, headers), 403)
                assert "no admin key is configured" in error["message"]


def test_keys_never_appear_in_logs_errors_or_metrics(client, log_text):
    """Runs after the tests above (file order), which sent every key to every route in every
    way; then a few more requests that fail in other ways. None of it shows a key."""
    bodies = []
    for headers in ({"Authorization": f"Bearer {WRONG_KEY}"}, {"X-API-Key": ADMIN_KEY},
                    {"Authorization": f"Bearer {READ_KEY}", "X-Request-ID": "r-1"}):
        for method, path, kwargs in [
            ("POST", "/v1/ask", {"content": b"{not json", "headers": {
                "content-type": "application/json"}}),
            ("POST", "/v1/ask", {"json": {"question": "x", "unknown": READ_KEY[:4]}}),
            ("GET", "/v1/documents/nowhere.txt", {}),
            ("PUT", "/v1/ask", {}),
            ("GET", "/no/such/route", {}),
        ]:
            extra = kwargs.pop("headers", {}) if "headers" in kwargs else {}
            r = client.request(method, path, headers={**headers, **extra}, **kwargs)
            bodies.append(r.text + repr(dict(r.headers)))
    metrics = client.get("/metrics").text
    logged = log_text.getvalue()
    assert "rag.access" in logged  # the access log was captured
    for secret in SECRETS:
        assert secret not in logged
        assert secret not in metrics
        assert all(secret not in body for body in bodies)


def test_a_bad_key_setting_does_not_echo_the_key(tmp_path):
    from pydantic import ValidationError

    from rag.errors import ConfigError

    with pytest.raises((ValidationError, ConfigError)) as caught:
        make_settings(Path(tmp_path), server={"admin_api_key": "s3cr3t-short"})
    assert "s3cr3t" not in str(caught.value)
    assert "at least 16 characters" in str(caught.value)
