"""A kept fresh download ages out (issue 15.4): after FRESH_DOWNLOAD_DAYS, or once watched, it follows the rules of
any cached media instead of staying on the cache for ever: kept (and evicted first) for CACHE_RETENTION_HOURS after
its days ran out, then given back by the engine (copied to the array, verified, then removed from the cache).
The real stack (plexapi against the emulator, the real journaled engine, real files) and the domain's fake clock."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.demo.lab import file_hash
from cacherr.demo.plex_emulator import Episode
from cacherr.domain.media import Reason
from tests.cycle.real_world import KB, RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"NUMBER_EPISODES": "1", "FRESH_DOWNLOAD_DAYS": "3", "CACHE_RETENTION_HOURS": "24",
                                    "MOVER_EXCLUDE_FILE": str(tmp_path / "config" / "mover_exclude.txt")})
    yield w
    w.close()


def land_on_cache(rw: RealWorld, item: Episode) -> tuple[Path, str]:
    """Sonarr imported ``item`` onto the cache (the array has no copy): (path, content hash)."""
    rel = rw.path_of(item)
    dst = rw.lab.cache(rel)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(rw.lab.array(rel), dst)
    return dst, file_hash(dst)


def excluded(rw: RealWorld) -> set[str]:
    path = Path(rw.settings.MOVER_EXCLUDE_FILE)
    return {line for line in path.read_text().splitlines() if line.startswith("/")} if path.exists() else set()


def kept_fresh(rw: RealWorld) -> tuple[Episode, Path, str]:
    """Alice watches Andor; a fresh E6 lands on the cache and is kept as a fresh download."""
    andor = rw.show("Andor", 6)
    rw.plex.mark_watched("alice", andor.episode(1, 1))  # On Deck E2, next E3
    ep = andor.episode(1, 6)
    path, digest = land_on_cache(rw, ep)
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert rw.entry(ep).reason is Reason.FRESH_DOWNLOAD and str(path) in excluded(rw)
    return ep, path, digest


def test_after_its_days_and_the_retention_a_fresh_download_is_given_back(rw: RealWorld) -> None:
    ep, path, digest = kept_fresh(rw)
    rw.clock.advance(days=2, hours=23)  # within FRESH_DOWNLOAD_DAYS
    assert rw.service.run("manual").status == "ok"
    assert path.exists() and str(path) in excluded(rw)
    rw.clock.advance(hours=12)  # its days are up, CACHE_RETENTION_HOURS not yet: kept, still tracked
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.restored, [o.reason for o in report.restored]
    assert path.exists() and str(path) in excluded(rw) and rw.entry(ep).reason is Reason.FRESH_DOWNLOAD
    rw.clock.advance(hours=13)  # 25 h after its days ran out
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert [o.title for o in report.restored] and "FRESH_DOWNLOAD_DAYS" in report.restored[0].reason
    back = rw.lab.array(rw.path_of(ep))
    assert not path.exists() and file_hash(back) == digest, "on the array, verified; off the cache"
    assert not any(e.item_key == str(ep.rating_key) for e in rw.registry.entries())
    assert str(path) not in excluded(rw)
    summary = rw.service.history(1)[0]["summary"]  # what the dashboard's history shows
    assert summary["restored"] == 1 and "FRESH_DOWNLOAD_DAYS" in summary["restored_items"][0]["reason"], summary


def test_a_watched_fresh_download_is_given_back_within_its_days(rw: RealWorld) -> None:
    ep, path, digest = kept_fresh(rw)
    rw.plex.mark_watched("alice", ep)  # alice skipped ahead and watched it
    rw.clock.advance(hours=1)
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert any("watched by alice" in o.reason for o in report.restored), [o.reason for o in report.restored]
    assert not path.exists() and file_hash(rw.lab.array(rw.path_of(ep))) == digest


def test_an_aged_fresh_download_is_evicted_first_when_space_is_needed(rw: RealWorld) -> None:
    ep, path, digest = kept_fresh(rw)
    rw.clock.advance(days=3, hours=1)  # aged out, within the retention: kept, but evictable
    heat = rw.movie("Heat", 1995, size=8 * KB)
    rw.set(CACHE_LIMIT="12KB")  # the 4 KB download, the 4 KB On Deck episode and the 8 KB movie do not fit
    rw.plex.set_progress("bob", heat, 60_000)
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert rw.on_cache(heat), report.skipped
    assert not path.exists() and file_hash(rw.lab.array(rw.path_of(ep))) == digest


@pytest.mark.data_safety
@pytest.mark.parametrize("crash_at", ["copy:chunk", "before:committing", "after:commit", "before:removing_source",
                                      "before:unlink", "after:unlink", "before:done"])
def test_giving_back_an_aged_fresh_download_interrupted_at_each_step_loses_nothing(rw: RealWorld,
                                                                                  crash_at: str) -> None:
    """The cache copy of a fresh download is its only copy: the give-back copies it to the array first. Killed at
    each step, after the restart the file is complete where Plex sees it, and ends up on the array only."""
    from cacherr.fileops import EngineConfig, build_engine
    from cacherr.fileops.faults import Faults, SimulatedCrash
    from tests.cycle.real_world import _no_chown

    ep, path, digest = kept_fresh(rw)
    rel = rw.path_of(ep)
    rw.clock.advance(days=5)
    config = EngineConfig.from_settings(rw.settings, settle_seconds=0.0, recent_seconds=0.0, folders=_no_chown())
    rw._engine = (config, build_engine(SqliteJournal(rw.db), rw.registry, config, faults=Faults(crash_at=crash_at)))
    with pytest.raises(SimulatedCrash):
        rw.service.run("manual")
    copies = [p for p in (path, rw.lab.array(rel)) if p.exists()]
    assert copies and all(file_hash(p) == digest for p in copies), "complete in at least one place at the crash"
    rw._engine = None  # the restart: a fresh engine recovers under the lock first
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert file_hash(rw.lab.array(rel)) == digest and not path.exists() and rw.partials() == []
    assert not any(e.item_key == str(ep.rating_key) for e in rw.registry.entries())
    assert os.stat(rw.lab.array(rel)).st_size == 4 * KB
