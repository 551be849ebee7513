"""Audit: concurrent triggers, restore-all with a file in play, restore requests outside the roots, and
hostile names, on the real stack (Plex emulator over HTTP, real engine, real temporary trees)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.demo.lab import file_hash
from cacherr.domain.errors import CycleBusy, UnsafePath
from cacherr.services.realtime import Realtime
from cacherr.services.restore import EntryNotFound
from tests.cycle.real_world import RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


def test_restore_all_skips_the_file_in_play_and_gives_back_the_rest(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false")
    heat, alien = rw.movie("Heat", 1995), rw.movie("Alien", 1979)
    for m in (heat, alien):
        rw.plex.add_to_watchlist("alice", m)
    assert rw.service.run("cli").status == "ok"
    rw.plex.start_session("bob", heat, player="TV")
    report = rw.service.restore_all()
    assert [o.title for o in report.restored] == ["Alien (1979)"]
    assert any("being played by bob" in s for s in report.skipped)
    assert rw.on_cache(heat) and not rw.on_array(heat) and rw.intact(heat)
    assert rw.on_array(alien) and not rw.on_cache(alien) and rw.intact(alien)
    assert [e.title for e in rw.registry.entries()] == ["Heat (1995)"]


@pytest.mark.parametrize("path", ["/etc/passwd", "{array}/../../../../etc/passwd", "{cache}/../outside.mkv",
                                  "relative/movies/x.mkv", ""])
def test_restore_of_a_path_outside_the_roots_is_refused(rw: RealWorld, path: str) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    before = rw.tree()
    with pytest.raises((UnsafePath, EntryNotFound)):
        rw.service.restore_path(path.format(array=rw.lab.array_root, cache=rw.lab.cache_root))
    assert rw.tree() == before and len(rw.registry.entries()) == 1


@pytest.mark.parametrize("mode", ["true", "false"])
def test_hostile_names_round_trip_through_restore_all(rw: RealWorld, mode: str) -> None:
    rw.set(COPY_TO_CACHE=mode, MOVER_EXCLUDE_FILE=str(rw.config / "mover_exclude.txt"))
    titles = ["Quote 'n' $HOME", "Back`tick`; rm -rf ~", "-dash & #hash", 'Dq "x" \\ back']
    films = [rw.movie(t, 2001) for t in titles]
    for f in films:
        rw.plex.add_to_watchlist("alice", f)
    assert rw.service.run("cli").status == "ok"
    report = rw.service.restore_all()
    assert report.status == "ok", (report.message, report.failed)
    for f in films:
        assert rw.on_array(f) and not rw.on_cache(f) and rw.intact(f), f.title
    assert not rw.registry.entries() and not rw.partials()
    lines = (rw.config / "mover_exclude.txt").read_text().splitlines()
    assert lines[-1].startswith("# ---- Cacherr")  # nothing of ours is listed any more


def test_webhook_during_a_cycle_waits_and_never_gives_back(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false", NUMBER_EPISODES="2")
    show = rw.show("Dark", 4)
    heat = rw.movie("Heat", 1995)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rw.plex.mark_watched("alice", heat)  # the cycle gives Heat back; real time must not
    entered, release = threading.Event(), threading.Event()

    def slow(*_: object) -> None:
        entered.set()
        release.wait(30)

    results: dict[str, object] = {}
    worker = threading.Thread(target=lambda: results.update(cycle=rw.service.run("schedule", on_progress=slow)))
    worker.start()
    try:
        assert entered.wait(30)
        with pytest.raises(CycleBusy):
            rw.service.run("cli")  # single flight
        with pytest.raises(CycleBusy):
            rw.service.restore_all()
        realtime = Realtime(rw.service.runner, rw.service.servers, busy_wait=30)
        future = realtime.submit("bob", str(show.episode(1, 1).rating_key), "webhook")
        assert future is not None and not future.done()
    finally:
        release.set()
        worker.join(60)
    report = future.result(timeout=60)
    realtime.shutdown()
    assert report is not None and report.status == "ok", report
    assert not report.restored and len(report.cached) == 2 and report.trigger == "webhook"
    cycle = results["cycle"]
    assert getattr(cycle, "status", None) == "ok"
    assert rw.on_array(heat) and not rw.on_cache(heat) and rw.intact(heat)
    assert rw.on_cache(show.episode(1, 2)) and rw.on_cache(show.episode(1, 3))
    assert file_hash(rw.lab.cache(rw.path_of(show.episode(1, 2)))) == rw.lab.hashes[rw.path_of(show.episode(1, 2))]


def test_scrobble_arriving_during_a_cycle_is_not_lost(rw: RealWorld) -> None:
    heat, alien = rw.movie("Heat", 1995), rw.movie("Alien", 1979)
    rw.plex.add_to_watchlist("alice", heat)
    assert rw.service.run("cli").status == "ok"
    rw.plex.add_to_watchlist("alice", alien)
    key = str(heat.rating_key)

    def scrobble_mid_cycle(*_: object) -> None:  # the webhook lands while the cycle copies Alien
        rw.service.handle_plex_webhook({"event": "media.scrobble", "Account": {"title": "alice"},
                                        "Metadata": {"ratingKey": key, "type": "movie"}})

    first = rw.service.run("schedule", on_progress=scrobble_mid_cycle)
    assert first.status == "ok" and not first.restored
    assert rw.service.recorder.scrobbles() == {key: frozenset({"alice"})}  # kept for the next cycle
    second = rw.service.run("schedule")  # Plex's watched state still lags: the scrobble decides
    assert [o.title for o in second.restored] == ["Heat (1995)"]
    assert rw.service.recorder.scrobbles() == {}
    assert rw.on_array(heat) and not rw.on_cache(heat) and rw.intact(heat)


def test_realtime_move_does_not_pull_an_episode_from_under_another_player(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false", NUMBER_EPISODES="2")
    show = rw.show("Dark", 4)
    e2, e3 = show.episode(1, 2), show.episode(1, 3)
    rw.plex.start_session("bob", e3, player="Bedroom TV")
    report = rw.service.cache_next_for_session("alice", str(show.episode(1, 1).rating_key))
    assert report is not None and report.status == "ok", report
    assert rw.on_cache(e2) and not rw.on_array(e2) and rw.intact(e2)
    assert rw.on_array(e3) and not rw.on_cache(e3)  # bob is playing it: not moved
    assert any("being played by bob" in s for s in report.skipped)
