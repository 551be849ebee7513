"""The settings page in a real headless Chromium against the real stack (Plex emulator, lab, real settings store):
sections with human labels and the variable names, env-locked fields, one save for the whole page (only the
changed fields), field errors next to the field with nothing saved, the per-library rules table, and a phone.

Screenshots go to artifacts/screenshots/settings*.png (with CACHERR_UPDATE_SCREENSHOT=1 also to docs/images/).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cacherr.settings_labels import SECTIONS
from tests.conftest import require_tool
from tests.web.live import LiveStack, start_live
from tests.web.test_browser import REPO, SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sequential]  # one live stack, in order


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    require_tool("chromium")
    stack = start_live(tmp_path_factory.mktemp("settings"))
    yield stack
    stack.close()


def shot(page, name: str, *, docs: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The whole page to artifacts/; for the docs (on purpose only) what the screen shows, to stay small."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if docs and os.environ.get("CACHERR_UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(REPO / "docs" / "images" / f"{name}.png"))


def _rules_loaded(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#library-rules-table tbody tr[data-title='TV Shows']", timeout=15000)


def test_sections_labels_and_variable_names(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/settings")
    headings = page.eval_on_selector_all("section.settings-group h2", "els => els.map(e => e.textContent)")
    assert headings == [s for s in SECTIONS if s in headings] and {"Plex", "Paths", "Caching", "Real time",
                                                                     "Copies", "Web & security"} <= set(headings)
    field = page.locator("[data-name=NUMBER_EPISODES]")
    assert field.locator("label").inner_text() == "Episodes ahead"
    assert field.locator("code.env").inner_text() == "NUMBER_EPISODES"
    # a checkbox sits on its label's line, before it
    box = page.locator("#f-TEST_MODE").bounding_box()
    label = page.locator("label[for=f-TEST_MODE]").bounding_box()
    assert box and label and abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 8
    assert box["x"] < label["x"] < box["x"] + 60
    # secrets are masked: the token is never in the page
    token = live.container.settings.secret("PLEX_TOKEN")
    assert token and token not in page.content()
    assert page.input_value("#f-PLEX_TOKEN") == ""


def test_a_locked_field_cannot_be_edited(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/settings")
    assert not page.is_editable("#f-CACHE_LIMIT")  # CACHE_LIMIT is set by the environment in this stack
    field = page.locator("[data-name=CACHE_LIMIT]")
    assert "locked" in field.locator(".lock-badge").inner_text()
    assert "Set by the environment variable CACHE_LIMIT" in field.locator(".lock-note").inner_text()


def test_one_save_sends_only_the_changes_and_says_so(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/settings")
    _rules_loaded(page)
    page.fill("#f-NUMBER_EPISODES", "3")
    page.select_option("#f-NOTIFY_LEVEL", "errors")
    assert "2 unsaved changes" in page.inner_text("#save-status")
    with page.expect_request(lambda r: r.method == "PATCH" and r.url.endswith("/api/v1/settings")) as req:
        page.click("#save-settings")
    assert set(req.value.post_data_json) == {"NUMBER_EPISODES", "NOTIFY_LEVEL"}
    page.wait_for_selector("#save-status:has-text('Saved and applied: NOTIFY_LEVEL, NUMBER_EPISODES')")
    assert live.container.settings.NUMBER_EPISODES == 3
    assert live.container.settings.NOTIFY_LEVEL == "errors"
    # the toast says it too, and covers neither the navigation nor the save bar's status
    toast = page.locator("#toast")
    toast.wait_for(state="visible")
    assert "Saved and applied" in toast.inner_text()
    t, nav, status = (page.locator(s).bounding_box() for s in ("#toast", "header.top", "#save-status"))
    assert t and nav and status
    assert t["y"] > nav["y"] + nav["height"]
    assert t["y"] + t["height"] <= status["y"] or t["y"] >= status["y"] + status["height"]
    shot(page, "settings-saved")
    page.reload()
    assert page.input_value("#f-NUMBER_EPISODES") == "3"
    page.click("#save-settings")
    assert page.inner_text("#save-status") == "Nothing changed."


def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    before = live.container.settings
    page.goto("/settings")
    page.fill("#f-DAYS_TO_MONITOR", "soon")
    page.fill("#f-WATCHLIST_EPISODES", str(before.WATCHLIST_EPISODES + 1))  # valid, but in the same save
    page.click("#save-settings")
    error = page.locator("[data-name=DAYS_TO_MONITOR] .field-error")
    error.wait_for(state="visible")
    assert "must be a whole number" in error.inner_text()
    assert "invalid" in (page.locator("[data-name=DAYS_TO_MONITOR]").get_attribute("class") or "")
    assert page.locator("[data-name=WATCHLIST_EPISODES] .field-error").is_hidden()
    after = live.container.settings
    assert (after.DAYS_TO_MONITOR, after.WATCHLIST_EPISODES) == (before.DAYS_TO_MONITOR, before.WATCHLIST_EPISODES)
    shot(page, "settings-error")


def test_library_rules_table_saves_and_reloads(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    page.goto("/settings")
    _rules_loaded(page)
    titles = page.eval_on_selector_all("#library-rules-table tbody tr", "els => els.map(e => e.dataset.title)")
    assert titles == ["Movies", "TV Shows"]  # as the server lists them
    tv = page.locator("#library-rules-table tr[data-title='TV Shows']")
    movies = page.locator("#library-rules-table tr[data-title='Movies']")
    assert tv.locator(".r-episodes").get_attribute("placeholder") == f"{live.container.settings.NUMBER_EPISODES} (global)"
    # a bad value first: named at the table, the cell marked, nothing saved
    tv.locator(".r-episodes").fill("500")
    page.click("#save-settings")
    page.wait_for_selector("#err-LIBRARY_RULES:not([hidden])")
    assert "TV Shows.episodes" in page.inner_text("#err-LIBRARY_RULES")
    assert "invalid" in (tv.locator(".r-episodes").get_attribute("class") or "")
    assert live.container.settings.LIBRARY_RULES == {}
    tv.locator(".r-episodes").fill("7")
    tv.locator(".r-retention").fill("48")
    movies.locator(".r-watchlist").uncheck()
    page.click("#save-settings")
    page.wait_for_selector("#save-status:has-text('Saved and applied: LIBRARY_RULES')")
    rules = live.container.settings.library_rules()
    assert rules["TV Shows"].episodes == 7 and rules["TV Shows"].retention_hours == 48
    assert rules["Movies"].watchlist is False and rules["Movies"].episodes is None
    page.reload()
    _rules_loaded(page)
    assert tv.locator(".r-episodes").input_value() == "7"
    assert tv.locator(".r-retention").input_value() == "48"
    assert not movies.locator(".r-watchlist").is_checked()
    assert movies.locator(".r-enabled").is_checked()
    page.evaluate("document.querySelector('[data-name=CACHE_LIMIT]').scrollIntoView({block: 'start'}); "
                  "window.scrollBy(0, -90)")
    shot(page, "settings", docs=True)  # a locked field, labels with their variables, the library rules
    # back to the globals: blank fields, checked boxes
    tv.locator(".r-episodes").fill("")
    tv.locator(".r-retention").fill("")
    movies.locator(".r-watchlist").check()
    page.click("#save-settings")
    page.wait_for_selector("#save-status:has-text('Saved and applied: LIBRARY_RULES')")
    assert live.container.settings.LIBRARY_RULES == {}


def test_settings_fit_a_phone(browser, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, base_url=live.url)
    try:
        page = context.new_page()
        page.goto("/settings")
        _rules_loaded(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the settings page scrolls sideways on a phone ({width}px)"
        assert page.is_visible("#save-settings")  # the save bar stays on screen
        page.evaluate("document.querySelector('[data-name=CACHE_LIMIT]').scrollIntoView({block: 'start'}); "
                      "window.scrollBy(0, -190)")
        shot(page, "settings-phone", docs=True)
    finally:
        context.close()


def test_library_rules_table_keeps_the_fields_it_does_not_show(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    """Issue 15: a rule's minutes, version and skip_4k (set in the JSON) survive a save from the table."""
    live.container.store.save({"LIBRARY_RULES": {"TV Shows": {"minutes": 120, "version": "1080p", "skip_4k": True}}})
    try:
        page.goto("/settings")
        _rules_loaded(page)
        tv = page.locator("#library-rules-table tr[data-title='TV Shows']")
        tv.locator(".r-episodes").fill("3")
        page.click("#save-settings")
        page.wait_for_selector("#save-status:has-text('Saved and applied: LIBRARY_RULES')")
        rule = live.container.settings.library_rules()["TV Shows"]
        assert (rule.episodes, rule.minutes, rule.version, rule.skip_4k) == (3, 120, "highest:1080p", True)
    finally:
        live.container.store.save({"LIBRARY_RULES": {}})
