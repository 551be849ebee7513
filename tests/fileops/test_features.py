"""Sidecars, hard links, symlink mode, hostile names, files in use, roots and union-view refusal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import Database, SqliteCacheRegistry
from cacherr.demo.lab import Lab, file_hash, make_lab
from cacherr.domain.cache import CacheMode
from cacherr.domain.errors import UnsafePath
from cacherr.fileops import EngineConfig, build_engine, find_sidecars
from cacherr.fileops.fsutil import NAME_MAX, temp_name
from cacherr.fileops.inuse import proc_holders
from cacherr.fileops.sidecars import is_sidecar_of
from tests.conftest import require_root, require_tool
from tests.fileops.conftest import EngineFactory, config_for
from tests.fileops.helpers import MiB, action, assert_invariant, restore, temp_leftovers, where

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"
SUBS = ["Heat (1995).srt", "Heat (1995).en.srt", "Heat (1995).en.forced.srt", "Heat (1995).de.sdh.ass",
        "Heat (1995).idx", "Heat (1995).sub", "Heat (1995).fr.vtt", "Heat (1995).SUP"]
NOT_SUBS = ["Heat (1995) 2.srt", "Heat (1995).nfo", "Heat.srt", ".Heat (1995).srt"]


@pytest.mark.parametrize("name", SUBS)
def test_subtitle_names_are_sidecars(name: str) -> None:
    assert is_sidecar_of("Heat (1995).mkv", name)


@pytest.mark.parametrize("name", NOT_SUBS)
def test_other_names_are_not(name: str) -> None:
    assert not is_sidecar_of("Heat (1995).mkv", name)


@pytest.mark.parametrize("mode", [CacheMode.MOVE, CacheMode.COPY, CacheMode.SYMLINK])
def test_sidecars_travel_with_the_video_and_come_back(lab: Lab, engine_for: EngineFactory, mode: CacheMode) -> None:
    folder = "Movies/Heat (1995)/"
    for i, name in enumerate(SUBS + NOT_SUBS):
        lab.add(folder + name, 100 + i)
    engine = engine_for(lab)
    [res] = engine.execute([action(lab, MOVIE)], mode=mode)
    assert res.ok, res.message
    on_cache = sorted(os.path.basename(p) for p in find_sidecars(str(lab.cache(MOVIE))))
    assert on_cache == sorted(SUBS)
    for name in NOT_SUBS:
        assert where(lab, folder + name) == "array"
    if mode is CacheMode.MOVE:
        assert all(where(lab, folder + s) == "cache" for s in SUBS)
    assert_invariant(lab)
    [back] = engine.execute([restore(lab, MOVIE)], mode=mode)
    assert back.ok, back.message
    assert all(where(lab, folder + s) == "array" for s in SUBS + NOT_SUBS)
    assert_invariant(lab)
    assert temp_leftovers(lab) == []


def _hardlink(lab: Lab, tmp: Path) -> Path:
    seed = lab.array_root / "downloads" / "heat.mkv"  # a seeding torrent's name for the same inode
    seed.parent.mkdir()
    os.link(lab.array(MOVIE), seed)
    return seed


def test_hardlinked_file_is_skipped_by_default(lab: Lab, engine_for: EngineFactory, tmp_path: Path) -> None:
    _hardlink(lab, tmp_path)
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert res.skipped and "hard-linked" in res.message and "HARDLINKS=skip" in res.message
    assert where(lab, MOVIE) == "array" and os.stat(lab.array(MOVIE)).st_nlink == 2


def test_hardlinked_file_is_cached_as_a_copy_keeping_the_link(lab: Lab, engine_for: EngineFactory,
                                                              registry: SqliteCacheRegistry,
                                                              tmp_path: Path) -> None:
    seed = _hardlink(lab, tmp_path)
    engine = engine_for(lab, hardlinks="copy")
    [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert res.ok and "array link kept" in res.message
    assert os.stat(lab.array(MOVIE)).st_ino == os.stat(seed).st_ino and os.stat(seed).st_nlink == 2
    entry = registry.by_path(str(lab.cache(MOVIE)))
    assert entry is not None and entry.mode is CacheMode.COPY
    [back] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.MOVE)
    assert back.ok and where(lab, MOVIE) == "array" and os.stat(seed).st_nlink == 2


def test_symlink_mode_points_the_original_path_at_the_cache(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.SYMLINK)
    assert res.ok, res.message
    original = lab.array(MOVIE)
    assert original.is_symlink() and os.readlink(original) == str(lab.cache(MOVIE))
    assert file_hash(original) == lab.hashes[MOVIE]  # what a player opening the old path reads
    assert [p.name for p in original.parent.iterdir()] == [original.name]  # no swap name left behind
    [back] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.SYMLINK)
    assert back.ok and not original.is_symlink() and file_hash(original) == lab.hashes[MOVIE]
    assert not lab.cache(MOVIE).exists()


HOSTILE = ["Movies/It's \"quoted\" #1/It's \"quoted\" #1.mkv", "Movies/-leading dash/-rm -rf.mkv",
           "Movies/Amélie (2001) 日本語/Amélie ☃.mkv", "Movies/$(touch pwned) `id`/$HOME \\ x.mkv",
           "Movies/new\nline/a\tb.mkv", "Movies/long/" + "é" * 120 + "x.mkv"]


@pytest.mark.parametrize("rel", HOSTILE, ids=["quotes-hash", "dash", "unicode", "shell", "newline", "250-bytes"])
def test_hostile_names(tmp_path: Path, db: Database, registry: SqliteCacheRegistry, rel: str) -> None:
    lab = make_lab(tmp_path / "lab", {rel: 2 * MiB + 1})
    assert len(os.fsencode(os.path.basename(rel))) >= 5
    engine = build_engine(SqliteJournal(db), registry, config_for(lab), in_use=lambda _p: [])
    [res] = engine.execute([action(lab, rel)], mode=CacheMode.MOVE)
    assert res.ok, res.message
    assert where(lab, rel) == "cache"
    [back] = engine.execute([restore(lab, rel)], mode=CacheMode.MOVE)
    assert back.ok, back.message
    assert where(lab, rel) == "array" and temp_leftovers(lab) == []
    assert_invariant(lab)
    assert not Path("pwned").exists()


def test_temp_names_fit_name_max() -> None:
    name = "/x/" + "é" * 127 + ".mkv"  # 258 bytes: longer than most filesystems allow anyway
    tmp = temp_name(name, 123456789)
    base = os.fsencode(os.path.basename(tmp))
    assert len(base) <= NAME_MAX and base.endswith(b".cacherr-123456789.partial") and base.startswith(b".")
    base.decode("utf-8")  # not cut in the middle of a character


def test_file_open_by_a_player_is_not_moved(lab: Lab, engine_for: EngineFactory) -> None:
    src = lab.array(MOVIE)
    player = subprocess.Popen([sys.executable, "-c", f"f = open({str(src)!r}, 'rb'); import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while not proc_holders(str(src)) and time.monotonic() < deadline:
            time.sleep(0.05)
        engine = engine_for(lab, in_use=proc_holders)
        [moved] = engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
        assert moved.skipped and "in use" in moved.message and where(lab, MOVIE) == "array"
        [copied] = engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)  # a copy never disturbs a reader
        assert copied.ok and where(lab, MOVIE) == "both"
    finally:
        player.kill()
        player.wait()


def test_file_being_written_is_not_copied(lab: Lab, engine_for: EngineFactory) -> None:
    src = lab.array(MOVIE)
    writer = subprocess.Popen([sys.executable, "-c", f"f = open({str(src)!r}, 'ab'); import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while not proc_holders(str(src)) and time.monotonic() < deadline:
            time.sleep(0.05)
        [res] = engine_for(lab, in_use=proc_holders).execute([action(lab, MOVIE)], mode=CacheMode.COPY)
        assert res.skipped and "open for writing" in res.message
    finally:
        writer.kill()
        writer.wait()


def test_a_file_still_growing_is_skipped(lab: Lab, engine_for: EngineFactory) -> None:
    src = lab.array(MOVIE)
    with open(src, "ab") as fh:
        fh.write(b"x")
    writer = subprocess.Popen([sys.executable, "-c", f"import time\ntime.sleep(0.1)\nopen({str(src)!r}, 'ab').write(b'y')"])
    try:
        engine = engine_for(lab, settle_seconds=0.5)
        [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
        assert res.skipped and "still being written" in res.message
    finally:
        writer.wait()


def test_paths_outside_the_roots_are_refused(lab: Lab, engine_for: EngineFactory, tmp_path: Path) -> None:
    outside = tmp_path / "outside.mkv"
    outside.write_bytes(b"x" * 10)
    act = action(lab, MOVIE)
    bad = type(act)(kind=act.kind, array_path=str(outside), cache_path=str(lab.cache("outside.mkv")), size=10,
                    reason=act.reason, why="")
    mismatched = type(act)(kind=act.kind, array_path=str(lab.array(MOVIE)), cache_path=str(lab.cache("other.mkv")),
                           size=10, reason=act.reason, why="")
    escaping = type(act)(kind=act.kind, array_path=str(lab.array_root) + "/../../outside.mkv",
                         cache_path=str(lab.cache_root) + "/../../outside.mkv", size=10, reason=act.reason, why="")
    results = engine_for(lab).execute([bad, mismatched, escaping], mode=CacheMode.MOVE)
    assert all(not r.ok and "configured" in r.message for r in results), [r.message for r in results]
    assert outside.exists() and where(lab, MOVIE) == "array"


def test_the_unraid_union_path_is_refused(db: Database, registry: SqliteCacheRegistry) -> None:
    config = EngineConfig(roots=(("/mnt/user/media", "/mnt/cache/media"),))
    with pytest.raises(UnsafePath, match="/mnt/user0"):
        build_engine(SqliteJournal(db), registry, config)


def test_a_mergerfs_union_as_array_root_is_refused(union_lab: Lab, db: Database,
                                                  registry: SqliteCacheRegistry) -> None:
    assert union_lab.union_root is not None
    config = EngineConfig(roots=((str(union_lab.union_root), str(union_lab.cache_root)),))
    with pytest.raises(UnsafePath, match="union") as err:
        build_engine(SqliteJournal(db), registry, config)
    assert "/mnt/user0" in str(err.value) and "/mnt/diskN" in str(err.value)


def test_missing_cache_root_is_never_created(tmp_path: Path, engine_for: EngineFactory) -> None:
    """An unmounted pool shows up as a missing folder: writing there would fill the root filesystem."""
    require_root()
    lab = make_lab(tmp_path / "lab", {MOVIE: 1000})
    os.rmdir(lab.cache_root)
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok and not lab.cache_root.exists() and where(lab, MOVIE) == "array"


def test_cross_device_copy_to_tmpfs(tmpfs_lab: Lab, engine_for: EngineFactory) -> None:
    assert os.stat(tmpfs_lab.array_root).st_dev != os.stat(tmpfs_lab.cache_root).st_dev
    for verify in ("size", "hash"):
        engine = engine_for(tmpfs_lab, verify=verify)
        results = engine.execute([action(tmpfs_lab, rel) for rel in tmpfs_lab.hashes], mode=CacheMode.MOVE)
        assert all(r.ok for r in results), [r.message for r in results]
        assert_invariant(tmpfs_lab)
        back = engine.execute([restore(tmpfs_lab, rel) for rel in tmpfs_lab.hashes], mode=CacheMode.MOVE)
        assert all(r.ok for r in back)
        assert {where(tmpfs_lab, rel) for rel in tmpfs_lab.hashes} == {"array"}


def test_union_shows_complete_files_at_every_step(union_lab: Lab, engine_for: EngineFactory) -> None:
    """Through a real mergerfs union (cache branch first, like /mnt/user), at every failpoint of a move
    to the cache and back, what Plex would open is complete and unchanged."""
    require_tool("mergerfs")
    from cacherr.fileops.faults import Faults

    checks: list[str] = []

    class Watching(Faults):
        def hit(self, name: str) -> None:
            assert_invariant(union_lab)
            checks.append(name)

    for mode in (CacheMode.MOVE, CacheMode.COPY):
        engine = engine_for(union_lab, faults=Watching(), verify="hash")
        assert all(r.ok for r in engine.execute([action(union_lab, rel) for rel in union_lab.hashes], mode=mode))
        assert all(r.ok for r in engine.execute([restore(union_lab, rel) for rel in union_lab.hashes], mode=mode))
    assert len(checks) > 30
    assert_invariant(union_lab)



def test_the_array_only_view_is_accepted(db: Database, registry: SqliteCacheRegistry) -> None:
    for array in ("/mnt/user0/media", "/mnt/disk3/media"):
        engine = build_engine(SqliteJournal(db), registry, EngineConfig(roots=((array, "/mnt/cache/media"),)))
        assert engine.config.roots == ((array, "/mnt/cache/media"),)
    with pytest.raises(UnsafePath, match="union"):  # the same check refuses the union view itself
        build_engine(SqliteJournal(db), registry, EngineConfig(roots=(("/mnt/user/media", "/mnt/cache/media"),)))


def test_same_folder_for_array_and_cache_is_refused(lab: Lab, db: Database, registry: SqliteCacheRegistry) -> None:
    with pytest.raises(UnsafePath, match="union"):
        build_engine(SqliteJournal(db), registry, EngineConfig(roots=((str(lab.array_root), str(lab.array_root)),)))


def test_the_union_probe_leaves_nothing_behind(lab: Lab, db: Database, registry: SqliteCacheRegistry) -> None:
    before = sorted(os.listdir(lab.cache_root))
    build_engine(SqliteJournal(db), registry, config_for(lab))
    assert sorted(os.listdir(lab.cache_root)) == before


def test_a_name_that_is_not_utf8_is_refused_cleanly(lab: Lab, engine_for: EngineFactory) -> None:
    folder = os.fsencode(str(lab.array("Movies/Heat (1995)")))
    bad = os.path.join(folder, b"Heat \xff.mkv")
    with open(bad, "wb") as fh:
        fh.write(b"x" * 100)
    act = action(lab, MOVIE)
    rel_bad = os.fsdecode(bad)[len(str(lab.array_root)) + 1:]
    weird = type(act)(kind=act.kind, array_path=os.fsdecode(bad), cache_path=str(lab.cache(rel_bad)), size=100,
                      reason=act.reason, why="")
    results = engine_for(lab).execute([weird, act], mode=CacheMode.MOVE)
    assert not results[0].ok and "UTF-8" in results[0].message
    assert results[1].ok  # the bad name next to it does not stop the video (nor is it taken as a subtitle)
    assert os.path.exists(bad)
