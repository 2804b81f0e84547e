"""Fixtures of the browser tests (the widget, the admin page)."""

from __future__ import annotations

import pytest

from tests.helpers import CHROMIUM


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()
