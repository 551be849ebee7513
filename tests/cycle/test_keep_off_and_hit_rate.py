"""Restore that sticks and the cache hit rate, end to end: the Plex emulator over HTTP, the real Plex adapter,
the journaled file engine and real array/cache folders (tests/cycle/real_world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.domain.errors import CycleBusy
from tests.cycle.real_world import RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


def test_restore_with_keep_off_stays_on_the_array_until_let_back_in(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    assert rw.service.run("cli").status == "ok"
    assert rw.on_cache(heat)
    entry = rw.entry(heat)
    assert entry.id is not None

    report = rw.service.restore_item(entry.id, keep_off=True)
    assert [o.title for o in report.restored] == ["Heat (1995)"]
    assert not rw.on_cache(heat) and rw.on_array(heat) and rw.intact(heat)
    [kept] = rw.service.exclusions()
    assert (kept.item_key, kept.title) == (str(heat.rating_key), "Heat (1995)")

    again = rw.service.run("cli")  # still in progress for bob: without the exclusion it would be copied back
    assert again.status == "ok" and not again.cached
    assert not rw.on_cache(heat)
    assert any("Heat (1995)" in s and "kept off the cache on request" in s for s in again.skipped)

    assert rw.service.let_back_in(kept.id) is not None
    assert rw.service.exclusions() == []
    back = rw.service.run("cli")
    assert [o.title for o in back.cached] == ["Heat (1995)"]
    assert rw.on_cache(heat) and rw.intact(heat)


def test_plain_restore_is_copied_back_by_the_next_cycle(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    rw.service.run("cli")
    entry = rw.entry(heat)
    assert entry.id is not None
    rw.service.restore_item(entry.id)
    assert rw.service.exclusions() == []
    assert [o.title for o in rw.service.run("cli").cached] == ["Heat (1995)"]


def test_keep_off_also_holds_for_real_time_caching(rw: RealWorld) -> None:
    dark = rw.show("Dark", 5)
    rw.plex.set_progress("alice", dark.episode(1, 2), 60_000)
    rw.service.run("cli")
    e3 = dark.episode(1, 3)
    entry = rw.entry(e3)
    assert entry.id is not None
    rw.service.restore_item(entry.id, keep_off=True)
    result = rw.service.handle_plex_webhook({
        "event": "media.play", "Account": {"id": 101, "title": "alice"},
        "Metadata": {"ratingKey": str(dark.episode(1, 2).rating_key), "type": "episode"}})
    assert result.future is not None
    result.future.result(timeout=60)
    assert not rw.on_cache(e3) and rw.on_array(e3)


def test_hit_rate_counts_plays_served_from_the_cache_per_user(rw: RealWorld) -> None:
    from cacherr.scheduler import CacheScheduler

    heat = rw.movie("Heat", 1995)
    alien = rw.movie("Alien", 1979)
    rw.plex.set_progress("bob", heat, 120_000)
    rw.service.run("cli")  # Heat is cached (in progress for bob), Alien is not

    class Store:
        current = rw.settings

        def subscribe(self, listener: object) -> None:
            pass

    sched = CacheScheduler(rw.service, Store())
    rw.plex.start_session("bob", heat)
    rw.plex.start_session("alice", alien)
    started = sched.poll_sessions()
    assert sorted(u for u, _ in started) == ["alice", "bob"]
    rw.service.realtime.shutdown(wait=True)
    assert sched.poll_sessions() == []  # the same sessions: no new play
    # the webhook for bob's play, after the poll saw it: the same play, counted once
    rw.service.handle_plex_webhook({"event": "media.play", "Account": {"title": "bob"},
                                    "Metadata": {"ratingKey": str(heat.rating_key), "type": "movie"}})
    rate = rw.service.hit_rate(7)
    assert (rate.plays, rate.from_cache) == (2, 1)
    by_user = {u.user: (u.plays, u.from_cache) for u in rate.users}
    assert by_user == {"alice": (1, 0), "bob": (1, 1)}
    rw.clock.advance(days=8)
    assert rw.service.hit_rate(7).plays == 0  # older than the window


def test_keep_off_is_recorded_before_a_busy_lock_refuses_the_restore(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    rw.service.run("cli")
    entry = rw.entry(heat)
    assert entry.id is not None
    with rw.service.lock.hold("test"), pytest.raises(CycleBusy):
        rw.service.restore_item(entry.id, keep_off=True)
    assert [x.title for x in rw.service.exclusions()] == ["Heat (1995)"]
