"""End to end against the real stack: the Plex emulator over HTTP with the real plexapi adapter, the real
journaled file engine, real array/cache folders (and the mergerfs union where the machine can mount)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.domain.media import Reason
from tests.conftest import require, require_root
from tests.cycle.real_world import KB, RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path)
    yield w
    w.close()


def on_deck_world(rw: RealWorld) -> tuple[object, object, object]:
    andor = rw.show("Andor", 5)
    bluey = rw.show("Bluey", 5)
    heat = rw.movie("Heat", 1995)
    rw.plex.mark_watched("alice", andor.episode(1, 1))
    rw.plex.set_progress("bob", bluey.episode(1, 1), 60_000)
    rw.plex.set_progress("bob", heat, 120_000)
    return andor, bluey, heat


def test_two_users_on_deck_shows_and_a_movie(rw: RealWorld) -> None:
    andor, bluey, heat = on_deck_world(rw)
    report = rw.service.run("cli")
    assert report.status == "ok", (report.message, report.failed, report.problems)
    cached = [andor.episode(1, n) for n in (2, 3, 4)] + [bluey.episode(1, n) for n in (1, 2, 3)] + [heat]
    for item in cached:
        assert rw.on_cache(item) and rw.on_array(item) and rw.intact(item), item.title
    assert not rw.on_cache(andor.episode(1, 5)) and not rw.on_cache(andor.episode(1, 1))
    assert len(report.cached) == 7
    assert rw.entry(heat).users == frozenset({"bob"}) and rw.entry(heat).reason is Reason.IN_PROGRESS
    assert rw.entry(andor.episode(1, 2)).reason is Reason.ON_DECK
    assert rw.entry(heat).library == "Movies" and rw.entry(andor.episode(1, 2)).library == "TV Shows"
    assert not rw.partials()


def test_watched_episode_on_the_cache_goes_back(rw: RealWorld) -> None:
    andor, _, _ = on_deck_world(rw)
    rw.service.run("cli")
    e2 = andor.episode(1, 2)
    rw.plex.mark_watched("alice", e2)
    report = rw.service.run("schedule")
    assert len(report.restored) == 1
    assert not rw.on_cache(e2) and rw.on_array(e2) and rw.intact(e2)
    assert any("watched by alice" in o.reason for o in report.restored)
    assert rw.on_cache(andor.episode(1, 5))  # the new next episode
    assert report.status == "ok"


def test_second_users_watchlist_movie(rw: RealWorld) -> None:
    alien = rw.movie("Alien", 1979)
    rw.plex.add_to_watchlist("bob", alien)
    report = rw.service.run("cli")
    assert report.status == "ok", report.message
    assert rw.on_cache(alien) and rw.intact(alien)
    entry = rw.entry(alien)
    assert entry.users == frozenset({"bob"}) and entry.reason is Reason.WATCHLIST


def test_cache_too_small_best_by_priority_no_partial_files(rw: RealWorld) -> None:
    andor, bluey, heat = on_deck_world(rw)  # 6 episodes of 4 KB and an 8 KB movie
    big = rw.movie("Big", 1988, size=64 * KB)
    rw.plex.add_to_watchlist("alice", big)
    rw.set(CACHE_LIMIT=str(20 * KB))
    report = rw.service.run("cli")
    assert report.status == "ok", report.message
    held = sum(e.size for e in rw.registry.entries())
    assert held <= 20 * KB
    assert rw.on_cache(heat) and rw.on_cache(andor.episode(1, 2)) and rw.on_cache(bluey.episode(1, 1))
    assert not rw.on_cache(big)
    assert any("Big" in s and "CACHE_LIMIT" in s for s in report.skipped)
    assert not rw.partials()


def test_file_being_played_is_not_moved(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false")
    fargo = rw.show("Fargo", 3)
    rw.plex.set_progress("alice", fargo.episode(1, 1), 300_000)
    rw.plex.start_session("alice", fargo.episode(1, 1), player="Living Room TV", offset_ms=300_000)
    report = rw.service.run("cli")
    assert not rw.on_cache(fargo.episode(1, 1)) and rw.on_array(fargo.episode(1, 1))
    assert any("being played by alice" in s for s in report.skipped)
    assert rw.on_cache(fargo.episode(1, 2)) and not rw.on_array(fargo.episode(1, 2))  # moved: next episode
    assert rw.intact(fargo.episode(1, 2))


def test_hostile_names(rw: RealWorld) -> None:
    titles = ["Quote 'n' $HOME", "Back`tick`; rm -rf ~", "Ünïcødé 日本語", "-dash & ampersand", "Tab\there"]
    films = [rw.movie(t, 2001) for t in titles]
    for f in films:
        rw.plex.add_to_watchlist("alice", f)
    rw.set(MOVER_EXCLUDE_FILE=str(rw.config / "mover_exclude.txt"))
    report = rw.service.run("cli")
    assert report.status == "ok", (report.message, report.failed)
    for f in films:
        assert rw.on_cache(f) and rw.intact(f), f.title
    exclude = (rw.config / "mover_exclude.txt").read_text()
    assert exclude.count(str(rw.lab.cache_root)) >= len(films)


def test_plex_unreachable_touches_nothing(rw: RealWorld) -> None:
    on_deck_world(rw)
    rw.service.run("cli")
    before = rw.tree()
    registry = rw.registry.entries()
    rw.plex.mark_watched("alice", rw.plex.item(next(iter(e.item_key for e in registry))))
    rw.plex_down()
    report = rw.service.run("cli")
    assert report.status == "failed" and "Plex is unreachable" in report.message
    assert rw.tree() == before and rw.registry.entries() == registry


def test_cli_exits_non_zero_when_plex_is_unreachable(tmp_path: Path) -> None:
    from cacherr.settings import Settings

    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields and k != "CONFIG_DIR"}
    (tmp_path / "array").mkdir()
    (tmp_path / "cache").mkdir()
    env.update({"CONFIG_DIR": str(tmp_path / "config"), "PLEX_URL": "http://127.0.0.1:9", "PLEX_TOKEN": "abcdefgh12",
                "PLEX_TIMEOUT": "2", "REAL_SOURCE": str(tmp_path / "array"),
                "CACHE_DESTINATION": str(tmp_path / "cache"), "COLUMNS": "200"})
    r = subprocess.run([sys.executable, "-m", "cacherr", "cycle"], capture_output=True, text=True, env=env,
                       timeout=120, check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Plex is unreachable" in r.stderr + r.stdout
    r = subprocess.run([sys.executable, "-m", "cacherr", "plan"], capture_output=True, text=True, env=env,
                       timeout=120, check=False)
    assert r.returncode == 1 and "error:" in r.stderr


def test_dry_run_touches_nothing(rw: RealWorld) -> None:
    andor, _, _ = on_deck_world(rw)
    rw.set(MOVER_EXCLUDE_FILE=str(rw.config / "mover_exclude.txt"))
    before, registry = rw.tree(), rw.registry.entries()
    report = rw.service.run("cli", dry_run=True)
    assert report.status == "dry-run" and len(report.cached) == 7
    assert rw.tree() == before and rw.registry.entries() == registry
    assert not (rw.config / "mover_exclude.txt").exists()
    assert rw.service.last_plan() is not None and len(rw.service.last_plan().actions) == 7  # type: ignore[union-attr]
    assert not rw.on_cache(andor.episode(1, 2))


def test_webhook_caches_next_episodes(rw: RealWorld) -> None:
    dark = rw.show("Dark", 6)
    result = rw.service.handle_plex_webhook({
        "event": "media.play", "Account": {"id": 101, "title": "alice"},
        "Metadata": {"ratingKey": str(dark.episode(1, 3).rating_key), "type": "episode"}})
    assert result.future is not None
    report = result.future.result(timeout=60)
    assert report is not None and report.status == "ok", report
    assert rw.on_cache(dark.episode(1, 4)) and rw.on_cache(dark.episode(1, 5))
    assert not rw.on_cache(dark.episode(1, 6)) and not rw.on_cache(dark.episode(1, 3))


def test_session_start_caches_next_episodes(rw: RealWorld) -> None:
    from cacherr.scheduler import CacheScheduler

    lost = rw.show("Lost", 4)

    class Store:
        current = rw.settings

        def subscribe(self, listener: object) -> None:
            pass

    sched = CacheScheduler(rw.service, Store())
    assert sched.poll_sessions() == []
    rw.plex.start_session("bob", lost.episode(1, 1))
    started = sched.poll_sessions()
    assert started == [("bob", str(lost.episode(1, 1).rating_key))]
    rw.service.realtime.shutdown(wait=True)
    assert rw.on_cache(lost.episode(1, 2)) and rw.on_cache(lost.episode(1, 3))
    assert sched.poll_sessions() == []  # the same session is not new any more


@pytest.mark.mergerfs
def test_union_layout_plex_always_sees_complete_files(tmp_path: Path, clean_env: dict[str, str]) -> None:
    require_root()
    require(Path("/dev/fuse").exists(), "needs /dev/fuse for mergerfs")
    rw = RealWorld(tmp_path, union=True)
    try:
        andor, _, heat = on_deck_world(rw)
        report = rw.service.run("cli")
        assert report.status == "ok", (report.message, report.failed)
        assert rw.on_cache(heat) and rw.intact(heat)
        rw.plex.mark_watched("bob", heat)
        report = rw.service.run("cli")
        assert any(o.title.startswith("Heat") for o in report.restored)
        assert not rw.on_cache(heat) and rw.intact(heat) and rw.intact(andor.episode(1, 2))
    finally:
        rw.close()


def test_small_real_cache_drive_fills_by_priority(tmp_path: Path, clean_env: dict[str, str]) -> None:
    """A real 256 KB tmpfs as the cache: the plan follows the drive's real free space and MIN_FREE_SPACE."""
    require_root()
    rw = RealWorld(tmp_path, cache_size=256 * KB, values={"MIN_FREE_SPACE": "16KB"})
    try:
        films = [rw.movie(f"Film {i}", 2000 + i, size=64 * KB) for i in range(6)]
        rw.plex.set_progress("alice", films[5], 60_000)  # in progress: the most important
        for f in films[:5]:
            rw.plex.add_to_watchlist("bob", f)
        report = rw.service.run("cli")
        assert report.status == "ok", (report.message, report.failed)
        assert rw.on_cache(films[5])
        assert 2 <= len(report.cached) <= 3 and not report.failed
        assert any("free space on the cache" in s or "MIN_FREE_SPACE" in s for s in report.skipped)
        assert not rw.partials()
        assert all(rw.intact(f) for f in films)
    finally:
        rw.close()


def test_fresh_download_on_the_cache_goes_back_once_watched(rw: RealWorld) -> None:
    # FRESH_DOWNLOAD_DAYS=0: every file found on the cache is tracked as pre-existing (with the default, a fresh
    # download nobody is watching stays the mover's: tests/cycle/test_fresh_downloads.py)
    rw.set(FRESH_DOWNLOAD_DAYS=0)
    fresh = rw.movie("Fresh", 2026)
    rel = rw.path_of(fresh)
    rw.lab.cache(rel).parent.mkdir(parents=True, exist_ok=True)
    rw.lab.array(rel).rename(rw.lab.cache(rel))  # Sonarr/Radarr imported it straight to the cache
    report = rw.service.run("cli")
    assert report.status == "ok" and not report.restored
    entry = rw.entry(fresh)
    assert entry.pre_existing and entry.reason is Reason.PRE_EXISTING
    rw.plex.mark_watched("bob", fresh)
    report = rw.service.run("cli")
    assert report.status == "ok", (report.message, report.failed)
    assert [o.reason for o in report.restored] == ["was already on the cache; watched by bob"]
    assert rw.on_array(fresh) and not rw.on_cache(fresh) and rw.intact(fresh)
