"""The JSON API through Flask's test client: status, media, plan, cycles, history, logs, bad input."""

from __future__ import annotations

import logging

from cacherr.domain.media import Reason
from tests.web.conftest import World, wait_for


def test_health_reports_database_scheduler_and_plex(world: World) -> None:
    world.client.get("/health")  # first call starts the background Plex ping
    assert wait_for(lambda: world.client.get("/health").get_json()["plex"] is True)
    body = world.client.get("/health").get_json()
    assert body["status"] == "ok" and body["live"] and body["ready"] and body["database"]
    assert body["scheduler"] is True


def test_health_fails_when_the_database_is_down(world: World) -> None:
    world.app.extensions["cacherr"].services.db_ping = lambda: False
    r = world.client.get("/health")
    assert r.status_code == 503
    assert r.get_json()["status"] == "fail"


def test_status_shows_usage_cycles_and_running_operations(world: World) -> None:
    world.add_entry("A", size=4000)
    world.progress.start(7, "cache", "/cache/x.mkv", "X", 1000)
    world.progress.update(7, 400)
    body = world.client.get("/api/v1/status").get_json()
    assert body["cache"]["by_cacherr_bytes"] == 4000 and body["cache"]["entries"] == 1
    assert body["cache"]["total_bytes"] > 0
    op = body["operations"][0]
    assert (op["op_id"], op["bytes_done"], op["bytes_total"], op["percent"]) == (7, 400, 1000, 40.0)
    assert body["last_cycle"] is None and body["busy"] is False and body["auth_enabled"] is False


def test_media_pages_filters_and_searches(world: World) -> None:
    for i in range(5):
        world.add_entry(f"Movie {i}", user="alice" if i % 2 else "bob", library="Movies")
    world.add_entry("Show S01E01", user="carol", reason=Reason.NEXT_EPISODE, library="TV")
    page = world.client.get("/api/v1/media?per_page=2&page=2").get_json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["page"] == 2
    assert {i["title"] for i in world.client.get("/api/v1/media?user=bob").get_json()["items"]} == {
        "Movie 0", "Movie 2", "Movie 4"}
    tv = world.client.get("/api/v1/media?reason=next%20episode").get_json()
    assert [i["title"] for i in tv["items"]] == ["Show S01E01"]
    assert world.client.get("/api/v1/media?library=TV").get_json()["total"] == 1
    assert world.client.get("/api/v1/media?q=movie 3").get_json()["total"] == 1
    assert world.client.get("/api/v1/media?q=%25").get_json()["total"] == 0  # LIKE wildcards are literal
    assert set(page["facets"]["users"]) == {"alice", "bob", "carol"}


def test_pin_and_restore_take_an_id(world: World) -> None:
    entry = world.add_entry("Pinned")
    token = world.csrf()
    r = world.client.post(f"/api/v1/media/{entry}/pin", json={"pinned": True}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.get_json()["entry"]["pinned"] is True
    r = world.client.post(f"/api/v1/media/{entry}/restore", headers={"X-CSRF-Token": token})
    assert r.status_code == 202
    assert wait_for(lambda: ("restore_item", entry) in world.cycle.calls)
    assert world.client.post("/api/v1/media/999/restore", headers={"X-CSRF-Token": token}).status_code == 404


def test_restore_refuses_an_entry_outside_the_media_roots(world: World) -> None:
    entry = world.add_entry("Evil", cache_path="/etc/passwd")
    r = world.client.post(f"/api/v1/media/{entry}/restore", headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 400 and "outside the configured media roots" in r.get_json()["error"]
    assert not any(c[0] == "restore_item" for c in world.cycle.calls)


def test_run_cycle_is_202_then_409_while_busy(world: World) -> None:
    token = world.csrf()
    world.cycle.gate.clear()
    r = world.client.post("/api/v1/cycles", json={"dry_run": False}, headers={"X-CSRF-Token": token})
    assert r.status_code == 202 and r.get_json()["job"]["kind"] == "cycle"
    busy = world.client.post("/api/v1/cycles", json={}, headers={"X-CSRF-Token": token})
    assert busy.status_code == 409 and "already running" in busy.get_json()["error"]
    assert world.client.get("/api/v1/status").get_json()["busy"] is True
    world.cycle.gate.set()
    world.app.extensions["cacherr"].jobs.join(5)
    status = world.client.get("/api/v1/status").get_json()
    assert status["job"]["ok"] is True and status["last_cycle"]["status"] == "ok"
    assert status["busy"] is False


def test_plan_preview_and_last_plan(world: World) -> None:
    assert world.client.get("/api/v1/plan").get_json() == {"plan": None}
    r = world.client.post("/api/v1/plan/preview", headers={"X-CSRF-Token": world.csrf()})
    plan = r.get_json()
    assert r.status_code == 200 and [a["kind"] for a in plan["actions"]] == ["cache", "restore"]
    assert plan["actions"][0]["why"] == "next episode after S01E01 for alice"
    assert plan["bytes_to_cache"] == 2_000_000 and plan["skips"][0]["why"] == "over the budget"
    assert "not in your library" in plan["notes"][0]


def test_history_pages_cycles(world: World) -> None:
    for _ in range(3):
        world.cycle.run("test")
    body = world.client.get("/api/v1/cycles?per_page=2").get_json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["items"][0]["id"] == 3
    assert body["items"][0]["summary"]["cached"] == 1
    assert world.client.get("/api/v1/operations").get_json()["total"] == 0


def test_log_tail_after_sequence(world: World) -> None:
    logging.getLogger().addHandler(world.ring)
    try:
        logging.getLogger("cacherr.test").warning("first line for the tail")
        first = world.client.get("/api/v1/logs?after=0&limit=2000").get_json()
        assert any("first line for the tail" in ln["line"] for ln in first["lines"])
        logging.getLogger("cacherr.test").warning("second line")
        more = world.client.get(f"/api/v1/logs?after={first['last_seq']}").get_json()
        assert [ln["line"].endswith("second line") for ln in more["lines"]] == [True]
    finally:
        logging.getLogger().removeHandler(world.ring)


def test_bad_input_gets_4xx_json_never_500(world: World) -> None:
    token = {"X-CSRF-Token": world.csrf()}
    cases = [
        world.client.get("/api/v1/media?per_page=0"),
        world.client.get("/api/v1/media?page=abc"),
        world.client.get("/api/v1/media?nope=1"),
        world.client.get("/api/v1/logs?after=-1"),
        world.client.post("/api/v1/cycles", data="{not json", content_type="application/json", headers=token),
        world.client.post("/api/v1/cycles", json={"dry_run": "maybe"}, headers=token),
        world.client.post("/api/v1/cycles", json={"unknown": 1}, headers=token),
        world.client.post("/api/v1/cycles", data="x=1", content_type="text/plain", headers=token),
        world.client.patch("/api/v1/settings", json=[1, 2], headers=token),
        world.client.get("/api/v1/nothing-here"),
        world.client.delete("/api/v1/status", headers=token),
        world.client.get(f"/api/v1/media/{2**70}"),
    ]
    for r in cases:
        assert 400 <= r.status_code < 500, (r.request.path, r.status_code)
        assert r.is_json and r.get_json()["error"], r.request.path
    assert [r.status_code for r in cases[:4]] == [400, 400, 400, 400]
    assert cases[7].status_code == 415 and cases[9].status_code == 404 and cases[10].status_code == 405


def test_test_notification(world: World, world_factory) -> None:  # type: ignore[no-untyped-def]
    r = world.client.post("/api/v1/notifications/test", headers={"X-CSRF-Token": world.csrf()})
    assert r.status_code == 400 and "NOTIFY_URLS" in r.get_json()["error"]
    w2 = world_factory(saved={"NOTIFY_URLS": "json://localhost/hook"})
    r = w2.client.post("/api/v1/notifications/test", headers={"X-CSRF-Token": w2.csrf()})
    assert r.status_code == 200 and r.get_json()["delivered"] is True
    assert w2.notifier.sent and w2.notifier.sent[0][0] == "Cacherr test notification"


def test_security_headers_on_pages_and_api(world: World) -> None:
    for path in ("/", "/api/v1/status", "/health"):
        h = world.client.get(path).headers
        assert "default-src 'self'" in h["Content-Security-Policy"] and "frame-ancestors 'none'" in h[
            "Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"


def test_every_page_renders(world: World) -> None:
    world.add_entry("Rendered Movie")
    world.cycle.run("test")
    for path in ("/", "/media", "/media?q=Rendered", "/plan", "/history", "/settings", "/logs", "/login"):
        r = world.client.get(path)
        assert r.status_code == 200, path
        assert b"<title>Cacherr" in r.data
    assert b"Rendered Movie" in world.client.get("/media").data
    assert b"Authentication is off" in world.client.get("/").data


def test_media_page_pages_and_keeps_the_filters(world: World) -> None:
    for i in range(5):
        world.add_entry(f"Paged {i}", user="dave")
    html = world.client.get("/media?per_page=2&user=dave&q=Paged").get_data(as_text=True)
    assert html.count('<tr data-id=') == 2
    assert "page=3" in html and "user=dave" in html and "q=Paged" in html
    last = world.client.get("/media?per_page=2&user=dave&q=Paged&page=3").get_data(as_text=True)
    assert last.count('<tr data-id=') == 1


def test_history_shows_an_incomplete_snapshot(world: World) -> None:
    import json

    summary = {"cached": 0, "restored": 0, "failed": 0, "bytes_moved": 0,
               "problems": ["incomplete snapshot: user alice could not be read (401)", "other note"]}
    world.db.execute("INSERT INTO cycles (started_at, finished_at, trigger, dry_run, status, summary) "
                     "VALUES (?,?,?,?,?,?)", ("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:05+00:00", "test", 0,
                                              "ok", json.dumps(summary)))
    html = world.client.get("/history").get_data(as_text=True)
    assert "incomplete</span>" in html and "user alice could not be read" in html
    assert html.count("other note") == 1 and html.index("other note") > html.index("<details")  # only in the detail


def test_media_page_says_until_when_a_fresh_download_stays(world: World) -> None:
    world.add_entry("Andor S01E08", reason=Reason.FRESH_DOWNLOAD, library="TV")
    world.add_entry("Heat", reason=Reason.ON_DECK)
    html = world.client.get("/media").get_data(as_text=True)
    assert "fresh download, kept until " in html  # FRESH_DOWNLOAD_DAYS after it landed
    assert html.count("kept until") == 1
    body = world.client.get("/api/v1/media?reason=fresh%20download").get_json()
    assert [i["title"] for i in body["items"]] == ["Andor S01E08"]
