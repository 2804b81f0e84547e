"""Named API keys: stored hashed, scoped, revoked at once in every worker process."""

from __future__ import annotations

import time

import httpx
import pytest

from index.errors import InputError, NotFoundError
from rag.settings import ServerSettings
from service.errors import ApiError
from service.keys import KeyStore, keys_path, parse_collections
from service.security import check_access
from tests.helpers import run_cli as rag


def test_keys_are_stored_hashed_named_and_revocable(tmp_path):
    store = KeyStore(tmp_path / "keys.sqlite3")
    key = store.create("alice", "read", ["hr", "finance"])
    assert key.startswith("rag_") and len(key) > 40
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw  # only the digest is kept
    found = store.find(key)
    assert found is not None and found.name == "alice" and found.collections == ("finance", "hr")
    assert store.find(key + "x") is None and store.find("") is None
    with pytest.raises(InputError, match="exists already"):
        store.create("alice", "admin", None)
    with pytest.raises(InputError, match="key name"):
        store.create("../etc", "read", None)
    with pytest.raises(InputError, match="role"):
        store.create("bob", "owner", None)
    store.revoke("alice")
    assert store.find(key) is None and store.any_keys()
    assert [r.name for r in store.list()] == ["alice"] and not store.list()[0].active
    with pytest.raises(NotFoundError, match="no key named"):
        store.revoke("carol")
    # another process's view: a second store object on the same file sees the revocation
    other = KeyStore(tmp_path / "keys.sqlite3")
    assert other.find(key) is None
    with pytest.raises(InputError, match="collection name"):
        parse_collections("HR, finance")


def test_access_rules_with_named_and_settings_keys(tmp_path):
    store = KeyStore(tmp_path / "keys.sqlite3")
    open_server = ServerSettings()
    assert check_access(open_server, None, "admin", store).name == "anonymous"  # nothing set
    reader = store.create("reader", "read", ["hr"])
    admin = store.create("boss", "admin", None)
    with pytest.raises(ApiError) as e:  # a named key exists: no more anonymous requests
        check_access(open_server, None, "read", store)
    assert e.value.status == 401
    who = check_access(open_server, reader, "read", store)
    assert (who.name, who.role, who.collections) == ("reader", "read", ("hr",))
    with pytest.raises(ApiError) as e:
        check_access(open_server, reader, "admin", store)
    assert e.value.status == 403 and "'reader' has the read role" in str(e.value)
    assert reader not in str(e.value)
    assert check_access(open_server, admin, "admin", store).collections is None
    bootstrap = ServerSettings(admin_api_key="admin-key-0123456789abcdef")
    assert check_access(bootstrap, "admin-key-0123456789abcdef", "read", store).role == "admin"
    with pytest.raises(ApiError) as e:
        check_access(bootstrap, "wrong-key-0123456789abcdef", "read", store)
    assert e.value.status == 401 and "wrong-key" not in str(e.value)


@pytest.mark.slow  # `rag serve` with two workers: loads the model, indexes the corpus
def test_a_revoked_key_is_refused_by_every_worker_within_a_second(tmp_path, corpus_dir):
    from bench.api import ServiceProcess

    data = tmp_path / "data"
    net = tmp_path / "net.txt"
    made = rag("keys", "create", "--name", "kiosk", "--role", "read", "--all",
               data_dir=data, netlog=net)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert "shown only now" in made.stderr and key not in made.stderr
    with ServiceProcess(corpus_dir, data, tmp_path / "serve.log", workers=2) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/v1/documents").status_code == 401  # closed without a key
            for _ in range(12):  # connections spread over both workers
                r = client.get("/v1/documents", headers={"X-API-Key": key})
                assert r.status_code == 200, r.text
            revoked = rag("keys", "revoke", "kiosk", data_dir=data, netlog=net)
            assert revoked.returncode == 0, revoked.stderr
            gone = time.perf_counter()
            statuses = []
            while time.perf_counter() - gone < 1.0:
                with httpx.Client(base_url=server.url, timeout=30) as fresh:  # new connection
                    statuses.append(fresh.get("/v1/documents",
                                              headers={"X-API-Key": key}).status_code)
            assert statuses and set(statuses) == {401}, statuses
    listed = rag("keys", "list", data_dir=data, netlog=net)
    assert "kiosk\tread\tall" in listed.stdout and "revoked" in listed.stdout
    assert key not in listed.stdout
    assert key not in (tmp_path / "serve.log").read_text()
