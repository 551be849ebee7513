"""Cache and restore in the three modes, on real trees: where the bytes end up, what is recorded."""

from __future__ import annotations

import os
import stat

import pytest

from cacherr.adapters.sqlite_store import SqliteCacheRegistry
from cacherr.demo.lab import Lab, file_hash
from cacherr.domain.cache import CacheMode
from tests.conftest import require
from tests.fileops.conftest import EngineFactory
from tests.fileops.helpers import action, assert_invariant, restore, temp_leftovers, where

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"
EP1 = "TV/Show/Season 01/Show - S01E01.mkv"


@pytest.mark.parametrize(("mode", "after_cache"), [
    (CacheMode.COPY, "both"), (CacheMode.MOVE, "cache"), (CacheMode.SYMLINK, "symlink")])
def test_cache_then_restore_each_mode(lab: Lab, engine_for: EngineFactory, registry: SqliteCacheRegistry,
                                      mode: CacheMode, after_cache: str) -> None:
    engine = engine_for(lab)
    [res] = engine.execute([action(lab, MOVIE)], mode=mode)
    assert res.ok, res.message
    assert where(lab, MOVIE) == after_cache
    assert_invariant(lab)
    entry = registry.by_path(str(lab.cache(MOVIE)))
    assert entry is not None and entry.mode is mode and entry.size == lab.cache(MOVIE).stat().st_size
    [back] = engine.execute([restore(lab, MOVIE)], mode=mode)
    assert back.ok, back.message
    assert where(lab, MOVIE) == "array"
    assert registry.by_path(str(lab.cache(MOVIE))) is None
    assert_invariant(lab)
    assert temp_leftovers(lab) == []
    assert engine.journal.active() == []


def test_copy_preserves_owner_mode_and_times(lab: Lab, engine_for: EngineFactory) -> None:
    src = lab.array(MOVIE)
    os.chmod(src, 0o640)
    os.utime(src, ns=(1_600_000_000_123_456_789, 1_500_000_000_987_654_321))
    if os.geteuid() == 0:
        os.chown(src, 99, 100)
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok, res.message
    a, c = os.stat(src), os.stat(lab.cache(MOVIE))
    assert stat.S_IMODE(c.st_mode) == 0o640
    assert c.st_mtime_ns == 1_500_000_000_987_654_321
    assert (c.st_uid, c.st_gid) == (a.st_uid, a.st_gid)


def test_created_folders_mirror_their_counterparts(lab: Lab, engine_for: EngineFactory) -> None:
    show = lab.array("TV/Show")
    os.chmod(show, 0o750)
    if os.geteuid() == 0:
        os.chown(show, 99, 100)
    [res] = engine_for(lab).execute([action(lab, EP1)], mode=CacheMode.COPY)
    assert res.ok, res.message
    made = os.stat(lab.cache("TV/Show"))
    assert stat.S_IMODE(made.st_mode) == 0o750
    assert (made.st_uid, made.st_gid) == (os.stat(show).st_uid, os.stat(show).st_gid)


def test_move_removes_empty_folders_but_never_a_full_one(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    res = engine.execute([action(lab, EP1)], mode=CacheMode.MOVE)
    assert res[0].ok
    assert lab.array("TV/Show/Season 01").is_dir()  # still holds episode 2
    res = engine.execute([action(lab, "TV/Show/Season 01/Show - S01E02.mkv")], mode=CacheMode.MOVE)
    assert res[0].ok
    assert not lab.array("TV/Show").exists()  # left empty by the moves: removed
    assert lab.array_root.is_dir()  # never the root
    assert_invariant(lab)


def test_move_keeps_empty_folders_when_told(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab, remove_empty_folders=False)
    engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert lab.array("Movies/Heat (1995)").is_dir()


def test_hash_verify_copies_and_records(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab, verify="hash")
    [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert res.ok, res.message
    op = engine.journal.recent(1)[0]
    assert op.src_hash == op.dst_hash == lab.hashes[MOVIE]
    assert file_hash(lab.cache(MOVIE)) == lab.hashes[MOVIE]


def test_restores_run_before_caches(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    engine.execute([action(lab, EP1)], mode=CacheMode.MOVE)
    results = engine.execute([action(lab, MOVIE), restore(lab, EP1)], mode=CacheMode.MOVE)
    assert [r.action.kind.value for r in results] == ["restore", "cache"]
    assert all(r.ok for r in results)
    assert where(lab, EP1) == "array" and where(lab, MOVIE) == "cache"


def test_progress_reaches_the_total(lab: Lab, engine_for: EngineFactory) -> None:
    seen: list[tuple[int, int]] = []
    engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.COPY,
                            on_progress=lambda _op, _p, done, total: seen.append((done, total)))
    size = lab.array(MOVIE).stat().st_size
    assert len(seen) >= 3  # 1 MiB chunks of a 3 MiB file
    assert seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_concurrent_caches_all_land(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab, max_concurrent_cache=3)
    results = engine.execute([action(lab, rel) for rel in lab.hashes], mode=CacheMode.MOVE)
    assert all(r.ok for r in results), [r.message for r in results]
    assert {where(lab, rel) for rel in lab.hashes} == {"cache"}
    assert_invariant(lab)


def test_already_cached_is_a_skip(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    [again] = engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert again.ok and again.skipped and "already cached" in again.message


def test_extended_attributes_travel(lab: Lab, engine_for: EngineFactory) -> None:
    src = str(lab.array(MOVIE))
    try:
        os.setxattr(src, "user.cacherr.test", b"kept")
        has_xattrs = True
    except OSError:
        has_xattrs = False
    require(has_xattrs, "the temporary folder's filesystem has no user extended attributes")
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert res.ok, res.message
    assert os.getxattr(str(lab.cache(MOVIE)), "user.cacherr.test") == b"kept"


def test_copy_mode_recache_is_a_cheap_skip(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    [again] = engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert again.skipped and again.message == "already cached"
    assert len(engine.journal.recent(10)) == 1  # no second operation journaled


def test_parallel_moves_emptying_one_folder_regression(lab: Lab, engine_for: EngineFactory) -> None:
    """Bug: two moves out of one folder raced; the second one's folder fsync found the folder already
    removed by the first (ENOENT) and the move was reported failed with both copies kept. Here the
    "other move" removes the emptied folder exactly between the unlink and the folder fsync."""
    from cacherr.fileops.faults import Faults

    folder = lab.array(MOVIE).parent

    class OtherMoveEmptiesTheFolder(Faults):
        def hit(self, name: str) -> None:
            if name == "after:unlink" and folder.exists():
                folder.rmdir()

    [res] = engine_for(lab, faults=OtherMoveEmptiesTheFolder()).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert res.ok, res.message
    assert where(lab, MOVIE) == "cache"
    rels = [f"TV/Other/Season 02/Other - S02E{i:02d}.mkv" for i in range(1, 9)]
    for rel in rels:
        lab.add(rel, 64 * 1024)
    results = engine_for(lab, max_concurrent_cache=4).execute([action(lab, r) for r in rels], mode=CacheMode.MOVE)
    assert all(r.ok for r in results), [r.message for r in results if not r.ok]
    assert not lab.array("TV/Other").exists()
    assert_invariant(lab)


def test_bytes_moved_counts_only_bytes_copied(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    size = lab.array(MOVIE).stat().st_size
    [cached] = engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    [dropped] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.COPY)  # only the cache copy goes
    assert (cached.bytes_moved, dropped.bytes_moved) == (size, 0)
