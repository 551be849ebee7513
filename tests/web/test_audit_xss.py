"""Security audit regressions: titles, file names, user names, library names, errors and log lines come from
Plex and the filesystem; none of them may run as script, in the server's HTML or in the DOM cacherr.js builds.

The browser test serves hostile data on every page to Debian's chromium and checks that it shows up as text
and that nothing ran (the payloads would set ``window.__xss``), with the CSP's help or without it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from cacherr.domain.cache import Action, ActionKind, Skip
from cacherr.domain.media import Reason
from cacherr.web.server import start_in_thread
from tests.conftest import import_playwright, require_tool
from tests.web.conftest import World, sample_plan

PAYLOADS = (
    '<script>window.__xss="script"</script>',
    '"><img src=x data-xss onerror="window.__xss=\'img\'">',
    "</textarea></script><svg data-xss onload=\"window.__xss='svg'\">",
    "';window.__xss='quote';'",
)
HOSTILE = " ".join(PAYLOADS)


def _hostile_world(w: World) -> None:
    for i, p in enumerate(PAYLOADS):
        w.add_entry(f"{p} {i}", user=p, library=p)
    plan = sample_plan()
    action = plan.actions[0]
    plan = replace(plan, actions=(replace(action, title=HOSTILE, why=HOSTILE, users=frozenset({HOSTILE})),
                                  Action(ActionKind.RESTORE, "/array/x.mkv", "/cache/x.mkv", 1, Reason.ON_DECK,
                                         HOSTILE, "1", HOSTILE)),
                   skips=(Skip("/array/" + HOSTILE, HOSTILE, HOSTILE, 1),), notes=(HOSTILE,))
    w.cycle.plan = plan
    w.db.execute("INSERT INTO cycles (started_at, finished_at, trigger, dry_run, status, error, summary) "
                 "VALUES (?,?,?,?,?,?,?)", ("2026-01-01T00:00:00", "2026-01-01T00:01:00", HOSTILE, 0, "failed",
                                           HOSTILE, json.dumps({"cached": HOSTILE})))
    w.progress.start(99, "cache", f"{w.root}/cache/{HOSTILE}.mkv", HOSTILE, 1000)
    w.progress.update(99, 100)
    mappings = [{"name": HOSTILE, "plex_path": str(w.root / "plex"), "real_path": str(w.root / "array"),
                 "cache_path": str(w.root / "cache")}]
    r = w.client.patch("/api/v1/settings", json={"PATH_MAPPINGS": mappings, "WEB_USERNAME": HOSTILE,
                                                 "SKIP_ONDECK_USERS": PAYLOADS[1]},
                       headers={"X-CSRF-Token": w.csrf()})
    assert r.status_code == 200, r.get_json()


class _Elements(HTMLParser):
    """Collects elements that carry an attribute only a payload would add."""

    def __init__(self) -> None:
        super().__init__()
        self.injected: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        inline_script = tag == "script" and "src" not in names and ("type", "application/json") not in attrs
        if "data-xss" in names or any(n.startswith("on") for n in names) or inline_script:
            self.injected.append(f"<{tag} {sorted(names)}>")


def test_audit_hostile_names_are_escaped_in_every_page(world: World) -> None:
    _hostile_world(world)
    for path in ("/", "/media", f"/media?q={PAYLOADS[0]}&user={PAYLOADS[1]}", "/plan", "/history", "/settings",
                 "/logs", f"/login?next={PAYLOADS[1]}", f"/no-such-page{PAYLOADS[0]}"):
        html = world.client.get(path).get_data(as_text=True)
        for marker in ("<script>window", "<img src=x", "<svg data-xss", "</textarea></script>"):
            assert marker not in html, (path, marker)
        parser = _Elements()
        parser.feed(html)
        assert not parser.injected, (path, parser.injected)  # no attribute broke out of its quotes
    assert "&lt;script&gt;" in world.client.get("/media").get_data(as_text=True)


@pytest.fixture
def hostile_server(world: World) -> Iterator[str]:
    _hostile_world(world)
    root = logging.getLogger()
    root.addHandler(world.ring)
    logging.getLogger("cacherr.audit").warning("copying %s", HOSTILE)
    handle = start_in_thread(world.app)
    try:
        yield handle.url
    finally:
        handle.stop()
        root.removeHandler(world.ring)


@pytest.mark.browser
def test_audit_hostile_titles_run_no_script_in_a_real_browser(hostile_server: str) -> None:
    chromium = require_tool("chromium")
    sync_api = import_playwright()
    from tests.web.chromium import ARGS

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(base_url=hostile_server)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            checks = {"/": "#ops .op strong", "/media": "#media-table", "/plan": "#plan-cache table",
                      "/history": "#cycles-table", "/settings": "#f-PATH_MAPPINGS", "/logs": "#log span"}
            for path, selector in checks.items():
                page.goto(path)
                page.wait_for_selector(selector, state="attached", timeout=15000)
                page.wait_for_timeout(300)  # let the polls render
                assert page.evaluate("() => window.__xss") is None, path
                assert page.evaluate("() => document.querySelectorAll('[data-xss]').length") == 0, path
            # the hostile text is shown, as text
            page.goto("/plan")
            page.wait_for_selector("#plan-cache table")
            assert PAYLOADS[0] in page.inner_text("#plan-body")
            page.goto("/")
            page.wait_for_selector("#ops .op strong")
            assert page.inner_text("#ops .op strong") == HOSTILE
            page.goto("/logs")
            page.wait_for_function("() => document.querySelector('#log').textContent.includes('copying')")
            assert PAYLOADS[2] in page.inner_text("#log")
            page.goto("/settings")
            text = page.input_value("#f-PATH_MAPPINGS")
            assert json.loads(text)[0]["name"] == HOSTILE and page.input_value("#f-WEB_USERNAME") == HOSTILE
            assert page.get_attribute("#f-PATH_MAPPINGS", "data-initial") == text  # unchanged until edited
            assert dialogs == []
        finally:
            browser.close()
