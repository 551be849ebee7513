"""The scheduler: SCHEDULE as cron or interval, rescheduling on settings changes, the session watcher,
the webhook entry point the web layer calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cacherr.domain.media import Reason
from cacherr.scheduler import CacheScheduler, trigger_for
from cacherr.settings import Schedule
from cacherr.settings_store import SettingsStore
from tests.cycle.world import World


@pytest.fixture
def store(world: World) -> SettingsStore:
    env = {k: str(v) for k, v in world.values.items()}
    env.pop("SCHEDULE", None)
    s = SettingsStore(world.config, env)
    world.settings_source = lambda: s.current  # the service follows the store, as in bootstrap
    return s


@pytest.fixture
def sched(world: World, store: SettingsStore) -> Iterator[CacheScheduler]:
    s = CacheScheduler(world.service, store)
    yield s
    s.shutdown()


def test_triggers() -> None:
    assert trigger_for(Schedule(), "Etc/UTC") is None
    cron = trigger_for(Schedule.parse("0 */6 * * *"), "Etc/UTC")
    start = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert cron is not None and cron.get_next_fire_time(None, start) == datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    interval = trigger_for(Schedule.parse("every 30m"), "Etc/UTC")
    assert interval is not None
    nxt = interval.get_next_fire_time(None, datetime.now(UTC))
    assert nxt is not None and timedelta(minutes=29) < nxt - datetime.now(UTC) <= timedelta(minutes=30)


def test_next_run_follows_settings_changes(sched: CacheScheduler, store: SettingsStore) -> None:
    assert sched.next_run_time is None and not sched.running
    sched.start()
    assert sched.running
    first = sched.next_run_time
    assert first is not None and first - datetime.now(UTC) <= timedelta(hours=6, seconds=5)
    store.save({"SCHEDULE": "0 3 * * *"})
    nxt = sched.next_run_time
    assert nxt is not None and (nxt.hour, nxt.minute) == (3, 0)
    store.save({"SCHEDULE": "off"})
    assert sched.next_run_time is None
    assert sched.status()["schedule"] == "manual only"
    store.save({"SCHEDULE": "2h", "SESSION_POLL_SECONDS": "0"})
    assert sched.next_run_time is not None and sched._job("sessions") is None


def test_scheduled_cycle_runs_and_a_busy_one_is_skipped(world: World, sched: CacheScheduler) -> None:
    film = world.movie("m1", "Heat")
    world.want(film, "alice", Reason.WATCHLIST)
    with world.service.lock.hold("cli"):
        sched.run_scheduled_cycle()  # busy: skipped quietly
    assert world.registry.entries() == []
    sched.run_scheduled_cycle()
    assert world.cached_keys() == {"m1"}
    assert world.service.history(1)[0]["trigger"] == "schedule"


def test_session_watcher_caches_next_for_new_sessions(world: World, sched: CacheScheduler) -> None:
    show = world.show("Dark", 3)
    world.fake.play("alice", show[0].key)
    assert sched.poll_sessions() == [("alice", show[0].key)]
    assert sched.poll_sessions() == []
    world.service.realtime.shutdown(wait=True)
    assert world.cached_keys() == {show[1].key, show[2].key}


def test_session_watcher_survives_plex_outage(world: World, sched: CacheScheduler) -> None:
    world.fake.reachable = False
    assert sched.poll_sessions() == []


def test_webhook_entry_point_for_the_web(world: World, sched: CacheScheduler) -> None:
    out = sched.handle_plex_webhook({"event": "media.scrobble", "Account": {"title": "bob"},
                                     "Metadata": {"ratingKey": "42", "type": "movie"}})
    assert out["action"] == "marked-watched"
    assert world.service.recorder.scrobbles() == {"42": frozenset({"bob"})}


def test_container_wires_the_service_and_scheduler(tmp_path: Path, clean_env: dict[str, str]) -> None:
    from cacherr.bootstrap import build_container

    c = build_container(tmp_path / "cfg", {"PLEX_TOKEN": "abcdefgh12", "PLEX_URL": "http://127.0.0.1:9",
                                           "REAL_SOURCE": str(tmp_path), "CACHE_DESTINATION": str(tmp_path / "c")},
                        console_log=False)
    try:
        service = c.cycle_service()
        assert service is c.cycle_service() and c.scheduler() is c.scheduler()
        report = service.run("api")
        assert report.status == "failed" and "Plex is unreachable" in report.message
    finally:
        c.close()
