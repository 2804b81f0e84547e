"""Leak tests (issue 13): a secret fact that exists only in collection 'finance' is asked for
with keys scoped to 'handbook' through every route that could carry it, over real HTTP, with
the real model and a real Chroma index. It must never be returned, cited, or named in an error;
the same fact is answered with a key for 'finance' and with the bootstrap admin key.

Every request a handbook key makes is counted, and every response body is searched for the
secret and for the finance document's id; the counts go to test-artifacts/leak-tests.json for
the note (docs/collections.md)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, LiveServer, make_settings, sse_events

SECRET = "TANGERINE-OKAPI-4471"
B_ID = "finance::vault-notes.md"
B_NAME = "vault-notes"
ADMIN = "bootstrap-admin-key-0123456789abcdef"
QUESTION = "What is the vault passphrase of Project Zephyr?"

HANDBOOK = {
    "parking.md": "# Parking\n\nStaff may park in lot C after 6 pm. Visitors park in lot A, "
                  "next to the main entrance. Bicycles go in the covered racks by door 4.\n",
    "leave.md": "# Annual leave\n\nEvery employee has 25 days of annual leave per year. Leave "
                "requests are approved by the line manager at least two weeks ahead.\n",
}
FINANCE = {
    "vault-notes.md": "# Vault notes\n\nProject Zephyr is the finance team's confidential "
                      "acquisition project. The vault passphrase of Project Zephyr is "
                      f"{SECRET}. The passphrase was set by the treasurer in March and is "
                      "rotated every quarter.\n",
}


class Ledger:
    """Requests tried with the handbook keys and leaks found in their responses."""

    def __init__(self) -> None:
        self.tried: list[str] = []
        self.leaks: list[str] = []

    def check(self, label: str, response: httpx.Response) -> httpx.Response:
        self.tried.append(label)
        body = response.text
        for needle in (SECRET, B_ID, B_NAME, "Zephyr is the finance"):
            if needle.lower() in body.lower():
                self.leaks.append(f"{label}: {needle!r} in {body[:300]!r}")
        return response


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder):
    from rag.factory import build_pipeline
    from service.app import create_app
    from service.keys import KeyStore, keys_path

    root = tmp_path_factory.mktemp("leak")
    for name, files in (("handbook", HANDBOOK), ("finance", FINANCE)):
        folder = root / name
        folder.mkdir()
        for fname, text in files.items():
            (folder / fname).write_text(text, encoding="utf-8")
    settings = make_settings(root / "data", server={"admin_api_key": ADMIN})
    pipeline = build_pipeline(settings, embedder=embedder)
    for name in ("handbook", "finance"):
        pipeline.store.collections.create(name)
        report = pipeline.ingest.sync(root / name, collection=name)
        assert report.failed == {}, report.failed
    keys = KeyStore(keys_path(settings.data_dir))
    tokens = {
        "read_a": keys.create("reader-a", "read", ["handbook"]),
        "admin_a": keys.create("admin-a", "admin", ["handbook"]),
        "read_b": keys.create("reader-b", "read", ["finance"]),
        "all": ADMIN,
    }
    with LiveServer(create_app(settings, pipeline)) as server:
        yield server, tokens, pipeline


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_secret_is_answered_for_keys_that_see_finance(world):
    server, tokens, _ = world
    with httpx.Client(base_url=server.url, timeout=120) as http:
        for who in ("read_b", "all"):
            body = http.post("/v1/ask", json={"question": QUESTION}, headers=_h(tokens[who])).json()
            assert not body["refused"], body
            assert SECRET in body["answer"] or any(SECRET in c["text"] for c in body["citations"])
            assert B_ID in {c["doc_id"] for c in body["citations"]}
        docs = http.get("/v1/documents", headers=_h(tokens["read_b"])).json()
        assert [d["doc_id"] for d in docs["documents"]] == [B_ID]
        assert docs["documents"][0]["collection"] == "finance"
        shown = http.get(f"/v1/documents/{B_ID}", headers=_h(tokens["read_b"]))
        assert shown.status_code == 200 and SECRET in shown.json()["text"]
        colls = http.get("/v1/collections", headers=_h(tokens["all"])).json()["collections"]
        assert {c["name"]: c["documents"] for c in colls} == {"default": 0, "handbook": 2,
                                                              "finance": 1}


def test_nothing_of_finance_reaches_a_handbook_key(world):
    server, tokens, _ = world
    a, admin_a = _h(tokens["read_a"]), _h(tokens["admin_a"])
    led = Ledger()
    with httpx.Client(base_url=server.url, timeout=120) as http:
        # an answer given over finance (its id is what a handbook key will try to rate) and a
        # refused finance question rated down (for the gap report)
        b_answer = http.post("/v1/ask", json={"question": QUESTION},
                             headers=_h(tokens["read_b"])).json()["answer_id"]
        b_miss = http.post("/v1/ask", json={"question": "When does Project Zephyr's vault "
                                             "passphrase expire exactly, to the hour?"},
                           headers=_h(tokens["read_b"])).json()["answer_id"]
        http.post("/v1/feedback", json={"answer_id": b_miss, "rating": "down",
                                        "comment": "Zephyr vault"}, headers=_h(tokens["read_b"]))
        http.post("/v1/feedback", json={"answer_id": b_answer, "rating": "up"},
                  headers=_h(tokens["read_b"]))

        asks = [
            {"question": QUESTION},
            {"question": "Zephyr vault passphrase in the finance notes"},
            {"question": QUESTION, "filters": {"doc_ids": [B_ID]}},
            {"question": QUESTION, "filters": {"path_prefix": "finance::"}},
            {"question": QUESTION, "filters": {"title": "Vault"}},
            {"question": QUESTION, "top_k": 50},
            {"question": QUESTION, "collections": ["handbook"]},
            {"question": "What is its passphrase?",
             "history": [{"role": "user", "content": "Tell me about Project Zephyr's vault."},
                         {"role": "assistant", "content": "It is the finance team's vault."}]},
        ]
        for i, body in enumerate(asks):
            r = led.check(f"ask#{i}", http.post("/v1/ask", json=body, headers=a))
            assert r.status_code == 200, r.text
            assert all(c["doc_id"] != B_ID for c in r.json()["citations"])
            s = led.check(f"stream#{i}", http.post("/v1/ask/stream", json=body, headers=a))
            assert s.status_code == 200 and sse_events(s.text)[-1][0] == "done", s.text
            messages = [*body.get("history", []), {"role": "user", "content": body["question"]}]
            chat = {k: v for k, v in body.items() if k not in ("question", "history")}
            for stream in (False, True):
                c = led.check(f"chat#{i}/stream={stream}", http.post(
                    "/v1/chat/completions", json={"messages": messages, "stream": stream, **chat},
                    headers=a))
                assert c.status_code == 200, c.text

        # naming the forbidden collection: the very 404 of a collection that does not exist
        forbidden = led.check("ask collections=[finance]", http.post(
            "/v1/ask", json={"question": QUESTION, "collections": ["finance"]}, headers=a))
        missing = http.post("/v1/ask", json={"question": QUESTION, "collections": ["nosuch"]},
                            headers=a)
        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.text.replace("finance", "X") == missing.text.replace("nosuch", "X")
        for stream in (False, True):
            r = led.check(f"chat collections=[finance] stream={stream}", http.post(
                "/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}],
                                              "collections": ["finance"], "stream": stream},
                headers=a))
            assert r.status_code == 404
        r = led.check("stream collections=[finance]", http.post(
            "/v1/ask/stream", json={"question": QUESTION, "collections": ["finance"]}, headers=a))
        assert r.status_code == 404

        # document reads: a forbidden document is a 404 exactly like a missing one
        listed = led.check("documents list", http.get("/v1/documents", headers=a)).json()
        assert sorted(d["doc_id"] for d in listed["documents"]) == [
            "handbook::leave.md", "handbook::parking.md"] and listed["total"] == 2
        shown = led.check("documents show", http.get(f"/v1/documents/{B_ID}", headers=a))
        nothing = http.get("/v1/documents/finance::no-such.md", headers=a)
        assert shown.status_code == nothing.status_code == 404 and shown.text == nothing.text
        r = led.check("documents list ?collection=finance",
                      http.get("/v1/documents", params={"collection": "finance"}, headers=a))
        assert r.status_code == 404
        r = led.check("documents delete (admin-a)", http.delete(f"/v1/documents/{B_ID}",
                                                                headers=admin_a))
        assert r.status_code == 404
        r = led.check("upload into finance (admin-a)", http.post(
            "/v1/documents", files={"files": ("x.md", b"# X\n\nSome text about lot C.\n")},
            data={"collection": "finance"}, headers=admin_a))
        assert r.status_code == 404
        colls = led.check("collections", http.get("/v1/collections", headers=a)).json()
        assert [c["name"] for c in colls["collections"]] == ["handbook"]
        over = led.check("overview", http.get("/v1/overview", headers=a)).json()
        assert [c["name"] for c in over["collections"]] == ["handbook"]
        assert over["documents"] == 2

        # feedback on finance's answer: "no answer", like a made-up id
        rated = led.check("feedback on B's answer", http.post(
            "/v1/feedback", json={"answer_id": b_answer, "rating": "down"}, headers=a))
        made_up = http.post("/v1/feedback", json={"answer_id": "0" * 32, "rating": "down"},
                            headers=a)
        assert rated.status_code == made_up.status_code == 404
        assert rated.text.replace(b_answer, "X") == made_up.text.replace("0" * 32, "X")

        # the gap report and the releases, with an admin key for handbook only
        gaps = led.check("gaps (admin-a)", http.get("/v1/gaps", headers=admin_a))
        # (the handbook keys' own refused Zephyr questions are theirs to see; finance's are not)
        assert gaps.status_code == 200 and "expire exactly" not in gaps.text
        assert b_miss not in gaps.text
        everyone = http.get("/v1/gaps", headers=_h(tokens["all"])).json()
        assert "expire exactly" in json.dumps(everyone)  # there, but not for admin-a
        releases = led.check("releases (admin-a)", http.get("/v1/releases", headers=admin_a))
        assert releases.status_code == 200
        for rel in releases.json()["releases"]:
            led.check(f"release {rel['release_id']} (admin-a)",
                      http.get(f"/v1/releases/{rel['release_id']}", headers=admin_a))
        led.check("eval report", http.get("/v1/eval/latest", headers=a))
        metrics = led.check("metrics", http.get("/metrics"))
        assert QUESTION not in metrics.text

    # the handbook key still gets handbook answers
    with httpx.Client(base_url=server.url, timeout=120) as http:
        ok = http.post("/v1/ask", json={"question": "Where may staff park after 6 pm?"},
                       headers=a).json()
        assert not ok["refused"] and ok["citations"][0]["doc_id"] == "handbook::parking.md"

    out = ROOT / "test-artifacts" / "leak-tests.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"requests_tried": len(led.tried), "leaks_found": len(led.leaks),
                               "requests": led.tried, "leaks": led.leaks}, indent=2))
    print(f"\nleak tests: {len(led.tried)} requests tried, {len(led.leaks)} leaks found")
    assert led.leaks == []


def test_uploads_go_into_the_named_collection(world):
    """(Runs last: it adds a document.) An admin key for every collection uploads into
    'finance'; a bad or unknown collection is refused with a clear message."""
    server, tokens, _ = world
    admin = _h(tokens["all"])
    with httpx.Client(base_url=server.url, timeout=120) as http:
        up = http.post("/v1/documents", files={"files": ("budget.md", b"# Budget\n\nThe "
                                                         b"travel budget is 4,000 euros.\n")},
                       data={"collection": "finance"}, headers=admin)
        assert up.status_code == 200, up.text
        assert up.json()["files"][0]["doc_id"] == "finance::budget.md"
        same_id = http.post("/v1/documents", files={"files": ("budget.md", b"# Budget\n\nLot "
                                                              b"C budget.\n")}, headers=admin)
        assert same_id.json()["files"][0]["doc_id"] == "budget.md"  # ids are per collection
        bad = http.post("/v1/documents", files={"files": ("x.md", b"# X\n\ntext\n")},
                        data={"collection": "Not A Name"}, headers=admin)
        assert bad.status_code == 422 and "not a valid collection name" in bad.text
        unknown = http.post("/v1/documents", files={"files": ("x.md", b"# X\n\ntext\n")},
                            data={"collection": "nosuch"}, headers=admin)
        assert unknown.status_code == 404 and "no such collection: 'nosuch'" in unknown.text
        counts = {c["name"]: c["documents"] for c in
                  http.get("/v1/collections", headers=admin).json()["collections"]}
        assert counts == {"default": 1, "handbook": 2, "finance": 2}
        b = http.get("/v1/documents", headers=_h(tokens["read_b"])).json()
        assert sorted(d["doc_id"] for d in b["documents"]) == ["finance::budget.md", B_ID]
