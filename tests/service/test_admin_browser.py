"""The admin page (/admin) in real headless Chromium over the real app: the key entered once,
collections and documents (create, upload with progress, search, delete), keys (create, shown
once, revoke), releases, feedback, the gap report, markup shown as text, keyboard tabs."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.helpers import CHROMIUM, ROOT, LiveServer, make_settings

SHOTS = Path(os.environ.get("RAG_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
ADMIN_KEY = "admin-page-key-0123456789"
READ_KEY = "admin-page-read-0123456789"
POLICY = ("Quell leave policy <img src=x onerror=\"window.__xss='title ran'\">\n\n"
          "Staff of the Quell office may carry over at most 7 days of annual leave into the "
          "next year, with the written approval of their line manager.\n")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it as root)",
)


@pytest.fixture(scope="module")
def admin_env(tmp_path_factory, embedder, corpus_dir):
    from rag.factory import build_pipeline
    from service.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("admin") / "data",
                             server={"read_api_key": READ_KEY, "admin_api_key": ADMIN_KEY})
    pipeline = build_pipeline(settings, embedder=embedder)
    pipeline.ingest.sync(corpus_dir)
    with LiveServer(create_app(settings, pipeline)) as api:
        read = {"X-API-Key": READ_KEY}
        good = httpx.post(f"{api.url}/v1/ask", headers=read, timeout=60, json={
            "question": "Who is the Foreign Secretary of Mexico?"}).json()
        httpx.post(f"{api.url}/v1/feedback", headers=read, timeout=30, json={
            "answer_id": good["answer_id"], "rating": "down", "comment": "<b>too short</b>"})
        refused = httpx.post(f"{api.url}/v1/ask", headers=read, timeout=60, json={
            "question": "What is the population of Mexico City?"}).json()
        assert refused["refused"]
        yield api


def test_admin_page_main_flows(admin_env, browser, tmp_path):
    from playwright.sync_api import expect

    api = admin_env
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: d.accept())
    page.goto(f"{api.url}/admin")

    # The key: a read key is refused with the reason; the admin key opens the page.
    key_box = page.get_by_label("Admin API key")
    key_box.fill(READ_KEY)
    page.get_by_role("button", name="Use key").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot administer")
    key_box.fill(ADMIN_KEY)
    page.get_by_role("button", name="Use key").click()
    expect(page.get_by_role("tab", name="Documents")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("sessionStorage.getItem('rag-admin-key')") == ADMIN_KEY
    assert page.evaluate("localStorage.length") == 0  # for the tab only

    # Documents of the default collection, searched by title.
    docs = page.get_by_role("tabpanel", name="Documents")
    expect(docs.get_by_text("documents", exact=False).first).to_be_visible()
    expect(docs.locator("tbody tr")).not_to_have_count(0)
    total = docs.locator("tbody tr").count()
    page.get_by_role("searchbox", name="Search").fill("Border")
    expect(docs.locator("tbody tr")).not_to_have_count(total)
    page.get_by_role("searchbox", name="Search").fill("")

    # A new collection, and a document uploaded into it with a progress bar.
    page.get_by_role("textbox", name="New collection").fill("hr")
    page.get_by_role("button", name="Create collection").click()
    expect(docs.get_by_role("status")).to_contain_text("Created collection hr.")
    expect(page.get_by_role("combobox", name="Collection", exact=True)).to_have_value("hr")
    page.locator("#upload-files").set_input_files(
        files=[{"name": "leave-policy.txt", "mimeType": "text/plain",
                "buffer": POLICY.encode()}])
    page.get_by_role("button", name="Upload").click()
    expect(docs.get_by_role("status")).to_contain_text("leave-policy.txt: added",
                                                       timeout=60_000)
    expect(docs.get_by_role("progressbar", name="Upload progress")).to_have_attribute(
        "value", "100")
    row = docs.locator("tbody tr").filter(has_text="leave-policy.txt")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("<img src=x")  # markup in a title is text
    assert page.evaluate("window.__xss") is None
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-documents.png"))

    # Keys: a read key for hr, shown once; it sees hr only; revoked from the page.
    page.get_by_role("tab", name="Keys").click()
    keys = page.get_by_role("tabpanel", name="Keys")
    page.get_by_role("textbox", name="Name", exact=True).fill("hr-reader")
    page.get_by_role("textbox", name="Collections", exact=True).fill("hr")
    page.get_by_role("button", name="Create key").click()
    secret = keys.locator("#new-key")
    expect(secret).to_contain_text("rag_")
    new_key = secret.inner_text()
    seen = httpx.get(f"{api.url}/v1/collections", headers={"X-API-Key": new_key},
                     timeout=30).json()
    assert [c["name"] for c in seen["collections"]] == ["hr"]
    answer = httpx.post(f"{api.url}/v1/ask", headers={"X-API-Key": new_key}, timeout=60,
                        json={"question": "How many days of leave may Quell staff carry over?"})
    assert "7 days" in answer.json()["answer"]
    expect(keys.locator("tbody tr").filter(has_text="hr-reader")).to_contain_text("active")
    page.screenshot(path=str(SHOTS / "admin-keys.png"))
    keys.get_by_role("button", name="Revoke hr-reader").click()
    expect(keys.locator("tbody tr").filter(has_text="hr-reader")).to_contain_text("revoked")
    assert httpx.get(f"{api.url}/v1/collections", headers={"X-API-Key": new_key},
                     timeout=30).status_code == 401
    page.reload()  # the key stays for the tab: no second prompt
    expect(page.get_by_role("tab", name="Keys")).to_be_visible()
    expect(page.get_by_role("button", name="Use key")).to_have_count(0)

    # Releases, feedback (with its answer and comment, as text) and the gap report.
    page.get_by_role("tab", name="Releases").click()
    releases = page.get_by_role("tabpanel", name="Releases")
    expect(releases).to_contain_text("Published: r")
    expect(releases.locator("tbody tr")).not_to_have_count(0)
    page.get_by_role("tab", name="Feedback").click()
    feedback = page.get_by_role("tabpanel", name="Feedback")
    expect(feedback).to_contain_text("Who is the Foreign Secretary of Mexico?")
    expect(feedback).to_contain_text("<b>too short</b>")
    page.get_by_role("tab", name="Gaps").click()
    gaps = page.get_by_role("tabpanel", name="Gaps")
    expect(gaps).to_contain_text("What is the population of Mexico City?")
    page.get_by_role("tab", name="Eval").click()
    expect(page.get_by_role("tabpanel", name="Eval")).to_contain_text("No eval report yet")

    # The audit log: the upload and the key made above, by the admin key, newest first.
    page.get_by_role("tab", name="Audit").click()
    audit = page.get_by_role("tabpanel", name="Audit")
    expect(audit).to_contain_text("document.upload")
    expect(audit).to_contain_text("key.create")

    # Keyboard: arrows move between tabs (the last wraps to the first).
    page.get_by_role("tab", name="Audit").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Documents")).to_be_focused()
    expect(page.get_by_role("tab", name="Documents")).to_have_attribute("aria-selected", "true")

    # Deleting the uploaded document from the page.
    page.get_by_role("combobox", name="Collection", exact=True).select_option("hr")
    docs = page.get_by_role("tabpanel", name="Documents")
    docs.get_by_role("button", name="Delete Quell leave policy", exact=False).click()
    expect(docs.get_by_role("status")).to_contain_text("Deleted", timeout=60_000)
    expect(docs.locator("tbody tr").filter(has_text="leave-policy.txt")).to_have_count(0)
    assert errors == []
    page.close()


def test_key_and_collection_management_needs_an_admin_key_for_everything(admin_env):
    api = admin_env
    admin = {"X-API-Key": ADMIN_KEY}
    made = httpx.post(f"{api.url}/v1/keys", headers=admin, timeout=30,
                      json={"name": "fin-admin", "role": "admin", "collections": ["finance"]})
    assert made.status_code == 201
    scoped = {"X-API-Key": made.json()["key"]}
    for method, path, body in [("GET", "/v1/keys", None),
                               ("POST", "/v1/keys", {"name": "x", "role": "admin"}),
                               ("POST", "/v1/keys/fin-admin/revoke", None),
                               ("POST", "/v1/collections", {"name": "payroll"})]:
        r = httpx.request(method, f"{api.url}{path}", headers=scoped, json=body, timeout=30)
        assert r.status_code == 403, (path, r.text)
        assert "every collection" in r.json()["error"]["message"]
    assert httpx.get(f"{api.url}/v1/keys", headers={"X-API-Key": READ_KEY},
                     timeout=30).status_code == 403
    bad = httpx.post(f"{api.url}/v1/keys", headers=admin, timeout=30,
                     json={"name": "../x", "role": "read"})
    assert bad.status_code == 422 and "key name" in bad.json()["error"]["message"]
    dup = httpx.post(f"{api.url}/v1/collections", headers=admin, timeout=30,
                     json={"name": "default"})
    assert dup.status_code == 422 and "already exists" in dup.json()["error"]["message"]
    listed = httpx.get(f"{api.url}/v1/keys", headers=admin, timeout=30).json()["keys"]
    assert all("key" not in k and "digest" not in k for k in listed)


@pytest.mark.slow
def test_first_run_admin_page_says_how_to_get_in(tmp_path, browser):
    """With a read key but no admin key, no named admin key and no sign-in, the page explains
    how to get in instead of only asking for a key that cannot exist (issue #26)."""
    from playwright.sync_api import expect

    from service.app import create_app
    from tests.service.test_security_table import stand_in_pipeline

    settings = make_settings(tmp_path / "data",
                             server={"read_api_key": "read-key-for-the-first-run-0123"})
    with LiveServer(create_app(settings, stand_in_pipeline())) as api:
        page = browser.new_page()
        page.goto(f"{api.url}/admin")
        note = page.locator("#admin-note")
        expect(note).to_contain_text("rag keys create --name ops --role admin --all")
        expect(note).to_contain_text("server.oidc")
        page.close()
