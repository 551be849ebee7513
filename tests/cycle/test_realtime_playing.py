"""Real time for the item being played: after a delay of playback the playing movie (or episode) is copied to
the cache, in copy mode whatever CACHE mode says, while the player keeps reading the array file. Real plexapi
against the emulator, the real engine, real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.scheduler import CacheScheduler
from tests.cycle.real_world import RealWorld, SettingsView


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"REALTIME_PLAYING_MOVIE_SECONDS": "60", "REALTIME_PLAYING_EPISODE_SECONDS": "30",
                                    "COPY_TO_CACHE": "false", "NUMBER_EPISODES": "0"})
    yield w
    w.close()


def settle(sched: CacheScheduler) -> None:
    sched.service.realtime.shutdown(wait=True)


def test_a_movie_is_copied_after_a_minute_of_playback_and_the_stream_file_stays(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    sched = CacheScheduler(rw.service, SettingsView(rw))  # type: ignore[arg-type]
    with open(rw.lab.array(rw.path_of(heat)), "rb") as player:  # the stream reads the array file
        rw.plex.start_session("bob", heat)
        sched.poll_sessions()
        settle(sched)
        assert not rw.on_cache(heat), "cached before a minute of playback"
        rw.clock.advance(seconds=30)
        sched.poll_sessions()
        settle(sched)
        assert not rw.on_cache(heat)
        rw.clock.advance(seconds=31)
        sched.poll_sessions()
        settle(sched)
        assert rw.on_cache(heat) and rw.on_array(heat) and rw.intact(heat)
        assert player.read(16) == rw.lab.array(rw.path_of(heat)).read_bytes()[:16]
    entry = rw.entry(heat)
    assert entry.mode.value == "copy", "a playing file is only ever copied"
    history = rw.service.history(1)[0]
    assert history["trigger"] == "session" and history["summary"]["cached"] == 1
    sched.poll_sessions()
    settle(sched)
    assert len(rw.service.history(10)) == 1, "settled: no second operation for the same session"


def test_an_episode_uses_its_own_delay_and_off_means_off(rw: RealWorld) -> None:
    dark = rw.show("Dark", 3)
    ep = dark.episode(1, 1)
    sched = CacheScheduler(rw.service, SettingsView(rw))  # type: ignore[arg-type]
    rw.plex.start_session("alice", ep)
    sched.poll_sessions()
    settle(sched)
    assert not rw.on_cache(ep)
    rw.clock.advance(seconds=31)
    sched.poll_sessions()
    settle(sched)
    assert rw.on_cache(ep) and rw.intact(ep)
    rw.set(REALTIME_PLAYING_MOVIE_SECONDS="0", REALTIME_PLAYING_EPISODE_SECONDS="0")
    heat = rw.movie("Heat", 1995)
    rw.plex.start_session("bob", heat)
    sched.poll_sessions()
    rw.clock.advance(seconds=600)
    sched.poll_sessions()
    settle(sched)
    assert not rw.on_cache(heat)


def test_the_webhook_caches_the_playing_movie_after_its_delay(rw: RealWorld) -> None:
    rw.set(REALTIME_PLAYING_MOVIE_SECONDS="1")
    heat = rw.movie("Heat", 1995)
    rw.plex.start_session("bob", heat)
    result = rw.service.handle_plex_webhook({
        "event": "media.play", "Account": {"title": "bob"},
        "Metadata": {"ratingKey": str(heat.rating_key), "type": "movie"}})
    assert result.action == "cache-playing"
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not rw.on_cache(heat):
        time.sleep(0.1)
    rw.service.realtime.shutdown(wait=True)
    assert rw.on_cache(heat) and rw.intact(heat)
