"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright) against the real
stack: Plex emulator, lab array/cache, real cycle service and file engine, waitress on 127.0.0.1.

The tests run in file order on one live server (module scope): overview, dry run, a real cycle with a
moving progress bar, settings (applied, then a bad value), login and logout. A screenshot of every page
goes to artifacts/screenshots/; with CACHERR_UPDATE_SCREENSHOT=1 the overview one is copied to
docs/images/dashboard.png for the README.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.web.live import LiveStack, start_live

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sequential]  # one live stack, in order
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    require_tool("chromium")
    stack = start_live(tmp_path_factory.mktemp("live"))
    yield stack
    stack.close()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_overview_shows_cache_health_and_the_auth_banner(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.title() == "Cacherr · Overview"
    assert page.is_visible("#auth-banner")
    page.wait_for_function("() => document.querySelector('#h-plex').classList.contains('ok')", timeout=15000)
    assert "no limit" not in page.inner_text("#cache-budget")  # CACHE_LIMIT=2GB
    assert page.inner_text("#last-cycle") == "never"
    shot(page, "overview-empty")


def test_dry_run_shows_the_plan(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.click("#dry-run")
    page.wait_for_url(re.compile(r"/plan\?preview=1"))
    page.wait_for_selector("#plan-cache table", timeout=30000)
    text = page.inner_text("#plan-body").lower()
    assert "will cache" in text and "amélie" in text  # alice is 20 minutes into it
    assert re.search(r"(in progress|on deck|next episode)", page.inner_text("#plan-cache"))
    assert "nothing was touched" in page.inner_text("#plan-caption")
    assert not any(live.lab.cache_root.rglob("*.mkv"))  # a dry run touches no file
    shot(page, "plan")


def test_run_now_moves_files_and_the_progress_bar_reaches_the_end(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.click("#run-now")
    # a bar appears and moves, below 100%...
    # (any bar: with two copies at once the first one shown may be a finished one, held at 100 for a moment)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('#ops .op progress'))
        .some(p => p.value > 0 && p.value < 100)""", timeout=60000)
    shot(page, "overview-copying")
    # ...and reaches the end
    page.wait_for_function("""() => { const p = document.querySelector('#ops .op progress');
        return p && p.value >= 100; }""", timeout=120000)
    page.wait_for_function("() => document.querySelector('#last-cycle').textContent.startsWith('ok')", timeout=180000)
    assert any(live.lab.cache_root.rglob("*.mkv"))
    page.wait_for_function("() => document.querySelector('#cache-entries').textContent !== '0'", timeout=10000)
    page.goto("/media")
    assert page.locator("#media-table tbody tr").count() > 0
    shot(page, "media")
    page.goto("/history")
    assert "ok" in page.inner_text("#cycles-table")
    assert "done" in page.inner_text("#ops-table")  # the engine's journal
    shot(page, "history")


def test_pin_from_the_media_page(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/media")
    first = page.locator("#media-table tbody tr").first
    first.locator("button[data-action=pin]").click()
    page.wait_for_selector("#media-table .badge:text('pinned')", timeout=10000)


def test_change_a_setting_and_see_it_applied(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    before = len(live.container.registry.entries())
    page.goto("/settings")
    assert page.is_disabled("#f-CACHE_LIMIT")  # set by the environment in this stack
    assert "Set by the environment variable CACHE_LIMIT" in page.inner_text("[data-name=CACHE_LIMIT]")
    page.fill("#f-NUMBER_EPISODES", "3")
    page.fill("#f-DAYS_TO_MONITOR", "30")
    page.click("#save-settings")
    page.wait_for_selector("#save-status:has-text('Saved and applied: DAYS_TO_MONITOR, NUMBER_EPISODES')")
    assert live.container.settings.DAYS_TO_MONITOR == 30
    page.reload()
    assert page.input_value("#f-NUMBER_EPISODES") == "3"
    # applied without a restart: the next cycle caches more episodes after each one on deck
    page.goto("/")
    page.wait_for_function("() => document.querySelector('#last-cycle').textContent.startsWith('ok')")
    newest = int(live.container.db.query("SELECT COALESCE(MAX(id), 0) AS m FROM cycles")[0]["m"])
    page.click("#run-now")
    page.wait_for_function("""() => Array.from(document.querySelectorAll('#ops .op progress'))
        .some(p => p.value > 10 && p.value < 90)""", timeout=60000)
    page.wait_for_timeout(300)
    path = shot(page, "overview")
    if os.environ.get("CACHERR_UPDATE_SCREENSHOT") == "1":  # refresh the README's picture on purpose only
        shutil.copyfile(path, REPO / "docs" / "images" / "dashboard.png")
    # the status line tells the story of the cycle just run (not of the button pressed)
    page.wait_for_function(f"() => /Last cycle #{newest + 1} \\(api\\) ok, .*: \\d+ cached/"
                           ".test(document.querySelector('#job-status').textContent)", timeout=180000)
    assert len(live.container.registry.entries()) > before
    page.goto("/settings")
    page.check("#f-TEST_MODE")
    page.click("#save-settings")
    page.wait_for_selector("#save-status:has-text('TEST_MODE')")
    page.goto("/")
    assert page.is_visible("#test-mode-banner")  # applied without a restart
    live.container.store.save({"TEST_MODE": False})


def test_a_bad_value_shows_the_fields_error(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/settings")
    page.fill("#f-DAYS_TO_MONITOR", "soon")
    page.fill("#f-WATCHLIST_EPISODES", "500")
    page.click("#save-settings")
    page.wait_for_selector("#err-DAYS_TO_MONITOR:not([hidden])")
    assert "must be a whole number" in page.inner_text("#err-DAYS_TO_MONITOR")
    assert "100" in page.inner_text("#err-WATCHLIST_EPISODES")
    assert live.container.settings.DAYS_TO_MONITOR == 30  # nothing saved
    shot(page, "settings-error")


def test_logs_tail_live(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    import logging
    import uuid

    page.goto("/logs")
    page.wait_for_function("() => document.querySelector('#log').textContent.includes('cycle')", timeout=10000)
    marker = f"written after the page loaded {uuid.uuid4().hex}"
    logging.getLogger("cacherr.test").warning(marker)  # the live stack serves from this process: its ring
    page.wait_for_function(f"() => document.querySelector('#log').textContent.includes('{marker}')", timeout=10000)
    shot(page, "logs")


def test_log_in_and_out(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/settings")
    page.fill("#f-WEB_USERNAME", "admin")
    page.fill("#f-WEB_PASSWORD", "browser-test-pass")
    page.click("#save-settings")
    page.wait_for_selector("#save-status:has-text('Saved and applied')")
    try:
        page.goto("/media")
        page.wait_for_url(re.compile(r"/login"))
        assert not page.is_visible("#auth-banner")
        page.fill("#username", "admin")
        page.fill("#password", "wrong password")
        page.click("#login-submit")
        assert "Wrong username or password" in page.inner_text("#login-error")
        shot(page, "login")
        page.fill("#username", "admin")
        page.fill("#password", "browser-test-pass")
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/media$"))
        assert "admin" in page.inner_text(".who")
        page.click("#logout")
        page.wait_for_url(re.compile(r"/login"))
        page.goto("/")
        page.wait_for_url(re.compile(r"/login"))
    finally:
        live.container.store.save({"WEB_USERNAME": "", "WEB_PASSWORD": ""})


def test_overview_reads_well_on_a_phone(browser, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, base_url=live.url)
    page = context.new_page()
    try:
        page.goto("/")
        page.wait_for_function("() => document.querySelector('#last-cycle').textContent !== '\u2013'")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        shot(page, "overview-phone")
        page.goto("/media")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "media-phone")
    finally:
        context.close()
