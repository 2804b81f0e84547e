"""What changed between two versions of a policy, in the widget: real headless Chromium over a
real app and index (the bundled encoder, Chroma, the full answer pipeline) of
tests/rag/changes_corpus. The note names both versions, then one entry per change: the new
wording cited in the new version and, for a changed statement, what it was, cited in the old
one; each marker opens its version with the statement highlighted. Screenshot
widget-shape-changes.png (test-artifacts/screenshots/ unless RAG_SCREENSHOTS says otherwise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.test_widget_browser import (corpus_world, opened_widget,
                                               pytestmark as browser_mark)
from tests.service.test_widget_shapes_browser import _answered, _shot

pytestmark = [pytest.mark.slow, browser_mark]

READ_KEY = "changes-read-key-0123456789"
CORPUS = Path(__file__).parents[1] / "rag" / "changes_corpus"


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    with corpus_world(tmp_path_factory, embedder, CORPUS, READ_KEY) as world:
        yield world


@pytest.fixture
def page(served, browser):
    with opened_widget(browser, served[1]) as opened:
        yield opened


def test_each_change_with_what_it_was_each_cited_in_its_version(page):
    from playwright.sync_api import expect

    bot = _answered(page, "What changed in the travel policy since last year?")
    block = bot.locator(".shape.changes")
    expect(block.locator(".shape-note")).to_have_text(
        "From Travel policy 2024 (2024-01-15) to Travel policy 2025 (2025-01-20): 4 changes.")
    entries = block.get_by_role("list", name="Changes").locator("> li")
    expect(entries).to_have_count(4)
    expect(entries.nth(0).locator(".what")).to_have_text("Changed:")
    expect(entries.nth(0).locator(".now")).to_contain_text("at least 21 days before departure")
    expect(entries.nth(0).locator(".was")).to_contain_text("at least 14 days before departure")
    expect(entries.nth(3)).to_have_class("change added")
    expect(entries.nth(3).locator(".now")).to_contain_text("Train travel is preferred")
    # the new wording cites the 2025 version, what it was the 2024 one
    now_n = entries.nth(0).locator(".now button.cite").get_attribute("data-n")
    was_n = entries.nth(0).locator(".was button.cite").get_attribute("data-n")
    sources = bot.get_by_role("list", name="Sources").locator("li")
    titles = {s.inner_text().split(" ", 1)[0].strip("[]"): s.inner_text()
              for s in sources.all()}
    assert "Travel policy 2025" in titles[now_n] and "Travel policy 2024" in titles[was_n]
    _shot(page, bot, "changes")
    # the old wording's marker opens the 2024 version with that statement highlighted
    entries.nth(0).locator(".was button.cite").click()
    viewer = page.locator(".viewer")
    expect(viewer.locator("mark.support")).to_have_text(
        "Staff book all travel through the travel desk at least 14 days before departure.")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
