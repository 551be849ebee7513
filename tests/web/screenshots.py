"""Screenshots of every dashboard page at desktop (1280x800) and phone (390x844) size, for docs/web.md.

Run ``scripts/screenshots`` (or ``.venv/bin/python -m tests.web.screenshots [OUT_DIR]``): it starts the demo
stack (the Plex emulator with the demo household, the Unraid-like lab, the real cycle service and the
dashboard; tests/web/live.py), gives it a little history (cycles, a restore kept off the cache, play starts
for the hit rate, a dry run), then captures each page with the system Chromium into docs/images/.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "images"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# (name, path): every page of the navigation, and setup
PAGES = (("overview", "/"), ("media", "/media"), ("plan", "/plan"), ("history", "/history"), ("checks", "/checks"),
         ("logs", "/logs"), ("settings", "/settings"), ("setup", "/setup"))
SIZES = (("desktop", {"width": 1280, "height": 800}, False), ("phone", {"width": 390, "height": 844}, True))
USER, PASSWORD = "admin", "screenshots-only-password"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def give_it_a_history(live: object) -> None:
    """A few real cycles, one item restored and kept off the cache, two plays started (one from the cache)."""
    from tests.web.live import LiveStack

    assert isinstance(live, LiveStack)
    service = live.container.cycle_service()
    service.run("schedule")
    entries = [e for e in live.container.registry.entries() if e.item_key]
    if entries and entries[-1].id is not None:
        service.restore_item(entries[-1].id, keep_off=True)
    world = live.plex.world
    cached = {e.item_key for e in live.container.registry.entries()}
    names = [u.name for u in world.users.values()]
    if entries:
        world.start_session(names[0], int(entries[0].item_key or 0))
    miss = next((m for m in world.movies() if str(m.rating_key) not in cached), None)
    if miss is not None and len(names) > 1:
        world.start_session(names[1], miss)
    live.container.scheduler().poll_sessions()
    service.realtime.shutdown(wait=True)
    service.run("session")
    service.run("manual", dry_run=True)


def capture(out: Path = OUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.web.live import start_live

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="cacherr-shots-") as tmp:
        live = start_live(Path(tmp), copy_delay=0.0, TZ=os.environ.get("SHOTS_TZ", "Europe/Berlin"),
                          WEB_USERNAME=USER, WEB_PASSWORD=PASSWORD)  # sign-in on, as a real install should be
        try:
            give_it_a_history(live)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for size, viewport, phone in SIZES:
                    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                                  base_url=live.url, color_scheme="light")
                    page = context.new_page()
                    page.goto("/login")
                    page.fill("#username", USER)
                    page.fill("#password", PASSWORD)
                    with page.expect_navigation():
                        page.click("#login-submit")
                    for name, path in PAGES:
                        page.goto(path)
                        page.wait_for_load_state("networkidle")
                        if name == "overview":
                            page.wait_for_function("() => document.querySelector('#chart').getAttribute('data-drawn')")
                            page.wait_for_selector("#hit-rate-total, #hit-rate p")
                        if name == "history":
                            page.locator("tbody.cycle details").first.evaluate("d => d.open = true")
                        target = out / f"web-{name}-{size}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
                    context.close()
                browser.close()
        finally:
            live.close()
    return written


if __name__ == "__main__":
    for shot in capture(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(shot.relative_to(REPO) if shot.is_relative_to(REPO) else shot)
