"""Issue 15.4 through the real stack (plexapi against the emulator, the real journaled engine, real files):
a fresh download of a show someone is watching stays on the cache for FRESH_DOWNLOAD_DAYS (adopted, listed in
the mover exclude file, no copy made); other fresh downloads stay the mover's, untouched; an upgrade (same Plex
item, a new file) caches the new file and gives the old one back, or drops its row when it is gone."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.demo.lab import file_hash, write_media
from cacherr.demo.plex_emulator import Episode, Movie
from cacherr.domain.media import Reason
from tests.cycle.real_world import KB, RealWorld


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"NUMBER_EPISODES": "1", "FRESH_DOWNLOAD_DAYS": "7",
                                    "MOVER_EXCLUDE_FILE": str(tmp_path / "config" / "mover_exclude.txt")})
    yield w
    w.close()


def land_on_cache(rw: RealWorld, item: Episode | Movie) -> tuple[Path, int, str]:
    """Sonarr imported ``item`` onto the cache (the array has no copy): (path, inode, content hash)."""
    rel = rw.path_of(item)
    dst = rw.lab.cache(rel)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(rw.lab.array(rel), dst)
    return dst, os.stat(dst).st_ino, file_hash(dst)


def excluded(rw: RealWorld) -> set[str]:
    text = Path(rw.settings.MOVER_EXCLUDE_FILE).read_text() if os.path.exists(rw.settings.MOVER_EXCLUDE_FILE) else ""
    return {line for line in text.splitlines() if line.startswith("/")}


def test_fresh_episode_of_a_watched_show_stays_until_its_days_are_up(rw: RealWorld) -> None:
    andor = rw.show("Andor", 8)
    other = rw.show("Other Show", 3)
    rw.plex.mark_watched("alice", andor.episode(1, 1))  # On Deck: E2, next: E3
    fresh, ino, digest = land_on_cache(rw, andor.episode(1, 8))  # just imported, nobody is there yet
    ignored, ino2, digest2 = land_on_cache(rw, other.episode(1, 3))
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    entry = rw.entry(andor.episode(1, 8))
    assert entry.reason is Reason.FRESH_DOWNLOAD and entry.pre_existing
    assert str(fresh) in excluded(rw), "kept from the mover"
    assert (os.stat(fresh).st_ino, file_hash(fresh)) == (ino, digest), "adopted, never copied or rewritten"
    assert not rw.lab.array(rw.path_of(andor.episode(1, 8))).exists()
    assert not any(e.item_key == str(other.episode(1, 3).rating_key) for e in rw.registry.entries())
    assert str(ignored) not in excluded(rw), "a fresh download nobody watches stays the mover's"
    assert any("fresh download" in p for p in report.problems), report.problems
    rw.clock.advance(days=3)
    rw.service.run("manual")
    assert rw.entry(andor.episode(1, 8)).reason is Reason.FRESH_DOWNLOAD
    rw.clock.advance(days=5)  # 8 days after it was added: past FRESH_DOWNLOAD_DAYS and the retention
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert not any(e.item_key == str(andor.episode(1, 8).rating_key) for e in rw.registry.entries())
    assert str(fresh) not in excluded(rw)
    # its days are up and CACHE_RETENTION_HOURS (12 h) since: given back like any cached media (verified copy
    # on the array, then the cache copy removed), not left on the cache untracked
    back = rw.lab.array(rw.path_of(andor.episode(1, 8)))
    assert not fresh.exists() and file_hash(back) == digest
    assert any("FRESH_DOWNLOAD_DAYS" in o.reason for o in report.restored), [o.reason for o in report.restored]
    assert (os.stat(ignored).st_ino, file_hash(ignored)) == (ino2, digest2), "never touched"
    rw.service.run("manual")
    assert not any(e.item_key == str(andor.episode(1, 8).rating_key) for e in rw.registry.entries()), \
        "a given-back download is not adopted again"


def test_fresh_download_that_becomes_the_next_episode_is_cached_media(rw: RealWorld) -> None:
    andor = rw.show("Andor", 4)
    rw.plex.mark_watched("alice", andor.episode(1, 1))
    fresh, ino, _ = land_on_cache(rw, andor.episode(1, 3))  # E3 is the next episode after On Deck E2
    assert rw.service.run("manual").status == "ok"
    entry = rw.entry(andor.episode(1, 3))
    assert entry.reason is Reason.NEXT_EPISODE and entry.last_wanted_at is not None
    assert str(fresh) in excluded(rw) and os.stat(fresh).st_ino == ino


def test_off_keeps_the_old_behaviour(rw: RealWorld) -> None:
    rw.set(FRESH_DOWNLOAD_DAYS=0)
    other = rw.show("Other Show", 2)
    path, _, _ = land_on_cache(rw, other.episode(1, 2))
    assert rw.service.run("manual").status == "ok"
    entry = rw.entry(other.episode(1, 2))
    assert entry.reason is Reason.PRE_EXISTING and str(path) not in excluded(rw)


def upgrade(rw: RealWorld, movie: Movie, *, delete_old: bool) -> tuple[str, str]:
    """Radarr replaces the movie's file with a bigger one under a new name (landing on the array); with
    ``delete_old`` it removes the old one through the union (both copies). (old rel, new rel)."""
    old_rel = rw.path_of(movie)
    new_plex = movie.parts[0].file.replace(".mkv", " - 1080p.mkv")
    new_rel = rw.rel(new_plex)
    rw.lab.hashes[new_rel] = write_media(rw.lab.array(new_rel), 12 * KB, 99)
    movie.parts[0].file, movie.parts[0].size = new_plex, 12 * KB
    if delete_old:
        for p in (rw.lab.array(old_rel), rw.lab.cache(old_rel)):
            p.unlink(missing_ok=True)
    return old_rel, new_rel


@pytest.mark.parametrize("delete_old", [True, False])
def test_upgrade_caches_the_new_file_without_a_conflict(rw: RealWorld, delete_old: bool) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    assert rw.service.run("manual").status == "ok"
    assert rw.on_cache(heat)
    old_rel, new_rel = upgrade(rw, heat, delete_old=delete_old)
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert not report.failed, [(o.title, o.error) for o in report.failed]
    entry = rw.entry(heat)
    assert entry.cache_path == str(rw.lab.cache(new_rel)) and entry.size == 12 * KB
    assert file_hash(rw.lab.cache(new_rel)) == rw.lab.hashes[new_rel]
    assert [e.cache_path for e in rw.registry.entries()] == [entry.cache_path], "the old row is gone"
    assert not rw.lab.cache(old_rel).exists()
    if delete_old:
        assert any("replaced by a new file" in p for p in report.problems), report.problems
    else:
        assert file_hash(rw.lab.array(old_rel)) == rw.lab.hashes[old_rel], "the old file is back on the array"
        assert any("upgrade" in o.reason for o in report.restored), [o.reason for o in report.restored]
    assert excluded(rw) == {entry.cache_path}


@pytest.mark.data_safety
@pytest.mark.parametrize("crash_at", ["before:removing_source", "before:unlink", "after:unlink", "copy:chunk",
                                      "before:committing", "after:commit", "before:done"])
def test_upgrade_interrupted_at_each_step_loses_nothing(rw: RealWorld, crash_at: str) -> None:
    """The give-back of the old file (the only deletion an upgrade makes) and the copy of the new one,
    killed at each step: after the restart the old and the new file are complete where Plex sees them."""
    from cacherr.fileops.faults import SimulatedCrash

    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    assert rw.service.run("manual").status == "ok"
    old_rel, new_rel = upgrade(rw, heat, delete_old=False)
    rw.crash_engine_at(crash_at)
    with pytest.raises(SimulatedCrash):
        rw.service.run("manual")
    rw.restart()  # a fresh engine recovers under the lock first
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    for rel in (old_rel, new_rel):
        assert file_hash(rw.lab.array(rel)) == rw.lab.hashes[rel], f"{rel} damaged on the array"
    assert file_hash(rw.lab.cache(new_rel)) == rw.lab.hashes[new_rel]
    assert not rw.lab.cache(old_rel).exists() and rw.partials() == []
    assert [e.cache_path for e in rw.registry.entries()] == [str(rw.lab.cache(new_rel))]


def test_upgrade_under_the_same_name_is_reported_not_touched(rw: RealWorld) -> None:
    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    assert rw.service.run("manual").status == "ok"
    before = rw.tree()
    heat.parts[0].size = 12 * KB  # Plex now reports another size for the same path
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed
    assert any("new size in Plex under the same name" in p for p in report.problems), report.problems
    assert rw.tree() == before, "nothing touched"
