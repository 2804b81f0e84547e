"""The security table's "key of another collection" column, with real data.

Collections ``alpha`` and ``bravo`` each hold a document (real Chroma index in a temp dir, the
real encoder, the real app); ``bravo`` has an answer, a rated-down refusal in the gap report and
a release of its own. For every route of ``ROUTES`` (test_security_table.py, enumerated from the
app there) whose ``scope`` is not "none", a key scoped to ``alpha`` (read or admin, as the route
needs) reaches for bravo's resource, and must get a 404 like a missing one ("own": or, for
routes that list, a 200 that names nothing of bravo), or a 403 ("every": the route acts on every
collection at once). A route with a scope and no case here fails
``test_every_scoped_route_has_a_case``. Nothing a request sends shows a key in the logs, the
responses or /metrics.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.logs import JsonFormatter
from tests.helpers import make_settings
from tests.service.test_security_table import ROUTES, url_of

ADMIN = "bootstrap-admin-key-0123456789abcdef"
SECRET = "PERSIMMON-WALRUS-9902"
B_DOC = "bravo::vault.md"
B_QUESTION = "What is the vault passphrase of Project Kestrel?"
# What of bravo a response may never show (an error may repeat the collection name the request
# named, as it does for one that does not exist; a listing may not name it at all).
B_MARKERS = (SECRET, "vault.md", "Kestrel")
FILES = {
    "alpha": {"parking.md": "# Parking\n\nStaff may park in lot C after 6 pm. Visitors park in "
                            "lot A, next to the main entrance.\n"},
    "bravo": {"vault.md": "# Vault\n\nProject Kestrel is the bravo team's confidential project. "
                          f"The vault passphrase of Project Kestrel is {SECRET}.\n"},
}


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    b_answer: str
    b_group: str
    b_release: str
    log: io.StringIO


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder):
    from rag.factory import build_pipeline
    from service.app import create_app
    from service.keys import KeyStore, keys_path

    root = tmp_path_factory.mktemp("scoped")
    settings = make_settings(root / "data", server={"admin_api_key": ADMIN})
    pipeline = build_pipeline(settings, embedder=embedder)
    for name, files in FILES.items():
        folder = root / name
        folder.mkdir()
        for fname, text in files.items():
            (folder / fname).write_text(text, encoding="utf-8")
        pipeline.store.collections.create(name)
        assert pipeline.ingest.sync(folder, collection=name).failed == {}
    keys = KeyStore(keys_path(settings.data_dir))
    tokens = {"read_a": keys.create("reader-a", "read", ["alpha"]),
              "admin_a": keys.create("admin-a", "admin", ["alpha"]),
              "read_b": keys.create("reader-b", "read", ["bravo"]), "all": ADMIN}
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    old_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    with TestClient(create_app(settings, pipeline)) as client:
        b = _h(tokens["read_b"])
        answer = client.post("/v1/ask", json={"question": B_QUESTION}, headers=b).json()
        assert not answer["refused"] and SECRET in client.get(
            f"/v1/documents/{B_DOC}", headers=b).text
        miss = client.post("/v1/ask", json={"question": "When does Project Kestrel's vault "
                                            "passphrase expire exactly?"}, headers=b).json()
        client.post("/v1/feedback", json={"answer_id": miss["answer_id"], "rating": "down"},
                    headers=b)
        groups = client.get("/v1/gaps", headers=_h(ADMIN)).json()["groups"]
        group = next(g["id"] for g in groups if "Kestrel" in str(g))
        releases = client.get("/v1/releases", headers=_h(ADMIN)).json()["releases"]
        release = next(r["release_id"] for r in releases
                       if B_DOC in str(r.get("changes")))
        yield World(client, tokens, answer["answer_id"], group, release, log)
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(old_level)


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


Request = Callable[[World], dict[str, Any]]  # the client.request(...) keyword arguments
ASK = {"question": B_QUESTION, "collections": ["bravo"]}
# For each scoped route: the request that reaches for bravo's resource, and what it must get:
# 404 (like a missing one), 403 (needs every collection) or 200 naming nothing of bravo.
CASES: dict[tuple[str, str], tuple[Request, int]] = {
    ("POST", "/v1/ask"): (lambda w: {"json": ASK}, 404),
    ("POST", "/v1/ask/stream"): (lambda w: {"json": ASK}, 404),
    ("POST", "/v1/chat/completions"): (lambda w: {"json": {
        "messages": [{"role": "user", "content": B_QUESTION}], "collections": ["bravo"]}}, 404),
    ("POST", "/v1/feedback"): (lambda w: {"json": {"answer_id": w.b_answer, "rating": "up"}},
                               404),
    ("GET", "/v1/documents"): (lambda w: {"params": {"collection": "bravo"}}, 404),
    ("GET", "/v1/documents/{doc_id:path}"): (lambda w: {"url": f"/v1/documents/{B_DOC}"}, 404),
    ("GET", "/v1/files/{doc_id:path}"): (lambda w: {"url": f"/v1/files/{B_DOC}"}, 404),
    ("DELETE", "/v1/documents/{doc_id:path}"): (lambda w: {"url": f"/v1/documents/{B_DOC}"},
                                                404),
    ("POST", "/v1/documents"): (lambda w: {"files": {"files": ("x.md", b"# X\n\nLot C.\n")},
                                           "data": {"collection": "bravo"}}, 404),
    ("GET", "/v1/eval/latest"): (lambda w: {}, 404),
    ("GET", "/v1/eval/latest.html"): (lambda w: {}, 404),
    ("GET", "/v1/overview"): (lambda w: {}, 200),
    ("GET", "/v1/collections"): (lambda w: {}, 200),
    ("POST", "/v1/collections"): (lambda w: {"json": {"name": "charlie"}}, 403),
    ("GET", "/v1/keys"): (lambda w: {}, 403),
    ("POST", "/v1/keys"): (lambda w: {"json": {"name": "minted", "role": "read",
                                               "collections": ["bravo"]}}, 403),
    ("POST", "/v1/keys/{name}/revoke"): (lambda w: {"url": "/v1/keys/reader-b/revoke"}, 403),
    ("GET", "/v1/feedback"): (lambda w: {}, 200),
    ("GET", "/v1/gaps"): (lambda w: {}, 200),
    ("GET", "/v1/audit"): (lambda w: {}, 200),
    ("GET", "/v1/gaps/{group_id}/export"): (lambda w: {"url": f"/v1/gaps/{w.b_group}/export"},
                                            404),
    ("GET", "/v1/releases"): (lambda w: {}, 200),
    ("GET", "/v1/releases/{release_id:release}"): (
        lambda w: {"url": f"/v1/releases/{w.b_release}"}, 200),
    ("GET", "/v1/releases/{release_id:release}.html"): (
        lambda w: {"url": f"/v1/releases/{w.b_release}.html"}, 404),
    ("POST", "/v1/releases/rollback"): (lambda w: {}, 403),
    ("GET", "/v1/ingest/jobs/{sync_id}"): (lambda w: {"url": "/v1/ingest/jobs/0123456789ab"}, 403),
    ("POST", "/v1/releases/{release_id:release}/publish"): (
        lambda w: {"url": f"/v1/releases/{w.b_release}/publish"}, 403),
}
SCOPED = sorted(k for k, rule in ROUTES.items() if rule.scope != "none")


def test_every_scoped_route_has_a_case():
    assert set(SCOPED) - CASES.keys() == set(), "a scoped route without a cross-collection case"
    assert CASES.keys() - set(SCOPED) == set(), "a case for a route that is not in ROUTES"
    for key, (_, status) in CASES.items():
        assert (status == 403) == (ROUTES[key].scope == "every"), key


@pytest.mark.parametrize(("method", "path"), SCOPED)
def test_a_key_of_another_collection_gets_nothing(world, method, path):
    request, status = CASES[(method, path)]
    who = "admin_a" if ROUTES[(method, path)].access == "admin" else "read_a"
    kwargs = {"url": url_of(path), **request(world)}
    response = world.client.request(method, headers=_h(world.tokens[who]), **kwargs)
    assert response.status_code == status, (response.status_code, response.text[:300])
    for marker in B_MARKERS + (("bravo",) if status == 200 else ()):
        assert marker.lower() not in response.text.lower(), (marker, response.text[:300])
    if status != 200:
        error = response.json()["error"]
        assert error["type"] == {404: "NotFoundError", 403: "Forbidden"}[status], error


def test_bravo_is_untouched_and_no_key_was_shown(world):
    """(Runs after the cases above.) Bravo's document, answerability and keys are as they were;
    no key appeared in any log line, response or /metrics."""
    b = _h(world.tokens["read_b"])
    assert SECRET in world.client.get(f"/v1/documents/{B_DOC}", headers=b).text
    assert world.client.get("/v1/collections", headers=_h(ADMIN)).json()["collections"] == [
        {"name": n, "documents": c} for n, c in (("alpha", 1), ("bravo", 1), ("default", 0))]
    names = {k["name"] for k in world.client.get("/v1/keys", headers=_h(ADMIN)).json()["keys"]}
    assert "minted" not in names
    logged = world.log.getvalue() + world.client.get("/metrics").text
    assert "rag.access" in logged
    for token in world.tokens.values():
        assert token not in logged
