"""Issue 14 items 4-8 in a real headless Chromium against the real stack (Plex emulator, lab array/cache, the
real cycle service and file engine): history that explains, restore that sticks, the overview's story, one
clock in the configured TZ (not the browser's), and no page wider than a phone.

The server runs with TZ=Asia/Kolkata (+05:30, no summer time) and the browser in America/Los_Angeles: every
time on the page must be shown in Kolkata time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.web.chromium import checked_page
from tests.web.live import LiveStack, start_live
from tests.web.test_browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sequential]  # one live stack, in order
TZ = "Asia/Kolkata"
PAGES = ("/", "/media", "/plan", "/history", "/checks", "/logs", "/settings", "/setup")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    from tests.conftest import require_tool

    require_tool("chromium")
    stack = start_live(tmp_path_factory.mktemp("story"), copy_delay=0.0, TZ=TZ)
    yield stack
    stack.close()


@pytest.fixture
def page(browser, live: LiveStack):  # type: ignore[no-untyped-def]
    with checked_page(browser, live.url, timezone_id="America/Los_Angeles") as pg:
        yield pg


def wait_until(predicate: Callable[[], bool], seconds: int = 60) -> bool:
    """The restore runs as a background web job: look once a second until it is done."""
    for _ in range(seconds):
        if predicate():
            return True
        time.sleep(1)
    return predicate()


def run_cycle(live: LiveStack, dry_run: bool = False) -> int:
    service = live.container.cycle_service()
    service.realtime.shutdown(wait=True)  # a real-time top-up a session started finishes first
    report = service.run("test", dry_run=dry_run)
    assert report.status in ("ok", "dry-run"), (report.status, report.message)
    return report.cycle_id


def test_history_shows_each_cycle_with_titles_and_reasons(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    cid = run_cycle(live)
    page.goto("/history")
    body = page.locator(f"#cycle-{cid}")
    body.locator("summary").click()
    what = body.locator(".cycle-what").inner_text()
    assert re.search(r"Cached \(\d+\)", what), what
    assert re.search(r"because (on deck|in progress|next episode|playing now|on the watchlist)", what), what
    ops = page.inner_text("#ops-table")
    assert "done" in ops and f"#{cid}" in ops
    link = page.locator(f"#ops-table a.cycle-link[href*='cycle={cid}']").first
    link.click()
    page.wait_for_url(re.compile(rf"cycle={cid}"))
    assert page.locator(f"#cycle-{cid} details").get_attribute("open") is not None
    shot(page, "history-explains")


def test_history_pages_beyond_fifty_and_updates_itself(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    db = live.container.db
    for i in range(60):
        db.execute("INSERT INTO cycles (started_at, finished_at, trigger, dry_run, status, summary) VALUES "
                   "(?,?,?,?,?,?)", (f"2026-01-01T00:{i:02d}:00+00:00", f"2026-01-01T00:{i:02d}:05+00:00", "old", 1,
                                     "dry-run", '{"cached": 0, "restored": 0, "failed": 0}'))
    total = int(db.query("SELECT COUNT(*) AS n FROM cycles")[0]["n"])
    page.goto("/history")
    count = lambda: page.locator("#cycles-table tbody.cycle").count()  # noqa: E731
    assert count() == 25
    for _ in range(5):
        if page.locator("#cycles-more").is_hidden():
            break
        before = count()
        page.click("#cycles-more")
        page.wait_for_function(f"() => document.querySelectorAll('#cycles-table tbody.cycle').length > {before}")
    assert count() == total and page.locator("#cycles-more").is_hidden()
    cid = run_cycle(live, dry_run=True)  # from outside the page: it must show up without a reload
    page.wait_for_selector(f"#cycle-{cid}", timeout=20_000)
    assert page.locator("#cycles-table tbody.cycle").first.get_attribute("id") == f"cycle-{cid}"


def test_restore_keep_off_stays_off_until_let_back_in(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    service = live.container.cycle_service()
    run_cycle(live)
    entry = next(e for e in live.container.registry.entries() if not e.pinned)
    page.goto("/media")
    row = page.locator(f"#media-table tr[data-id='{entry.id}']")
    with page.expect_navigation():
        row.locator("button[data-action=restore-keep-off]").click()
    assert wait_until(lambda: not any(e.cache_path == entry.cache_path for e in live.container.registry.entries()))
    assert not any(e.cache_path == entry.cache_path for e in live.container.registry.entries())
    run_cycle(live)
    assert not any(e.cache_path == entry.cache_path for e in live.container.registry.entries()), "copied back"
    page.goto("/media")
    kept = page.inner_text("#exclusions-table")
    assert entry.title in kept
    shot(page, "media-kept-off")
    with page.expect_navigation():
        page.locator("#exclusions-table button[data-action=let-in]").first.click()
    assert service.exclusions() == []
    run_cycle(live)
    assert any(e.cache_path == entry.cache_path for e in live.container.registry.entries()), "not let back in"


def test_overview_tells_the_last_cycle_chart_and_hit_rate(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    run_cycle(live)
    world = live.plex.world
    cached = {e.item_key for e in live.container.registry.entries()}
    hit = next(e.item_key for e in live.container.registry.entries() if e.item_key)
    miss = next(m for m in world.movies() if str(m.rating_key) not in cached)
    users = [u.name for u in world.users.values()][:2]
    world.start_session(users[0], int(hit))
    world.start_session(users[1], miss)
    live.container.scheduler().poll_sessions()  # the session watcher sees them start: two play starts
    cid = run_cycle(live)
    page.goto("/")
    page.wait_for_function(f"() => (document.querySelector('#job-status').textContent || '').includes('#{cid}')")
    story = page.inner_text("#job-status")
    assert re.search(rf"Last cycle #{cid} \(test\) ok, .*(ago|just now)", story), story
    title = page.get_attribute("#job-status time", "title") or ""
    assert "GMT+5:30" in title or "IST" in title, title
    page.wait_for_selector("#hit-rate-total")
    rate = live.container.cycle_service().hit_rate(7)
    assert rate.plays >= 2 and rate.from_cache >= 1
    assert page.inner_text("#hit-rate-total") == f"{rate.from_cache} of {rate.plays} plays ({round(rate.percent)}%)"
    users = page.inner_text("#hit-rate-users")
    assert all(u.user in users for u in rate.users)
    page.wait_for_function("() => Number(document.querySelector('#chart').getAttribute('data-drawn')) > 0")
    label = page.get_attribute("#chart", "aria-label") or ""
    assert "budget" in label and "2.0 GB" in label and TZ in label, label
    shot(page, "overview-story")


def test_every_time_is_relative_with_the_local_time_in_tz_on_hover(page, live: LiveStack) -> None:  # type: ignore[no-untyped-def]
    run_cycle(live)
    for path in ("/", "/media", "/history", "/plan", "/logs"):
        page.goto(path)
        page.wait_for_function("() => document.querySelectorAll('time[data-clock]').length > 0", timeout=15_000)
        times = page.eval_on_selector_all("time[data-clock]", "ns => ns.slice(0, 20).map(n => [n.getAttribute('datetime'), n.textContent, n.title])")
        for iso, text, title in times:
            assert re.fullmatch(r"just now|in a few seconds|(in )?\d+ (min|h|days?)( ago)?", text), (path, text)
            when = datetime.fromisoformat(iso.replace("Z", "+00:00").replace(" ", "T"))
            expected = when.astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%d %H:%M")
            assert title.startswith(expected), (path, iso, title, expected)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_is_wider_than_a_phone(browser, live: LiveStack, path: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, base_url=live.url)
    pg = context.new_page()
    try:
        pg.goto(path)
        pg.wait_for_load_state("networkidle")
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
