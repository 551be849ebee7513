"""Failures at each step, with real conditions where the machine allows: a full tmpfs, dropped
capabilities (EACCES), an immutable folder (EPERM), a source deleted or written to mid-copy."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cacherr.adapters.sqlite_store import SqliteCacheRegistry
from cacherr.demo.lab import Lab, file_hash, write_media
from cacherr.domain.cache import CacheMode
from cacherr.fileops.faults import Faults
from cacherr.settings import SizeLimit
from tests.conftest import require, require_root, require_tool
from tests.fileops.conftest import EngineFactory
from tests.fileops.helpers import MiB, action, assert_invariant, restore, temp_leftovers, where

MOVIE = "Movies/Heat (1995)/Heat (1995).mkv"
EP1 = "TV/Show/Season 01/Show - S01E01.mkv"
pytestmark = pytest.mark.data_safety


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_disk_full_mid_copy_rolls_back_and_the_cycle_goes_on(tmpfs_lab: Lab, engine_for: EngineFactory) -> None:
    lab = tmpfs_lab
    lab.add("Movies/Big/Big.mkv", 10 * MiB)
    before = free_bytes(lab.cache_root)
    filler = lab.cache_root / "competitor.bin"

    def competitor(_op: int, path: str, done: int, _total: int) -> None:
        if "Big" in path and done >= MiB and not filler.exists():
            filler.write_bytes(b"\0" * (free_bytes(lab.cache_root) - 3 * MiB))  # another app fills the pool

    results = engine_for(lab, max_concurrent_cache=1).execute([action(lab, "Movies/Big/Big.mkv"), action(lab, EP1)],
                                      mode=CacheMode.MOVE, on_progress=competitor)
    big, small = results
    assert not big.ok and "disk full" in big.message
    assert small.ok, small.message  # what fits still goes
    assert where(lab, "Movies/Big/Big.mkv") == "array"
    assert temp_leftovers(lab) == []
    filler.unlink()
    assert free_bytes(lab.cache_root) == before - lab.cache(EP1).stat().st_blocks * 512
    assert_invariant(lab)


def test_no_room_is_refused_before_writing(tmpfs_lab: Lab, engine_for: EngineFactory) -> None:
    lab = tmpfs_lab
    lab.add("Movies/Huge/Huge.mkv", 20 * MiB)  # the cache tmpfs holds 16 MiB
    [res] = engine_for(lab).execute([action(lab, "Movies/Huge/Huge.mkv")], mode=CacheMode.MOVE)
    assert not res.ok and "not enough free space" in res.message
    assert not lab.cache("Movies/Huge").exists() or not any(lab.cache("Movies/Huge").iterdir())
    assert_invariant(lab)


def test_min_free_space_and_cache_limit(lab: Lab, engine_for: EngineFactory) -> None:
    # One transfer at a time: with two, whichever reserves space first wins, and this test is about limits.
    engine = engine_for(lab, cache_limit=SizeLimit.parse("4M"), max_concurrent_cache=1)
    results = engine.execute([action(lab, MOVIE), action(lab, EP1)], mode=CacheMode.COPY)
    assert results[0].ok  # 3 MiB fits in 4 MiB
    assert not results[1].ok and "CACHE_LIMIT" in results[1].message
    engine = engine_for(lab, min_free_space=SizeLimit.parse("100%"))
    [res] = engine.execute([action(lab, EP1)], mode=CacheMode.COPY)
    assert not res.ok and "MIN_FREE_SPACE" in res.message


def test_io_error_while_copying_removes_the_temp(lab: Lab, engine_for: EngineFactory) -> None:
    faults = Faults(fail_at={"copy:chunk": OSError(errno.EIO, "Input/output error")})
    [res] = engine_for(lab, faults=faults).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok and "I/O error" in res.message
    assert where(lab, MOVIE) == "array" and temp_leftovers(lab) == []
    assert_invariant(lab)


@pytest.mark.parametrize("point", ["copy:fsync", "before:committing", "before:removing_source", "before:unlink"])
def test_io_error_at_later_steps_keeps_every_copy(lab: Lab, engine_for: EngineFactory, point: str) -> None:
    faults = Faults(fail_at={point: OSError(errno.EIO, "Input/output error")})
    engine = engine_for(lab, faults=faults)
    [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok
    assert where(lab, MOVIE) in ("array", "both")
    assert temp_leftovers(lab) == []
    assert engine.journal.active() == []
    assert_invariant(lab)


def test_source_deleted_mid_copy(lab: Lab, engine_for: EngineFactory) -> None:
    src = lab.array(MOVIE)

    def delete(_op: int, _p: str, done: int, _t: int) -> None:
        if done >= MiB and src.exists():
            src.unlink()

    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE, on_progress=delete)
    assert not res.ok and "vanished" in res.message
    assert not lab.cache(MOVIE).exists() and temp_leftovers(lab) == []


@pytest.mark.parametrize("how", ["append", "same-size-rewrite"])
def test_source_changed_mid_copy(lab: Lab, engine_for: EngineFactory, how: str) -> None:
    src = lab.array(MOVIE)
    st = src.stat()

    def change(_op: int, _p: str, done: int, _t: int) -> None:
        if done >= MiB and src.stat().st_ctime_ns == st.st_ctime_ns:
            with open(src, "r+b") as fh:
                if how == "append":
                    fh.seek(0, 2)
                fh.write(b"new bytes")
            os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))  # hide it from an mtime check

    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE, on_progress=change)
    assert not res.ok and "changed during the copy" in res.message
    assert src.exists() and not lab.cache(MOVIE).exists() and temp_leftovers(lab) == []


def test_destination_with_other_content_is_never_overwritten(lab: Lab, engine_for: EngineFactory) -> None:
    write_media(lab.cache(MOVIE), 1234, seed=99)
    theirs = file_hash(lab.cache(MOVIE))
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok and "different content" in res.message
    assert file_hash(lab.cache(MOVIE)) == theirs
    assert file_hash(lab.array(MOVIE)) == lab.hashes[MOVIE]


def test_identical_destination_is_adopted(lab: Lab, engine_for: EngineFactory,
                                          registry: SqliteCacheRegistry) -> None:
    lab.cache(MOVIE).parent.mkdir(parents=True)
    lab.cache(MOVIE).write_bytes(lab.array(MOVIE).read_bytes())
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert res.ok, res.message
    assert where(lab, MOVIE) == "cache" and registry.by_path(str(lab.cache(MOVIE))) is not None


def test_destination_symlink_is_not_followed(lab: Lab, engine_for: EngineFactory, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"keep me")
    lab.cache(MOVIE).parent.mkdir(parents=True)
    lab.cache(MOVIE).symlink_to(elsewhere)
    [res] = engine_for(lab).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok
    assert elsewhere.read_bytes() == b"keep me" and lab.array(MOVIE).exists()


def test_restore_over_a_different_array_file_is_a_conflict(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    write_media(lab.array(MOVIE), 999, seed=5)  # the array copy was replaced meanwhile
    [res] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.COPY)
    assert not res.ok and "differs" in res.message
    assert file_hash(lab.cache(MOVIE)) == lab.hashes[MOVIE]  # the cache copy was not dropped


def test_copy_mode_restore_copies_back_a_missing_array_file(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    engine.execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    lab.array(MOVIE).unlink()  # lost on the array (a disk replaced, a user's mistake)
    [res] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok, res.message
    assert where(lab, MOVIE) == "array" and file_hash(lab.array(MOVIE)) == lab.hashes[MOVIE]


@contextmanager
def immutable(folder: Path) -> Iterator[None]:
    require_root()
    require_tool("chattr")
    flagged = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    require(flagged, "the temporary folder's filesystem has no immutable flag (chattr +i)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_source_that_cannot_be_removed_keeps_both_copies(lab: Lab, engine_for: EngineFactory) -> None:
    folder = lab.array(MOVIE).parent
    engine = engine_for(lab)
    with immutable(folder):
        [res] = engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok and "every copy kept" in res.message
    assert where(lab, MOVIE) == "both" and engine.journal.active() == []
    assert_invariant(lab)
    [back] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.MOVE)  # identical array copy: drop cache
    assert back.ok and where(lab, MOVIE) == "array"


def test_destination_folder_refusing_writes(lab: Lab, engine_for: EngineFactory) -> None:
    engine = engine_for(lab)
    assert engine.execute([action(lab, MOVIE)], mode=CacheMode.MOVE)[0].ok
    lab.array(MOVIE).parent.mkdir(parents=True, exist_ok=True)
    with immutable(lab.array(MOVIE).parent):
        [res] = engine.execute([restore(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok and "permission denied" in res.message.lower()
    assert where(lab, MOVIE) == "cache" and temp_leftovers(lab) == []


def test_unreadable_source_is_skipped_with_a_clear_error(lab: Lab, tmp_path: Path) -> None:
    """Real EACCES: the engine runs in a child without CAP_DAC_OVERRIDE, the source is 000 and not ours."""
    require_root()
    setpriv = require_tool("setpriv")
    src = lab.array(MOVIE)
    os.chown(src, 99, 100)
    os.chmod(src, 0)
    args = {"db": str(tmp_path / "state.db"), "array_root": str(lab.array_root), "cache_root": str(lab.cache_root),
            "mode": "move", "actions": [["cache", MOVIE]]}
    drop = "-dac_override,-dac_read_search,-fowner"
    proc = subprocess.run([setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", "--", sys.executable,
                           str(Path(__file__).with_name("crash_child.py")), json.dumps(args)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    [[ok, message]] = json.loads(proc.stdout)
    assert not ok and "permission denied" in message and str(src) in message
    os.chmod(src, 0o644)
    assert where(lab, MOVIE) == "array" and temp_leftovers(lab) == []
    assert file_hash(src) == lab.hashes[MOVIE]


def test_hash_verify_catches_bytes_that_changed_on_the_way_to_disk(lab: Lab, engine_for: EngineFactory) -> None:
    """Corrupt the tail of the temp file right before its fsync (a bad write that the stream hash of the
    source cannot see): only reading the destination back catches it."""

    class FlipLastByte(Faults):
        def hit(self, name: str) -> None:
            if name == "copy:fsync":
                [tmp] = [p for p in lab.cache(MOVIE).parent.iterdir() if p.name.endswith(".partial")]
                with open(tmp, "r+b") as fh:
                    fh.seek(-1, 2)
                    last = fh.read(1)
                    fh.seek(-1, 2)
                    fh.write(bytes([last[0] ^ 0xFF]))

    [res] = engine_for(lab, verify="hash", faults=FlipLastByte()).execute([action(lab, MOVIE)], mode=CacheMode.MOVE)
    assert not res.ok and "hash differs" in res.message
    assert where(lab, MOVIE) == "array" and temp_leftovers(lab) == []
    [res] = engine_for(lab, verify="size", faults=FlipLastByte()).execute([action(lab, MOVIE)], mode=CacheMode.COPY)
    assert res.ok  # size verification cannot see it: that is what VERIFY=hash is for
