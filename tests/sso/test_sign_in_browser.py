"""Staff sign-in end to end (docs/sso.md, issue #26): real headless Chromium, the real app over
HTTP (bundled model, Chroma in a temp dir) and a real OpenID provider (tests/sso/conftest.py).

Two collections, ``hr`` and ``legal``, each hold one document answering one question. alice
(group hr-staff: hr, read) and bob (rag-admins: every collection, admin) sign in on the chat
page and see exactly their collections; carol (no mapped group) is told so; the admin page
refuses alice and opens for bob, whose audit tab names the uploads; the widget on another
origin signs in through the popup and asks with its widget token; the widget's "Sign out" ends
the session at the service and the provider; a cross-site form post is refused. One provider,
one app, one browser for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.helpers import CHROMIUM, LiveServer, free_port, make_settings
from tests.service.conftest import browser  # noqa: F401  (the module's Chromium)
from tests.service.test_widget_browser import SHOTS, HostPage, ask
from tests.sso.conftest import OidcProvider, client
from tests.sso.test_sign_in_api import GROUPS, oidc_settings

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it as root)")]

ADMIN_KEY = "sso-browser-admin-key-0123456789"
HR_DOC = ("# Parental leave\n\nStaff of the border liaison office receive 26 weeks of paid "
          "parental leave, booked through the HR desk in room 114.\n")
LEGAL_DOC = ("# Supplier contracts\n\nSupplier contracts above 50,000 euros must be countersigned "
             "by the general counsel, Dana Whitfield, before they take effect.\n")
HR_Q = "How many weeks of paid parental leave do staff receive?"
LEGAL_Q = "Who must countersign supplier contracts above 50,000 euros?"
WIDGET_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Intranet</title></head>
<body><h1>Staff intranet</h1><script src="{api}/widget.js" defer></script></body></html>"""
# A page of another origin of the same site (127.0.0.1, another port: the Lax cookie is sent)
# that posts a form to the service as soon as it loads.
FORM_POST = """<!doctype html><html><body><form id="f" method="post" action="{action}">
{fields}</form><script>document.getElementById("f").submit();</script></body></html>"""


@dataclass
class World:
    api: LiveServer
    host: str  # the other origin, http://127.0.0.1:PORT
    provider: OidcProvider
    app: object


def _field(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{value}">'


@pytest.fixture(scope="module", autouse=True)
def patient_expect() -> Iterator[None]:
    """Each step here is a round trip through the provider, the app and the model on a shared
    machine: expectations wait up to 20 s (Playwright's 5 s default, back after the module)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder, oidc_provider_factory):
    from rag.factory import build_pipeline
    from service.app import create_app

    app_port, host_port = free_port(), free_port()
    app_url, host = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{host_port}"
    provider = oidc_provider_factory(clients=[
        client([f"{app_url}/auth/callback"], [f"{app_url}/auth/signed-out"])])
    settings = make_settings(tmp_path_factory.mktemp("sso-browser") / "data", server={
        "admin_api_key": ADMIN_KEY, "base_url": app_url, "cors_origins": [host],
        "oidc": oidc_settings(provider), "groups": GROUPS})
    app = create_app(settings, build_pipeline(settings, embedder=embedder))
    with LiveServer(app, port=app_port) as api:
        admin = {"X-API-Key": ADMIN_KEY}
        for name, doc, text in (("hr", "leave.md", HR_DOC), ("legal", "contracts.md", LEGAL_DOC)):
            made = httpx.post(f"{api.url}/v1/collections", headers=admin, json={"name": name},
                              timeout=30)
            assert made.status_code in (200, 201), made.text
            r = httpx.post(f"{api.url}/v1/documents", headers=admin, timeout=120,
                           files=[("files", (doc, text.encode(), "text/markdown"))],
                           data={"collection": name})
            assert r.status_code == 200, r.text
        pages = {
            "/feedback.html": FORM_POST.format(action=f"{api.url}/v1/feedback", fields=(
                _field("answer_id", "a" * 32) + _field("rating", "down"))),
            "/logout.html": FORM_POST.format(action=f"{api.url}/auth/logout", fields=""),
        }
        with HostPage(WIDGET_PAGE.format(api=api.url), host_port, pages):
            yield World(api, host, provider, app)


def provider_login(page, user: str) -> None:
    """Log in on the provider's form (there is no consent page)."""
    page.locator("input[name=login]").fill(user)
    page.locator("input[name=password]").fill(f"{user}-pw")
    page.locator("button[type=submit]").click()


def signed_in(browser, world: World, user: str, path: str = "/"):  # noqa: F811
    """A fresh browser context signed in as ``user`` through /auth/login, on ``path``."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{world.api.url}/auth/login?next={path}")
    provider_login(page, user)
    expect(page).to_have_url(f"{world.api.url}{path}")
    return context, page


def session_cookie(context) -> str:
    (value,) = [c["value"] for c in context.cookies() if c["name"] == "rag_session"]
    return value


def listen_for_answers(page) -> None:
    page.evaluate("""() => { window.__answers = [];
        document.addEventListener('rag:answer', e => window.__answers.push(e.detail)); }""")


def finished(page, n: int):
    """The n-th (0-based) bot message once it is complete."""
    from playwright.sync_api import expect

    bot = page.locator(".msg.bot").nth(n)
    expect(bot).to_be_visible(timeout=60_000)
    expect(bot).not_to_have_attribute("aria-busy", "true", timeout=60_000)
    return bot


def page_documents(page) -> list[str]:
    """GET /v1/documents as the page's own fetch (the session cookie): the collections."""
    body = page.evaluate("fetch('/v1/documents').then(r => r.json())")
    return sorted(d["collection"] for d in body["documents"])


def sign_out(page, api: str) -> None:
    """Click the page's "Sign out": first with the service refusing (the page says so and
    stays: never the signed-out page while the session lives on), then for real (the service
    ends the session and the provider's end-session page returns to /auth/signed-out)."""
    from playwright.sync_api import expect

    here = page.url
    page.route(f"{api}/auth/logout", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": {"code": "Unavailable", "message": "no, not now"}}'))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("Not signed out: no, not now")
    expect(page).to_have_url(here)
    page.unroute(f"{api}/auth/logout")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(f"{api}/auth/signed-out")), timeout=30_000)
    expect(page.locator("#message")).to_contain_text("You are signed out")


def test_people_in_different_groups_see_their_own_collections(world, browser):  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{world.api.url}/")
    # Not signed in: the chat page offers the sign-in, and the API refuses the anonymous page.
    sign_in = page.get_by_role("button", name="Sign in")
    expect(sign_in).to_be_visible()
    assert page.evaluate("fetch('/v1/documents').then(r => r.status)") == 401
    sign_in.click()
    provider_login(page, "alice")
    expect(page).to_have_url(f"{world.api.url}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".account")).to_contain_text("alice@example.org")
    expect(page.get_by_role("note", name="Welcome")).to_contain_text(
        "You can ask about 1 document (collection hr,")
    listen_for_answers(page)

    ask(page, HR_Q)
    bot = finished(page, 0)
    expect(bot).to_contain_text("26 weeks")
    expect(bot.get_by_role("list", name="Sources")).to_have_text("[1] Parental leave")
    first = page.evaluate("window.__answers[0]")
    assert [c["doc_id"] for c in first["citations"]] == ["hr::leave.md"], first["citations"]
    # Feedback from the page: a state change with the session's CSRF token.
    bot.get_by_role("button", name="Helpful", exact=True).click()
    bot.get_by_role("button", name="Send feedback").click()
    expect(bot).to_contain_text("Thanks for the feedback.")
    page.screenshot(path=str(SHOTS / "sso-alice-hr-answer.png"))

    ask(page, LEGAL_Q)
    bot = finished(page, 1)
    expect(bot).not_to_contain_text("Whitfield")
    second = page.evaluate("window.__answers[1]")
    assert second["refused"] and not any(c["doc_id"].startswith("legal::")
                                         for c in second["citations"]), second
    assert page_documents(page) == ["hr"]
    # Naming the other collection is refused as if it did not exist.
    asked = page.evaluate("""() => fetch('/v1/documents?collection=legal')
        .then(r => r.status)""")
    assert asked == 404
    page.screenshot(path=str(SHOTS / "sso-alice-legal-refused.png"))
    assert errors == []
    context.close()

    context, page = signed_in(browser, world, "bob")
    expect(page.locator(".account")).to_contain_text("bob@example.org")
    ask(page, LEGAL_Q)
    bot = finished(page, 0)
    expect(bot).to_contain_text("Dana Whitfield")
    expect(bot.get_by_role("list", name="Sources")).to_have_text("[1] Supplier contracts")
    ask(page, HR_Q)
    expect(finished(page, 1)).to_contain_text("26 weeks")
    assert page_documents(page) == ["hr", "legal"]
    page.screenshot(path=str(SHOTS / "sso-bob-answers.png"))
    context.close()

    # The admin key keeps working beside the sessions.
    keyed = httpx.get(f"{world.api.url}/v1/documents", headers={"X-API-Key": ADMIN_KEY},
                      timeout=30).json()
    assert sorted(d["collection"] for d in keyed["documents"]) == ["hr", "legal"]


def test_no_group_or_read_role_get_a_clear_message_admins_the_page(world, browser):  # noqa: F811
    from playwright.sync_api import expect

    # carol's groups open nothing: the chat page says so (who she is, what to ask for).
    context, page = signed_in(browser, world, "carol")
    alert = page.get_by_role("alert").filter(has_text="none of your groups")
    expect(alert).to_contain_text("carol@example.org")
    expect(alert).to_contain_text("server.groups")
    # a page that says so, not an empty chat: no greeting, no question box
    expect(page.get_by_role("textbox", name="Your question")).to_be_hidden()
    expect(page.get_by_text("Ask a question about the documents")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "sso-carol-no-access.png"))
    page.goto(f"{world.api.url}/admin")
    expect(page.locator("#admin-note")).to_contain_text("none of your groups")
    expect(page.get_by_role("tab")).to_have_count(0)
    context.close()

    # alice may read, not administer: the admin page tells her, and shows no tabs.
    context, page = signed_in(browser, world, "alice", "/admin")
    expect(page.locator("#admin-note")).to_contain_text("read role only")
    expect(page.locator("#signed-in-as")).to_have_text("Signed in as alice@example.org")
    expect(page.get_by_role("tab")).to_have_count(0)
    expect(page.get_by_role("button", name="Use key")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "sso-admin-read-role.png"))
    context.close()

    # bob administers (signing in from the admin page): the full page; a change he makes is
    # audited under his name, beside the uploads the admin key made.
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{world.api.url}/admin")
    page.get_by_role("link", name="Sign in with your organisation account").click()
    provider_login(page, "bob")
    expect(page).to_have_url(f"{world.api.url}/admin")
    expect(page.locator("#signed-in-as")).to_have_text("Signed in as bob@example.org")
    docs = page.get_by_role("tabpanel", name="Documents")
    page.get_by_role("textbox", name="New collection").fill("minutes")
    page.get_by_role("button", name="Create collection").click()
    expect(docs.get_by_role("status")).to_contain_text("Created collection minutes.")
    page.get_by_role("tab", name="Audit").click()
    audit = page.get_by_role("tabpanel", name="Audit")
    uploads = audit.locator("tbody tr").filter(has_text="document.upload")
    expect(uploads).to_have_count(2)
    expect(uploads.filter(has_text="hr::leave.md")).to_have_count(1)
    expect(uploads.filter(has_text="legal::contracts.md")).to_have_count(1)
    mine = audit.locator("tbody tr").filter(has_text="collection.create").filter(
        has_text="minutes")
    expect(mine).to_contain_text("bob@example.org")
    expect(mine).to_contain_text("session")
    page.screenshot(path=str(SHOTS / "sso-admin-audit.png"))
    sign_out(page, world.api.url)
    context.close()


def test_widget_on_another_origin_signs_in_through_the_popup(world, browser):  # noqa: F811
    from playwright.sync_api import expect

    api = world.api.url
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{world.host}/intranet.html")
    page.get_by_role("button", name="Open Ask the documents").click()
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in").click()
    popup = opened.value
    expect(popup.locator("input[name=login]")).to_be_visible()
    with popup.expect_event("close", timeout=30_000):  # it posts the token and closes
        provider_login(popup, "alice")
    expect(page.locator(".account")).to_contain_text("alice@example.org")
    expect(page.get_by_role("note", name="Welcome")).to_contain_text(
        "You can ask about 1 document (collection hr,")
    with page.expect_response(f"{api}/v1/ask/stream") as streamed:
        ask(page, HR_Q)
    bot = finished(page, 0)
    expect(bot).to_contain_text("26 weeks")
    page.screenshot(path=str(SHOTS / "sso-widget-popup-answer.png"))
    assert errors == []

    # It asked cross-origin with the widget token (CORS let the Authorization header through),
    # not with a cookie (the popup's cookie belongs to the service's origin, not this page).
    sent = streamed.value.request.all_headers()
    assert sent["authorization"].startswith("Bearer rwt."), sent
    assert "cookie" not in sent
    assert streamed.value.status == 200
    token = sent["authorization"].removeprefix("Bearer ")
    preflight = httpx.options(f"{api}/v1/ask/stream", timeout=30, headers={
        "Origin": world.host, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert preflight.headers["access-control-allow-origin"] == world.host

    # The token is for that page's origin only; the popup hands none to an origin not allowed.
    def asked(origin: str) -> httpx.Response:
        return httpx.post(f"{api}/v1/ask", timeout=60, json={"question": HR_Q}, headers={
            "Authorization": f"Bearer {token}", "Origin": origin})

    assert asked(world.host).status_code == 200
    assert asked("http://127.0.0.1:9").status_code == 401
    refused = httpx.get(f"{api}/auth/popup", params={"origin": "http://127.0.0.1:9"},
                        timeout=30)
    assert refused.status_code == 400 and "cors_origins" in refused.text

    # Signing out at the service (the popup's session) ends the widget token too.
    cookie = {"rag_session": session_cookie(context)}
    csrf = httpx.get(f"{api}/v1/auth/me", cookies=cookie, timeout=30).json()["csrf_token"]
    out = httpx.post(f"{api}/auth/logout", cookies=cookie, timeout=30, headers={
        "X-CSRF-Token": csrf, "Accept": "application/json"})
    assert out.status_code == 200 and out.json()["signed_out"] is True
    gone = asked(world.host)
    assert gone.status_code == 401 and "signed out" in gone.json()["error"]["message"]
    context.close()


def test_sign_out_ends_the_session_here_and_at_the_provider(world, browser):  # noqa: F811
    from playwright.sync_api import expect

    api = world.api.url
    context, page = signed_in(browser, world, "alice")
    old = {"rag_session": session_cookie(context)}
    me = httpx.get(f"{api}/v1/auth/me", cookies=old, timeout=30).json()
    assert me["signed_in"] and me["user"] == "alice@example.org"
    csrf = {"X-CSRF-Token": me["csrf_token"]}
    before = httpx.post(f"{api}/v1/ask", cookies=old, headers=csrf, timeout=60,
                        json={"question": HR_Q})
    assert before.status_code == 200 and "26 weeks" in before.json()["answer"]

    sign_out(page, api)
    assert all(c["value"] != old["rag_session"] for c in context.cookies()
               if c["name"] == "rag_session")  # the browser's cookie is cleared

    after = httpx.post(f"{api}/v1/ask", cookies=old, headers=csrf, timeout=60,
                       json={"question": HR_Q})
    assert after.status_code == 401, after.text
    assert "signed out" in after.json()["error"]["message"]
    assert httpx.get(f"{api}/v1/auth/me", cookies=old, timeout=30).json()["signed_in"] is False
    # The provider's session ended too: signing in again asks for the password.
    page.goto(f"{api}/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("input[name=password]")).to_be_visible()
    context.close()


@pytest.mark.parametrize("form, refusal", [
    ("feedback.html", "relies on the sign-in cookie"),
    ("logout.html", "signing out needs the X-CSRF-Token"),
])
def test_a_cross_site_form_post_is_refused(world, browser, form, refusal):  # noqa: F811
    from playwright.sync_api import expect

    api = world.api.url
    context, page = signed_in(browser, world, "alice")
    target = "/v1/feedback" if form == "feedback.html" else "/auth/logout"
    with page.expect_response(f"{api}{target}") as posted:
        page.goto(f"{world.host}/{form}")
    reply = posted.value
    # The cookie went along (same site, SameSite=Lax), so it is the CSRF check that refuses.
    assert "rag_session=" in reply.request.all_headers().get("cookie", "")
    assert reply.status == 403
    assert refusal in reply.json()["error"]["message"]
    # The session still works.
    page.goto(f"{api}/")
    expect(page.locator(".account")).to_contain_text("alice@example.org")
    ask(page, HR_Q)
    expect(finished(page, 0)).to_contain_text("26 weeks")
    context.close()
