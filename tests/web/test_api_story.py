"""The API and pages of issue 14 items 4-8 through Flask's test client over a real state database: history
paging by keyset and operations with their title and cycle, restore exclusions, the hit rate, one cycle in
detail, the history fragments, and the server's half of the one clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cacherr.adapters.sqlite_plays import SqlitePlayStarts as PlayLog
from cacherr.web.clock import local_text, offset_minutes, time_tag
from tests.web.conftest import World, wait_for


def add_cycles(world: World, n: int, start: datetime | None = None) -> list[int]:
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    ids = []
    for i in range(n):
        at = (start + timedelta(minutes=i)).isoformat()
        summary = {"cached": 1, "restored": 0, "failed": 0, "bytes_moved": 10,
                   "cached_items": [{"kind": "cache", "title": f"Film {i}", "path": "/c/f.mkv", "size": 10, "ok": True,
                                     "reason": "on deck for anna", "error": "", "seconds": 0.1}],
                   "skipped_items": ["Huge: not cached (on deck for bob): needs 12.3 GB; 4.1 GB available"]}
        ids.append(world.db.execute("INSERT INTO cycles (started_at, finished_at, trigger, status, summary) "
                                    "VALUES (?,?,?,?,?)", (at, at, "schedule", "ok", json.dumps(summary))))
    return ids


def add_op(world: World, at: datetime, title: str, why: str = "on deck for anna") -> int:
    stamp = at.isoformat(timespec="milliseconds")
    return world.db.execute(
        "INSERT INTO file_ops (kind, mode, array_path, cache_path, src_path, dst_path, tmp_path, step, status, size, "
        "action, created_at, updated_at) VALUES ('cache','copy',?,?,?,?,?,'done','done',5,?,?,?)",
        (f"/a/{title}.mkv", f"/c/{title}.mkv", f"/a/{title}.mkv", f"/c/{title}.mkv", f"/c/.{title}.tmp",
         json.dumps({"title": title, "why": why}), stamp, stamp))


def test_cycles_page_by_keyset_beyond_the_first_fifty(world: World) -> None:
    ids = add_cycles(world, 120)
    first = world.client.get("/api/v1/cycles?limit=50").get_json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:50] and first["total"] == 120
    second = world.client.get(f"/api/v1/cycles?limit=50&before={first['next_before']}").get_json()
    assert [c["id"] for c in second["items"]] == ids[::-1][50:100]
    third = world.client.get(f"/api/v1/cycles?limit=50&before={second['next_before']}").get_json()
    assert [c["id"] for c in third["items"]] == ids[::-1][100:] and third["next_before"] is None
    paged = world.client.get("/api/v1/cycles?per_page=20&page=6").get_json()  # page numbers still work
    assert len(paged["items"]) == 20 and paged["next_before"] is None
    assert world.client.get("/api/v1/cycles?before=0").status_code == 400


def test_operations_carry_title_why_and_their_cycle(world: World) -> None:
    [c1, c2] = add_cycles(world, 2, datetime(2026, 1, 1, 10, tzinfo=UTC))
    early = add_op(world, datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC), "Alien")
    late = add_op(world, datetime(2026, 1, 1, 10, 1, 30, tzinfo=UTC), "Heat", "watched by anna")
    body = world.client.get("/api/v1/operations?limit=1").get_json()
    assert [(o["id"], o["title"], o["why"], o["cycle_id"]) for o in body["items"]] == [
        (late, "Heat", "watched by anna", c2)]
    older = world.client.get(f"/api/v1/operations?limit=1&before={body['next_before']}").get_json()
    assert [(o["id"], o["cycle_id"]) for o in older["items"]] == [(early, c1)] and older["next_before"] is None
    detail = world.client.get(f"/api/v1/cycles/{c1}").get_json()
    assert detail["cycle"]["id"] == c1 and [o["title"] for o in detail["operations"]] == ["Alien"]
    assert world.client.get("/api/v1/cycles/99999").status_code == 404


def test_history_page_explains_each_cycle_and_fragments_page_on(world: World) -> None:
    ids = add_cycles(world, 30)
    add_op(world, datetime(2026, 1, 1, 0, 5, 30, tzinfo=UTC), "Alien")
    html = world.client.get("/history").get_data(as_text=True)
    assert html.count('class="cycle ') == 25
    assert "Film 29</span> <span class=\"muted\">because on deck for anna" in html
    assert "skipped: not cached (on deck for bob): needs 12.3 GB; 4.1 GB available" in html
    assert f'href="/history?cycle={ids[5]}#cycle-{ids[5]}"' in html  # the operation links to its cycle
    more = world.client.get(f"/history/cycles?before={ids[5]}")
    assert more.status_code == 200 and more.headers["X-Next-Before"] == ""
    assert more.get_data(as_text=True).count('class="cycle ') == 5
    live = world.client.get(f"/history/cycles?since={ids[-2]}").get_data(as_text=True)
    assert live.count('class="cycle ') == 2
    opened = world.client.get(f"/history?cycle={ids[3]}").get_data(as_text=True)
    assert opened.index(f'id="cycle-{ids[3]}"') < opened.index(f'id="cycle-{ids[2]}"')
    assert "<details open>" in opened
    ops = world.client.get("/history/operations?since=1").get_data(as_text=True)
    assert "Alien" in ops


def test_restore_keep_off_then_let_back_in(world: World) -> None:
    entry = world.add_entry("Heat")
    token = world.csrf()
    r = world.client.post(f"/api/v1/media/{entry}/restore", json={"keep_off": True}, headers={"X-CSRF-Token": token})
    assert r.status_code == 202
    assert wait_for(lambda: ("restore_item_keep_off", entry) in world.cycle.calls)
    items = world.client.get("/api/v1/exclusions").get_json()["items"]
    assert [(x["item_key"], x["title"]) for x in items] == [("Heat", "Heat")]
    page = world.client.get("/media").get_data(as_text=True)
    assert 'id="exclusions-table"' in page and 'data-action="let-in"' in page
    gone = world.client.delete(f"/api/v1/exclusions/{items[0]['id']}", headers={"X-CSRF-Token": token})
    assert gone.status_code == 200 and "may be cached again" in gone.get_json()["message"]
    assert world.client.get("/api/v1/exclusions").get_json()["items"] == []
    assert world.client.delete(f"/api/v1/exclusions/{items[0]['id']}", headers={"X-CSRF-Token": token}).status_code == 404
    bad = world.client.post(f"/api/v1/media/{entry}/restore", json={"keep_off": "yes please"},
                            headers={"X-CSRF-Token": token})
    assert bad.status_code == 400


def test_hit_rate_per_user_over_the_last_days(world: World) -> None:
    world.add_entry("Heat", user="anna")
    plays = PlayLog(world.db)
    now = datetime.now(UTC)
    assert plays.record("anna", "Heat", now - timedelta(hours=3))  # on the cache
    assert not plays.record("anna", "Heat", now - timedelta(hours=2, minutes=30))  # the same play (a resume)
    assert plays.record("anna", "Alien", now - timedelta(hours=1))  # not cached
    assert plays.record("bob", "Heat", now - timedelta(days=1))
    assert plays.record("bob", "Heat", now - timedelta(days=9))  # outside the window
    body = world.client.get("/api/v1/stats/hit-rate").get_json()
    assert (body["plays"], body["from_cache"], body["percent"], body["days"]) == (3, 2, 66.7, 7)
    assert {u["user"]: (u["plays"], u["from_cache"], u["percent"]) for u in body["users"]} == {
        "anna": (2, 1, 50.0), "bob": (1, 1, 100.0)}
    assert world.client.get("/api/v1/stats/hit-rate?days=30").get_json()["plays"] == 4
    assert world.client.get("/api/v1/stats/hit-rate?days=0").status_code == 400


def test_pages_carry_the_configured_tz(world_factory) -> None:  # type: ignore[no-untyped-def]
    world = world_factory(saved={"TZ": "Asia/Kolkata"})
    add_cycles(world, 1, datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    html = world.client.get("/history").get_data(as_text=True)
    assert '<meta name="tz" content="Asia/Kolkata">' in html and '<meta name="tz-offset" content="330">' in html
    assert 'datetime="2026-01-01T12:00:00+00:00" data-clock title="2026-01-01 17:30:00 IST"' in html
    assert "clock.js" in html


def test_clock_helpers() -> None:
    assert local_text("2026-07-01T12:00:00+00:00", "Europe/Berlin") == "2026-07-01 14:00:00 CEST"
    assert local_text("2026-01-01T12:00:00", "America/New_York") == "2026-01-01 07:00:00 EST"  # naive = UTC
    assert local_text("not a time", "UTC") == "not a time"
    assert offset_minutes("Nowhere/Atlantis") == 0
    assert offset_minutes("Asia/Kolkata") == 330
    assert str(time_tag(None, "UTC")) == "\u2013"
    assert "&lt;script&gt;" in str(time_tag("<script>", "UTC"))
