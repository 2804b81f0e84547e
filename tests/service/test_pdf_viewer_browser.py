"""The widget's "p. N" and the PDF viewer in real headless Chromium: the widget, embedded by one
script tag in a page of another origin with a read key, answers from a real multi-page PDF
(reportlab, real model, real Chroma), shows the citation's page beside its source, and its link
opens /viewer framed in an overlay; the widget fetches the PDF with its key and hands the bytes
over, pdf.js (served by the app: nothing is loaded from anywhere else) draws the cited page and
the passage is marked in its text layer. Screenshot: widget-pdf-page.png (test-artifacts/, or
docs/screenshots/ through scripts/update-screenshots.sh)."""

from __future__ import annotations

import os
import re

import pytest

from tests.helpers import CHROMIUM
from tests.service.pdf_world import ANSWER_PAGE, QUESTION, write_corpus
from tests.service.test_widget_browser import SHOTS, ask, widget_world

READ_KEY = "viewer-read-key-0123456789"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it as root)",
)


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("viewer")
    write_corpus(root / "corpus")
    with widget_world(root, embedder, READ_KEY) as served:
        yield served


INK = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++; return n; }"""


def test_the_page_link_opens_the_pdf_at_the_cited_page_with_the_passage_marked(served, browser):
    from playwright.sync_api import expect

    api, host = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    urls: list[str] = []
    context.on("request", lambda req: urls.append(req.url))
    page.goto(host.url)
    page.get_by_role("button", name="Open Ask the documents").click()
    ask(page, QUESTION)

    # "p. 3" (or "pp. 2-3" for a passage over a page break) beside the source.
    link = page.get_by_role("button", name=re.compile(r"^Open pp?\. [\d\u2013]+ of .* \(PDF\)$"))
    expect(link).to_be_visible(timeout=90_000)
    label = link.inner_text()
    assert re.fullmatch(r"p\. \d+|pp\. \d+\u2013\d+", label), label
    pages = [int(n) for n in re.findall(r"\d+", label)]
    assert pages[0] <= ANSWER_PAGE <= pages[-1]
    link.click()

    # The viewer, framed: page 3 drawn, the passage marked over the words that say it.
    viewer = page.frame_locator("iframe[title^='PDF:']")
    expect(viewer.locator(f"body[data-page='{ANSWER_PAGE}']")).to_be_attached(timeout=30_000)
    expect(viewer.locator("#status")).to_have_text(f"Page {ANSWER_PAGE} of 4")
    marks = viewer.locator("mark.hl")
    expect(marks.first).to_be_attached()
    marked = " ".join(marks.all_text_contents())
    assert "Hallstrom" in marked and "spillway gates" in marked, marked
    if pages[0] < ANSWER_PAGE:  # the passage began on an earlier page: marked from the top
        assert marked.startswith("Spillway works."), marked[:80]
    expect(viewer.locator("mark.hl.support").first).to_be_attached()
    assert viewer.locator("#canvas").evaluate(INK) > 2000  # the page's text is drawn
    canvas = viewer.locator("#canvas").bounding_box()
    hit = viewer.locator("mark.hl", has_text="Hallstrom").first.bounding_box()
    assert canvas["x"] <= hit["x"] < canvas["x"] + canvas["width"]
    assert canvas["y"] <= hit["y"] < canvas["y"] + canvas["height"]
    expect(page.get_by_role("status").filter(has_text="cited passage highlighted")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "widget-pdf-page.png"))

    # Escape in the viewer closes it and gives the focus back to the link.
    viewer.locator("#main").press("Escape")
    expect(page.locator("iframe[title^='PDF:']")).to_have_count(0)
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "page"

    assert errors == []
    origins = {re.match(r"https?://[^/]+", u).group(0) for u in urls if u.startswith("http")}
    assert origins <= {api.url, host.url.rsplit("/", 1)[0]}, origins  # no CDN, nothing else
    assert any(u.endswith("/pdfjs/pdf.worker.min.mjs") for u in urls)
    context.close()
