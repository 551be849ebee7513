"""The real Chromium for the browser tests: one launch per module, pages that fail the test on a JS error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import import_playwright, require_tool

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """The system Chromium driven by Playwright (skips, or fails under CACHERR_REQUIRE_ALL, when missing)."""
    chromium = require_tool("chromium")
    sync_api = import_playwright()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def checked_page(browser: Any, base_url: str, **context: Any) -> Iterator[Any]:
    """A desktop-sized page; on leaving, the test fails if the page logged a JS error or a CSP violation
    (HTTP 4xx answers the tests provoke are logged too: not errors here)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url, **context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    ctx.close()
    assert not [e for e in errors if not e.startswith("Failed to load resource")], errors
