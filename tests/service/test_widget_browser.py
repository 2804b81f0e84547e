"""The chat widget in real headless Chromium, embedded by one script tag in a page of another
origin: streaming, citations with the supporting span, feedback, follow-ups, states, XSS safety.
Screenshots land in test-artifacts/screenshots/ (never in the tree); scripts/update-screenshots.sh
writes the ones docs/screenshots/ keeps (linked from the README)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import CHROMIUM, ROOT, LiveServer, free_port, make_settings

SHOTS = Path(os.environ.get("RAG_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
READ_KEY = "widget-read-key-0123456789"
ADMIN_KEY = "widget-admin-key-0123456789"
NOVEMBER = "How many migrants did Border Patrol apprehend in November?"
XSS_DOC = (
    "Staff canteen hours\n\nThe staff canteen serves lunch from noon until 2 pm on weekdays. "
    '<script>window.__xss = "script ran"</script> '
    '<img src="x" onerror="window.__xss = \'onerror ran\'"> '
    "Visitors must sign in at reception before entering the canteen.\n"
)
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Intranet</title>
<style>* {{ font-family: serif !important; }} button {{ background: rgb(255, 105, 180) !important; }}</style>
</head><body><h1>Staff intranet</h1><p>Some page the widget is embedded in.</p>
<button id="host-button">A host page button</button>
<script src="{api}/widget.js" data-api-key="{key}" defer></script></body></html>"""

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it as root)",
)


class HostPage:
    """A plain web server of another origin serving the page that embeds the widget (and, by
    path, any ``others``)."""

    def __init__(self, html: str, port: int, others: dict[str, str] | None = None) -> None:
        bodies = {path: text.encode() for path, text in (others or {}).items()}
        default = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = bodies.get(self.path, default)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.url = f"http://127.0.0.1:{port}/intranet.html"
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "HostPage":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def widget_world(root: Path, embedder, read_key: str) -> Iterator[tuple[LiveServer, HostPage]]:
    """The corpus under ``root/corpus`` indexed with the real model into ``root/data``, served
    over HTTP with ``read_key``, and a host page of another origin embedding the widget."""
    from rag.factory import build_pipeline
    from service.app import create_app

    host_port = free_port()
    settings = make_settings(root / "data", server={
        "read_api_key": read_key, "cors_origins": [f"http://127.0.0.1:{host_port}"]})
    pipeline = build_pipeline(settings, embedder=embedder)
    assert pipeline.ingest.sync(root / "corpus").failed == {}
    with LiveServer(create_app(settings, pipeline)) as api, \
            HostPage(HOST_PAGE.format(api=api.url, key=read_key), host_port) as host:
        yield api, host


@contextlib.contextmanager
def corpus_world(tmp_path_factory, embedder, corpus: Path,
                 read_key: str) -> Iterator[tuple[LiveServer, HostPage]]:
    """``widget_world`` over a copy of the folder ``corpus`` in a fresh temporary directory."""
    root = tmp_path_factory.mktemp(corpus.name)
    shutil.copytree(corpus, root / "corpus")
    with widget_world(root, embedder, read_key) as world:
        yield world


@contextlib.contextmanager
def opened_widget(browser, host: HostPage):
    """A new browser page on the host page with the widget's panel open; no page error may
    have been raised when it closes."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    yield page
    assert errors == []
    context.close()


def _served(folder: Path, embedder):
    """A free port for the host page, and the app (with its pipeline) that lets it call."""
    from rag.factory import build_pipeline
    from service.app import create_app

    host_port = free_port()
    settings = make_settings(
        folder / "data",
        server={"read_api_key": READ_KEY, "admin_api_key": ADMIN_KEY,
                "cors_origins": [f"http://127.0.0.1:{host_port}"]},
    )
    pipeline = build_pipeline(settings, embedder=embedder)
    return host_port, create_app(settings, pipeline), pipeline


@pytest.fixture(scope="module")
def widget_env(tmp_path_factory, embedder, corpus_dir):
    host_port, app, pipeline = _served(tmp_path_factory.mktemp("widget"), embedder)
    pipeline.ingest.sync(corpus_dir)
    with LiveServer(app) as api:
        r = httpx.post(f"{api.url}/v1/documents", headers={"X-API-Key": ADMIN_KEY}, timeout=120,
                       files=[("files", ("canteen.txt", XSS_DOC.encode(), "text/plain"))],
                       data={"path": "facilities/canteen.txt"})
        assert r.status_code == 200, r.text
        with HostPage(HOST_PAGE.format(api=api.url, key=READ_KEY), host_port) as page:
            yield api, page, app


def ask(page, question: str) -> None:
    """Type and send, as a person would once the previous answer is finished: the widget
    ignores a send while it is still busy with one (its Ask button is disabled until then)."""
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_enabled(timeout=60_000)
    page.get_by_role("textbox", name="Your question").fill(question)
    page.get_by_role("textbox", name="Your question").press("Enter")


def test_widget_end_to_end(widget_env, browser):
    from playwright.sync_api import expect

    api, host, app = widget_env
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 800},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    asked: list[dict] = []
    page.on("request", lambda req: asked.append(req.post_data_json)
            if req.url.endswith("/v1/ask/stream") and req.method == "POST" else None)
    page.goto(host.url)
    page.evaluate("""() => { window.__deltas = []; window.__answers = [];
        document.addEventListener('rag:delta', e => window.__deltas.push(e.detail.text));
        document.addEventListener('rag:answer', e => window.__answers.push(e.detail)); }""")

    # Closed: only the launcher; the host page's loud button styles do not reach into it.
    launcher = page.get_by_role("button", name="Open Ask the documents")
    expect(launcher).to_be_visible()
    assert page.locator("#host-button").evaluate("b => getComputedStyle(b).backgroundColor") \
        == "rgb(255, 105, 180)"
    assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(31, 95, 191)"
    page.screenshot(path=str(SHOTS / "widget-closed.png"))

    # Open: the focus goes to the question box; the answer streams in with citation markers.
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.id") == "rag-question"
    ask(page, NOVEMBER)
    bot = page.locator(".msg.bot").first
    expect(bot.locator(".cite").first).to_be_visible(timeout=60_000)
    expect(bot).to_contain_text("191,000")
    answer = page.evaluate("window.__answers[0]")
    assert "".join(page.evaluate("window.__deltas")) == answer["answer"]
    # The exact answer comes first, emphasised and cited; the sentence stating it follows.
    assert answer["short_answer"]["text"] == "191,000"
    short = bot.locator(".text > .short")
    expect(short).to_have_text("191,000 1")  # the figure, then its citation button "1"
    assert short.evaluate("e => e === e.parentNode.firstChild")
    assert int(short.evaluate("e => getComputedStyle(e).fontWeight")) >= 700
    expect(short.locator(".cite")).to_have_attribute("data-n", str(answer["short_answer"]["citation"]))
    expect(bot.locator(".text > .rest")).to_contain_text("191,000 migrants")
    expect(page.get_by_role("status").filter(has_text="Answer:")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "widget-answer.png"))

    # A citation opens the cited passage with the supporting span highlighted.
    bot.locator(".cite").first.click()
    viewer = page.get_by_role("region", name=answer["citations"][0]["title"][:20])
    expect(viewer).to_be_visible()
    support = viewer.locator("mark.support")
    expect(support).to_contain_text("191,000")
    passage = viewer.locator("mark").all_inner_texts()
    assert len(support.inner_text()) < len("".join(passage))  # the span, not the whole passage
    expect(viewer.get_by_role("link", name="Show the whole document")).to_be_visible()
    # The panel names the date of the corpus release the answer was read from.
    assert answer["release"] and answer["release_date"]
    year, month, mday = (int(x) for x in answer["release_date"][:10].split("-"))
    month_name = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[month - 1]
    expect(viewer.locator(".vmeta").first).to_contain_text(
        f"documents as of {mday} {month_name} {year}")
    page.screenshot(path=str(SHOTS / "widget-citation.png"))
    page.keyboard.press("Escape")  # closes the viewer, focus back on the marker
    expect(viewer).to_be_hidden()
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "cite"

    # Copy and feedback with a comment, stored tied to this answer.
    bot.get_by_role("button", name="Copy answer").click()
    expect(bot).to_contain_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == answer["answer"]
    bot.get_by_role("button", name="Helpful", exact=True).click()
    bot.get_by_role("textbox", name="Comment (optional)").fill("exactly what I needed")
    bot.get_by_role("button", name="Send feedback").click()
    expect(bot).to_contain_text("Thanks for the feedback.")
    exported = list(app.state.feedback.export_gold("up"))
    assert [c.id for c in exported] == [f"feedback_{answer['answer_id']}"]
    assert exported[0].comment == "exactly what I needed"

    # A follow-up carries the conversation so far.
    ask(page, "Who did Blinken meet?")
    expect(page.locator(".msg.bot")).to_have_count(2)
    expect(page.locator(".msg.bot").nth(1)).not_to_have_attribute("aria-busy", "true",
                                                                   timeout=60_000)
    assert asked[1]["history"] == [{"role": "user", "content": NOVEMBER},
                                   {"role": "assistant", "content": answer["answer"]}]

    # Refused, in plain words.
    ask(page, "What is the capital of Canada?")
    refused = page.locator(".msg.bot.refused")
    expect(refused).to_contain_text("The documents do not say.", timeout=60_000)
    page.screenshot(path=str(SHOTS / "widget-refused.png"))

    # An error offers a retry; offline is shown and blocks sending.
    ask(page, "x" * 2001)
    failed = page.locator(".msg.bot.error")
    expect(failed).to_contain_text("limit is 2000", timeout=30_000)
    expect(failed.get_by_role("button", name="Retry")).to_be_focused()
    context.set_offline(True)
    expect(page.get_by_role("alert")).to_contain_text("You are offline")
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_disabled()
    context.set_offline(False)
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_enabled()

    # A new conversation starts empty (but for the greeting), without history.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".msg.user, .msg.bot")).to_have_count(0)
    expect(page.get_by_role("note", name="Welcome")).to_have_count(1)

    # A document holding <script> and onerror= shows the characters and runs nothing.
    ask(page, "When does the staff canteen serve lunch?")
    bot = page.locator(".msg.bot").first
    expect(bot.locator(".cite").first).to_be_visible(timeout=60_000)
    assert page.evaluate("window.__answers.at(-1).citations[0].doc_id") == "facilities/canteen.txt"
    assert asked[-1]["history"] == []
    bot.locator(".cite").first.click()
    doc = page.get_by_role("region", name="Staff canteen hours").locator(".doc")
    expect(doc).to_contain_text("<script>window.__xss")  # short: shown whole at once
    expect(doc).to_contain_text("onerror=\"window.__xss")
    assert page.evaluate("window.__xss") is None
    assert page.locator(".doc img, .doc script").count() == 0

    # Phone width: the panel fits the screen.
    page.set_viewport_size({"width": 375, "height": 740})
    box = page.locator(".panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    expect(page.get_by_role("textbox", name="Your question")).to_be_in_viewport()
    assert errors == []
    context.close()


def test_full_page_chat(widget_env, browser):
    from playwright.sync_api import expect

    api, _, _ = widget_env
    page = browser.new_page()
    page.goto(f"{api.url}/")
    expect(page.get_by_role("main", name="Ask the documents")).to_be_visible()
    expect(page.get_by_role("button", name="Open Ask the documents")).to_have_count(0)
    ask(page, NOVEMBER)  # no key on the page: the service says it needs one, and takes it
    expect(page.locator(".msg.bot.error")).to_contain_text("API key", timeout=30_000)
    page.get_by_role("textbox", name="API key").fill(READ_KEY)
    page.get_by_role("button", name="Use key").click()
    expect(page.locator(".msg.bot").first).to_contain_text("191,000", timeout=60_000)
    expect(page.locator(".msg.bot.error")).to_have_count(0)
    page.close()


MARKUP_ID = 'facilities/<img src=x onerror="window.__xss=1">gym.txt'
MARKUP_DOC = (
    'Gym <img src=y onerror="window.__xss=\'title ran\'"> hours\n\n'
    'The staff gym opens at 6 am <b onmouseover="window.__xss=\'answer ran\'">on weekdays</b>.\n'
)


def test_markup_in_titles_ids_and_answers_is_text(widget_env, browser):
    """Markup in a document's title, its id and its text is shown as characters in the
    citation marker's label, the sources list and the passage viewer, and runs nothing."""
    from playwright.sync_api import expect

    api, host, _ = widget_env
    r = httpx.post(f"{api.url}/v1/documents", headers={"X-API-Key": ADMIN_KEY}, timeout=120,
                   files=[("files", ("gym.txt", MARKUP_DOC.encode(), "text/plain"))],
                   data={"path": MARKUP_ID})
    assert r.status_code == 200, r.text
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    ask(page, "When does the staff gym open on weekdays?")
    bot = page.locator(".msg.bot").first
    expect(bot.locator(".cite").first).to_be_visible(timeout=60_000)
    expect(bot).to_contain_text("The staff gym opens at 6 am")
    source = bot.locator(".sources button").first
    expect(source).to_contain_text('Gym <img src=y onerror="window.__xss')
    source.hover()
    source.click()
    viewer = page.get_by_role("region", name="Gym")
    expect(viewer.locator(".vmeta").first).to_contain_text(MARKUP_ID)
    expect(viewer.locator(".doc")).to_contain_text("<b onmouseover=")
    page.locator(".doc").hover()
    assert page.evaluate("window.__xss") is None
    assert page.locator(".panel img, .panel b").count() == 0
    assert errors == []
    page.close()


def test_short_answer_is_shown_first_as_text(widget_env, browser):
    """A short answer holding markup (as a document could) is shown as characters, first."""
    import json

    from playwright.sync_api import expect

    api, host, _ = widget_env
    text = '<img src=x onerror="window.__xss=\'short ran\'">Ada'
    done = {"answer_id": "a" * 32, "question": "q", "standalone_question": "q",
            "answer": text + ". [1] Ada wrote it. [1]", "refused": False,
            "prompt_version": "v1", "generator": "extractive", "timings_ms": {},
            "citations": [{"n": 1, "doc_id": "d.txt", "title": "D", "text": "Ada wrote it.",
                           "start": 0, "end": 13, "score": 1.0, "chunk_id": "c", "spans": []}],
            "short_answer": {"text": text, "citation": 1, "start": 0, "end": 3}}
    body = (f"event: delta\ndata: {json.dumps({'text': done['answer']})}\n\n"
            f"event: done\ndata: {json.dumps(done)}\n\n")
    page = browser.new_page()
    page.route("**/v1/ask/stream", lambda route: route.fulfill(
        status=200, body=body, headers={"Content-Type": "text/event-stream",
                                        "Access-Control-Allow-Origin": "*"}))
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    ask(page, "Who wrote it?")
    short = page.locator(".msg.bot .short")
    expect(short).to_contain_text('<img src=x onerror="window.__xss', timeout=30_000)
    expect(page.locator(".msg.bot .rest")).to_have_text("Ada wrote it. 1")
    assert page.locator(".panel img").count() == 0
    assert page.evaluate("window.__xss") is None
    page.close()


def test_the_widget_greets_with_what_the_key_can_see_and_questions_to_try(widget_env, browser):
    from playwright.sync_api import expect

    api, host, _ = widget_env
    read = {"X-API-Key": READ_KEY}
    docs = httpx.get(f"{api.url}/v1/documents", headers=read, timeout=30).json()["total"]
    # The collection, its size and its last update, and as many questions to try as answers
    # rated up so far (other tests of this module may have rated some).
    before = httpx.get(f"{api.url}/v1/overview", headers=read, timeout=30).json()
    page = browser.new_page()
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    welcome = page.get_by_role("note", name="Welcome")
    expect(welcome).to_contain_text(f"You can ask about {docs} documents (collection default, "
                                    f"updated {before['updated'][:10]})")
    expect(welcome.get_by_role("button")).to_have_count(len(before["examples"]))
    page.close()

    # A staff member rates an answer up: it becomes the first question to try, shown as text.
    question = "Who is the Foreign Secretary of Mexico?"
    body = httpx.post(f"{api.url}/v1/ask", headers=read, timeout=60,
                      json={"question": question}).json()
    assert not body["refused"]
    r = httpx.post(f"{api.url}/v1/feedback", headers=read, timeout=30,
                   json={"answer_id": body["answer_id"], "rating": "up"})
    assert r.status_code == 201
    overview = httpx.get(f"{api.url}/v1/overview", headers=read, timeout=30).json()
    assert overview["examples"][0] == question and overview["documents"] == docs
    assert httpx.get(f"{api.url}/v1/overview", timeout=30).status_code == 401

    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    welcome = page.get_by_role("note", name="Welcome")
    example = welcome.get_by_role("button", name=question)
    expect(example).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-greeting.png"))
    example.focus()
    page.keyboard.press("Enter")  # keyboard usable: the example is asked
    expect(page.locator(".msg.user")).to_have_text(question)
    expect(page.locator(".msg.bot").first).to_contain_text("Bárcena", timeout=60_000)
    page.close()


HR_SECRET = ("# Parental leave\n\nStaff of the border liaison office receive 26 weeks of paid "
             "parental leave, booked through the HR desk in room 114.\n")
PUBLIC_NOTE = ("# Office hours\n\nThe border liaison office is open from 8 am to 6 pm on "
               "weekdays; visitors sign in at the front desk.\n")
SCOPED_PAGE = HOST_PAGE.replace('defer></script>', 'data-collections="{collections}" defer>'
                                '</script>')


@pytest.fixture(scope="module")
def scoped_env(tmp_path_factory, embedder):
    """Two collections: 'hr' holds a fact the 'default' one does not; one host origin serves a
    page whose widget is narrowed to each."""
    host_port, app, _ = _served(tmp_path_factory.mktemp("scoped"), embedder)
    with LiveServer(app) as api:
        admin = {"X-API-Key": ADMIN_KEY}
        assert httpx.post(f"{api.url}/v1/collections", headers=admin, json={"name": "hr"},
                          timeout=30).status_code in (200, 201)
        for name, text, collection in (("leave.md", HR_SECRET, "hr"),
                                       ("hours.md", PUBLIC_NOTE, "default")):
            r = httpx.post(f"{api.url}/v1/documents", headers=admin, timeout=120,
                           files=[("files", (name, text.encode(), "text/markdown"))],
                           data={"collection": collection})
            assert r.status_code == 200, r.text
        pages = {f"/{c}.html": SCOPED_PAGE.format(api=api.url, key=READ_KEY, collections=c)
                 for c in ("hr", "default")}
        with HostPage(HOST_PAGE.format(api=api.url, key=READ_KEY), host_port, pages) as host:
            yield api, f"http://127.0.0.1:{host_port}"


def test_data_collections_narrows_what_the_widget_answers_from(scoped_env, browser):
    """A page whose widget says data-collections="hr" greets with that collection only, sends
    it with every question and answers from it; the same key on a page narrowed to 'default'
    never answers from 'hr'."""
    from playwright.sync_api import expect

    api, origin = scoped_env
    question = "How many weeks of paid parental leave do staff receive?"
    sent: list[dict] = []

    def open_page(collection: str):
        page = browser.new_page()
        page.on("request", lambda req: sent.append(req.post_data_json)
                if req.url.endswith("/v1/ask/stream") and req.method == "POST" else None)
        page.goto(f"{origin}/{collection}.html")
        page.get_by_role("button", name="Open Ask the documents").click()
        return page

    page = open_page("hr")
    expect(page.get_by_role("note", name="Welcome")).to_contain_text(
        "You can ask about 1 document (collection hr,")
    ask(page, question)
    bot = page.locator(".msg.bot").first
    expect(bot.locator(".cite").first).to_be_visible(timeout=60_000)
    expect(bot).to_contain_text("26 weeks")
    expect(bot.get_by_role("list", name="Sources")).to_have_text("[1] Parental leave")
    assert sent[-1]["collections"] == ["hr"]
    page.close()

    page = open_page("default")
    expect(page.get_by_role("note", name="Welcome")).to_contain_text("(collection default,")
    ask(page, question)
    bot = page.locator(".msg.bot").first
    expect(bot).to_contain_text("The documents do not say", timeout=60_000)
    expect(bot).not_to_contain_text("26 weeks")
    assert sent[-1]["collections"] == ["default"]
    page.close()


def test_widget_shows_document_dates_and_a_disagreement(tmp_path, embedder, browser):
    """Sources stating different durations: the answer opens with a note naming each side,
    cited; each source is listed with the date its document states; the viewer names it."""
    from playwright.sync_api import expect

    from tests.rag.test_dated_answers import FILES

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in FILES.items():
        (corpus / name).write_text(text)
    host_port, app, pipeline = _served(tmp_path, embedder)
    pipeline.ingest.sync(corpus)
    with LiveServer(app) as api, HostPage(HOST_PAGE.format(api=api.url, key=READ_KEY),
                                          host_port) as host:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(host.url)
        page.get_by_role("button", name="Open Ask the documents").click()
        ask(page, "How long did the meeting between the delegations last?")
        bot = page.locator(".msg.bot").first
        note = bot.locator(".text > .disagree")
        expect(note).to_be_visible(timeout=60_000)
        expect(note).to_have_attribute("role", "note")
        expect(note).to_contain_text("The sources disagree: four hours")
        expect(note).to_contain_text("two hours")
        assert note.locator(".cite").count() == 2  # each side cited
        expect(bot.locator(".text > .rest")).not_to_contain_text("The sources disagree")
        sources = bot.get_by_role("list", name="Sources")
        expect(sources).to_contain_text("Border talks in Mexico City · 8 Feb 2024")
        expect(sources).to_contain_text("7 Feb 2024")
        page.screenshot(path=str(SHOTS / "widget-disagreement.png"))
        sources.get_by_role("button").filter(has_text="Border talks").click()
        expect(page.locator(".vmeta").first).to_contain_text("dated 8 Feb 2024")
        assert not errors, errors
        page.close()
