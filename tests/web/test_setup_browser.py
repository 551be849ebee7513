"""The whole setup in a real headless Chromium, from an empty CONFIG_DIR, against the Plex emulator:
sign in with Plex, pick the server, libraries with proposed mappings, users, a dry run, go live.
Screenshots go to artifacts/screenshots/setup-*.png (with CACHERR_UPDATE_SCREENSHOT=1 also to docs/images/)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.web.app import create_app
from cacherr.web.server import ServerHandle, start_in_thread
from tests.conftest import require_tool
from tests.web.setup_stack import EmptyInstall, empty_install
from tests.web.test_browser import REPO, SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sequential]  # one live stack, in order


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmptyInstall, ServerHandle]]:
    require_tool("chromium")
    install = empty_install(tmp_path_factory.mktemp("setup"))
    server = start_in_thread(create_app(install.container), "127.0.0.1", 0)
    yield install, server
    server.stop()
    install.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("CACHERR_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(path, REPO / "docs" / "images" / f"{name}.png")


def test_setup_from_an_empty_config_dir_to_live(browser, stack) -> None:  # type: ignore[no-untyped-def]
    install, server = stack
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/media")
        page.wait_for_url("**/setup")  # every page leads to setup
        shot(page, "setup-start")
        with context.expect_page():  # the plex.tv approval window
            page.click("#plex-signin")
        page.wait_for_selector("#signin-status:has-text('Signed in to Plex')", timeout=15000)
        # the server: each address tried, the LAN one that works is chosen
        page.wait_for_selector(".setup-conns .conn.ok", timeout=15000)
        assert "does not answer" in page.inner_text(".setup-conns .conn.bad")
        assert page.is_checked(f"input[name=conn][value='{install.plex.url}']")
        page.click("#server-save")
        # libraries: folders as Plex reports them, proposed and checked against the mounted array (first
        # under the default roots, which do not exist here)
        page.wait_for_selector("#libraries-table .lib-check.bad", timeout=15000)
        page.fill("#array-root", str(install.lab.array_root))
        page.fill("#cache-root", str(install.lab.cache_root))
        page.click("#propose")
        page.wait_for_selector("#libraries-table .lib-check.ok", timeout=15000)
        assert "/data/movies" in page.inner_text("#libraries-table")
        assert page.locator("#libraries-table .lib-check.ok").count() == 2
        movies = page.locator("#libraries-table tr[data-name=movies] .lib-real")
        movies.fill("/mnt/user/media/movies")  # the union view is refused with the reason
        page.click("#libraries-save")
        page.wait_for_selector("#libraries-error:not([hidden])")
        assert "union view" in page.inner_text("#libraries-error")
        shot(page, "setup-libraries")
        movies.fill(f"{install.lab.array_root}/movies")
        page.click("#libraries-save")
        # users, with per-user switches
        page.wait_for_selector("#users-table tbody tr")
        rows = page.locator("#users-table tbody tr")
        assert rows.count() > 1
        rows.nth(1).locator(".u-watch").uncheck()
        page.click("#users-save")
        # the first dry run, on screen; then live
        page.wait_for_selector("#step-dry:not([hidden])")
        page.click("#setup-dry-run")
        page.wait_for_selector("#dry-table tbody tr", timeout=60000)
        assert "nothing was touched" in page.inner_text("#dry-summary")
        assert install.container.settings.TEST_MODE is True
        assert not any(install.lab.cache_root.rglob("*.mkv"))
        shot(page, "setup-dry-run")
        page.click("#go-live")
        page.wait_for_selector("#to-overview")
        assert install.container.settings.TEST_MODE is False
        assert len(install.container.settings.SKIP_WATCHLIST_USERS) == 1
        page.click("#to-overview")
        page.wait_for_function("() => location.pathname === '/'")
        assert page.title() == "Cacherr · Overview"
        assert not page.is_visible("#setup-banner")
    finally:
        context.close()
    assert not errors, errors


def test_setup_fits_a_phone(browser, tmp_path: Path, clean_env: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    install = empty_install(tmp_path)
    server = start_in_thread(create_app(install.container), "127.0.0.1", 0)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, base_url=server.url)
    try:
        page = context.new_page()
        page.goto("/")
        page.wait_for_url("**/setup")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"setup scrolls sideways on a phone ({width}px)"
        # every page of the navigation is on screen (Settings and Logs used to be scrolled off)
        rights = page.eval_on_selector_all(".nav a", "els => els.map(e => e.getBoundingClientRect().right)")
        assert len(rights) == 7 and max(rights) <= 390, rights
        shot(page, "setup-phone")
    finally:
        context.close()
        server.stop()
        install.close()
