"""Same-name upgrades (issue 15.4): Sonarr/Radarr replaced a cached file under the same path. Through the real stack
(plexapi against the emulator, the real journaled engine, real files on temp trees):

- the array holds the newer file and the cache copy is Cacherr's old one: the old copy goes, the new file is cached,
  no conflict (copy and move mode), and a kill at every step loses nothing;
- the cache copy itself is the new file (written through the union): never removed or overwritten; tracked as found
  on the cache, and given back to the array when nothing is there;
- Plex reports a new size but neither file changed: reported, nothing touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.demo.lab import file_hash, write_media
from cacherr.demo.plex_emulator import Movie
from tests.cycle.real_world import KB, RealWorld

NEW = 12 * KB


@pytest.fixture
def rw(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[RealWorld]:
    w = RealWorld(tmp_path, values={"CACHE_RETENTION_HOURS": "0"})
    yield w
    w.close()


def cached_heat(rw: RealWorld) -> Movie:
    heat = rw.movie("Heat", 1995)
    rw.plex.set_progress("bob", heat, 120_000)
    report = rw.service.run("manual")
    assert report.status == "ok" and rw.on_cache(heat), report.message
    return heat


def replace_at(path: Path, seed: int) -> str:
    """Sonarr/Radarr's import: the new file written beside, then renamed over the name (a new inode, newer)."""
    tmp = path.with_name(path.name + ".arr-import")
    digest = write_media(tmp, NEW, seed)
    os.replace(tmp, path)
    return digest


def test_a_newer_file_on_the_array_replaces_the_old_cached_copy(rw: RealWorld) -> None:
    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    new = replace_at(rw.lab.array(rel), 77)
    heat.parts[0].size = NEW  # Plex rescanned: the new size
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert not report.failed, [(o.title, o.error) for o in report.failed]
    assert file_hash(rw.lab.cache(rel)) == new and file_hash(rw.lab.array(rel)) == new
    assert rw.entry(heat).size == NEW and rw.partials() == []
    assert any("same name" in o.reason for o in report.restored), [o.reason for o in report.restored]
    assert any("newer file under the same name" in p for p in report.problems), report.problems
    summary = rw.service.history(1)[0]["summary"]  # what the dashboard's history shows
    assert any("same name" in o["reason"] for o in summary["restored_items"]), summary["restored_items"]
    assert rw.service.run("manual").restored == (), "settled: nothing more to do"


def test_move_mode_a_newer_array_file_replaces_the_moved_copy(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false")
    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    assert not rw.lab.array(rel).exists(), "moved"
    new = write_media(rw.lab.array(rel), NEW, 78)  # Radarr wrote the new file to the array disk
    heat.parts[0].size = NEW
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed, report.message
    assert file_hash(rw.lab.cache(rel)) == new and not rw.lab.array(rel).exists(), "the new file moved to the cache"


def test_a_new_file_written_onto_the_cache_is_never_removed(rw: RealWorld) -> None:
    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    old = rw.lab.hashes[rel]
    new = replace_at(rw.lab.cache(rel), 79)  # through the union: the new file landed on the cache
    heat.parts[0].size = NEW
    before = rw.tree()
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed, report.message
    assert rw.tree() == before, "nothing touched"
    assert file_hash(rw.lab.cache(rel)) == new and file_hash(rw.lab.array(rel)) == old
    entry = rw.entry(heat)
    assert entry.size == NEW and entry.pre_existing
    assert any("never overwrites" in p for p in report.problems), report.problems
    rw.plex.mark_watched("bob", heat)  # the give-back: the array's older file is not Cacherr's to overwrite
    report = rw.service.run("manual")
    assert file_hash(rw.lab.cache(rel)) == new and file_hash(rw.lab.array(rel)) == old, "both kept"


def test_move_mode_a_new_file_on_the_cache_goes_back_to_the_array(rw: RealWorld) -> None:
    rw.set(COPY_TO_CACHE="false")
    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    new = replace_at(rw.lab.cache(rel), 80)
    heat.parts[0].size = NEW
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed, report.message
    assert rw.entry(heat).size == NEW and file_hash(rw.lab.cache(rel)) == new
    rw.plex.mark_watched("bob", heat)
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed, report.message
    assert file_hash(rw.lab.array(rel)) == new and not rw.lab.cache(rel).exists()


def test_a_new_size_in_plex_alone_touches_nothing(rw: RealWorld) -> None:
    heat = cached_heat(rw)
    before = rw.tree()
    heat.parts[0].size = NEW
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed
    assert any("new size in Plex under the same name" in p for p in report.problems), report.problems
    assert rw.tree() == before


def test_an_older_array_file_is_not_taken_for_an_upgrade(rw: RealWorld) -> None:
    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    write_media(rw.lab.array(rel), NEW, 81)
    cached = os.stat(rw.lab.cache(rel))
    os.utime(rw.lab.array(rel), ns=(cached.st_atime_ns, cached.st_mtime_ns - 10**9))  # older than the cached copy
    heat.parts[0].size = NEW
    before = rw.tree()
    report = rw.service.run("manual")
    assert report.status == "ok"
    assert rw.tree() == before and file_hash(rw.lab.cache(rel)) == rw.lab.hashes[rel]


@pytest.mark.data_safety
@pytest.mark.parametrize("crash_at", ["before:removing_source", "before:unlink", "after:unlink", "before:done",
                                      "copy:chunk", "after:commit"])
def test_same_name_upgrade_interrupted_at_each_step_loses_nothing(rw: RealWorld, crash_at: str) -> None:
    """The drop of the old cached copy and the copy of the new file, killed at each step: the new file is always
    complete on the array, no partial file is visible, and after the restart the new file is on the cache."""
    from cacherr.fileops import EngineConfig, build_engine
    from cacherr.fileops.faults import Faults, SimulatedCrash
    from tests.cycle.real_world import _no_chown

    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    old = rw.lab.hashes[rel]
    new = replace_at(rw.lab.array(rel), 82)
    heat.parts[0].size = NEW
    config = EngineConfig.from_settings(rw.settings, settle_seconds=0.0, recent_seconds=0.0, folders=_no_chown())
    rw._engine = (config, build_engine(SqliteJournal(rw.db), rw.registry, config, faults=Faults(crash_at=crash_at)))
    with pytest.raises(SimulatedCrash):
        rw.service.run("manual")
    assert file_hash(rw.lab.array(rel)) == new, "the new file is complete on the array at the crash"
    cache = rw.lab.cache(rel)
    assert not cache.exists() or file_hash(cache) in (old, new), "the cache name holds a whole file"
    rw._engine = None  # the restart: a fresh engine recovers under the lock first
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert file_hash(rw.lab.array(rel)) == new and file_hash(cache) == new and rw.partials() == []
    assert rw.entry(heat).size == NEW


def upgrade_to_new_name(rw: RealWorld, movie: Movie) -> tuple[str, str]:
    """Radarr's upgrade under a new name; it deleted the old file from the array disk only (the cached copy of the
    old file is now its only copy). (old rel, new rel)."""
    old_rel = rw.path_of(movie)
    new_plex = movie.parts[0].file.replace(".mkv", " - 2160p.mkv")
    new_rel = rw.rel(new_plex)
    rw.lab.hashes[new_rel] = write_media(rw.lab.array(new_rel), NEW, 90)
    movie.parts[0].file, movie.parts[0].size = new_plex, NEW
    rw.lab.array(old_rel).unlink()
    return old_rel, new_rel


def test_the_only_copy_of_an_upgraded_old_file_is_given_back_not_deleted(rw: RealWorld) -> None:
    heat = cached_heat(rw)
    old_rel, new_rel = upgrade_to_new_name(rw, heat)
    report = rw.service.run("manual")
    assert report.status == "ok" and not report.failed, report.message
    assert file_hash(rw.lab.cache(new_rel)) == rw.lab.hashes[new_rel]
    assert file_hash(rw.lab.array(old_rel)) == rw.lab.hashes[old_rel], "the old file's only copy is kept"
    assert not rw.lab.cache(old_rel).exists() and rw.partials() == []
    assert any("only one left" in p for p in report.problems), report.problems


@pytest.mark.data_safety
@pytest.mark.parametrize("crash_at", ["copy:chunk", "before:committing", "after:commit", "before:removing_source",
                                      "before:unlink", "after:unlink"])
def test_giving_back_the_only_copy_interrupted_loses_nothing(rw: RealWorld, crash_at: str) -> None:
    from cacherr.fileops import EngineConfig, build_engine
    from cacherr.fileops.faults import Faults, SimulatedCrash
    from tests.cycle.real_world import _no_chown

    heat = cached_heat(rw)
    old_rel, new_rel = upgrade_to_new_name(rw, heat)
    config = EngineConfig.from_settings(rw.settings, settle_seconds=0.0, recent_seconds=0.0, folders=_no_chown())
    rw._engine = (config, build_engine(SqliteJournal(rw.db), rw.registry, config, faults=Faults(crash_at=crash_at)))
    with pytest.raises(SimulatedCrash):
        rw.service.run("manual")
    old_copies = [p for p in (rw.lab.cache(old_rel), rw.lab.array(old_rel)) if p.exists()]
    assert old_copies and all(file_hash(p) == rw.lab.hashes[old_rel] for p in old_copies)
    rw._engine = None
    report = rw.service.run("manual")
    assert report.status == "ok", report.message
    assert file_hash(rw.lab.array(old_rel)) == rw.lab.hashes[old_rel] and not rw.lab.cache(old_rel).exists()
    assert file_hash(rw.lab.cache(new_rel)) == rw.lab.hashes[new_rel] and rw.partials() == []


def test_a_stale_copy_someone_plays_waits_for_the_end_of_the_session(rw: RealWorld) -> None:
    heat = cached_heat(rw)
    rel = rw.path_of(heat)
    new = replace_at(rw.lab.array(rel), 83)
    heat.parts[0].size = NEW
    rw.plex.start_session("bob", heat)
    before = rw.tree()
    report = rw.service.run("manual")
    assert report.status == "ok" and rw.tree() == before, "nothing pulled from under the player"
    assert any("someone is playing them" in p for p in report.problems), report.problems
    rw.plex.stop_session(who="bob")
    report = rw.service.run("manual")
    assert report.status == "ok" and file_hash(rw.lab.cache(rel)) == new
